import Testing

@testable import PEPProxy

/// `AccessLogFormatter.plainPrefix` checks eight bytes at a time; it must stop exactly where the byte-by-byte
/// definition (printable ASCII except `"` and `\`) stops, for every byte value at every position of a word.
@Suite struct AccessLogPlainPrefixTests {
    static func reference(_ bytes: [UInt8]) -> Int {
        bytes.firstIndex { !($0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != 0x5C) } ?? bytes.count
    }

    @Test func everyByteValueAtEveryPositionStopsWhereTheByteLoopStops() {
        for value in 0...255 {
            for position in 0..<19 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 19)
                bytes[position] = UInt8(value)
                let got = bytes.withUnsafeBufferPointer { AccessLogFormatter.plainPrefix($0) }
                #expect(got == Self.reference(bytes), "byte \(value) at \(position)")
            }
        }
        // Two unusual bytes in one word: the first one counts (a borrow must not hide it).
        for first in [0x00, 0x21, 0x22, 0x5C, 0x7E, 0x7F, 0x80, 0xFF] {
            for second in [0x00, 0x20, 0x22, 0x5C, 0x7F, 0xFF] {
                var bytes = [UInt8](repeating: UInt8(ascii: "z"), count: 16)
                bytes[3] = UInt8(first)
                bytes[5] = UInt8(second)
                let got = bytes.withUnsafeBufferPointer { AccessLogFormatter.plainPrefix($0) }
                #expect(got == Self.reference(bytes), "bytes \(first), \(second)")
            }
        }
    }
}
