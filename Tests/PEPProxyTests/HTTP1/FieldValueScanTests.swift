import Testing

@testable import PEPProxy

/// `HTTP1Grammar.skipFieldValueChars` (eight bytes at a time) must stop exactly where the byte-by-byte
/// definition (`isFieldValueChar`) stops, for every byte value at every position of the word.
@Suite struct FieldValueScanTests {
    /// The reference: the first byte at or after `start` that is not field content.
    static func reference(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while HTTP1Grammar.isFieldValueChar(bytes[index]) { index += 1 }
        return index
    }

    @Test func everyByteValueAtEveryOffsetStopsWhereTheByteLoopStops() {
        for value in 0...255 {
            for position in 0..<20 {
                // A run of field content, one probe byte, more content and the CR LF that ends every line.
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 24)
                bytes[position] = UInt8(value)
                bytes += [0x0D, 0x0A]
                let fast = bytes.withUnsafeBytes { HTTP1Grammar.skipFieldValueChars($0, from: 0) }
                #expect(fast == Self.reference(bytes, from: 0), "byte \(value) at \(position)")
            }
        }
    }

    @Test func randomLinesAgreeWithTheByteLoop() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var bytes = (0..<length).map { _ -> UInt8 in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0x21...0x7E, using: &generator) : alphabet.randomElement(using: &generator)!
            }
            bytes += [0x0D, 0x0A]
            let start = Int.random(in: 0...length, using: &generator)
            let fast = bytes.withUnsafeBytes { HTTP1Grammar.skipFieldValueChars($0, from: start) }
            #expect(fast == Self.reference(bytes, from: start), "\(bytes) from \(start)")
        }
    }
}
