import Testing

@testable import PEPProxy

/// `HeaderNameSet` compares words with a per-name fold mask; it must agree with byte-by-byte ASCII
/// case-insensitive equality for every byte value at every position, at each length class (8 and more, 4 to 7,
/// under 4), including names with bytes that have no case (`_`, digits, `-`).
@Suite struct HeaderNameSetTests {
    static func reference(_ bytes: [UInt8], _ name: String) -> Bool {
        bytes.count == name.utf8.count
            && zip(bytes, name.utf8).allSatisfy { HTTP1Grammar.lowercased($0) == HTTP1Grammar.lowercased($1) }
    }

    @Test(arguments: ["x-forwarded-proto-1", "proxy_connection", "x-consumer-id", "upgrade", "x_a_", "te", "a"])
    func everyByteAtEveryPositionAgreesWithTheByteLoop(_ name: String) {
        let set = HeaderNameSet([name.uppercased()])
        let base = Array(name.utf8)
        for position in 0..<base.count {
            for value in 0...255 {
                var bytes = base
                bytes[position] = UInt8(value)
                let got = bytes.withUnsafeBytes { set.contains($0) }
                #expect(got == Self.reference(bytes, name), "\(name) byte \(value) at \(position)")
            }
        }
        #expect(Array(name.uppercased().utf8).withUnsafeBytes { set.contains($0) })
        #expect(!Array((name + "x").utf8).withUnsafeBytes { set.contains($0) })
    }
}
