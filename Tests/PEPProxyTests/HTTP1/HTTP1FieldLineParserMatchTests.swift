import Testing

@testable import PEPProxy

/// `HTTP1FieldLineParser.matches` compares a word at a time with 0x20 folded in; it must agree with the
/// byte-by-byte ASCII case-insensitive comparison for every byte value other than CR (which validated names and
/// values never hold), at every position, for literals of each length class (8 or more, 4 to 7, under 4).
@Suite struct HTTP1FieldLineParserMatchTests {
    static func reference(_ bytes: [UInt8], _ literal: String) -> Bool {
        bytes.count == literal.utf8.count && zip(bytes, literal.utf8).allSatisfy { HTTP1Grammar.lowercased($0) == $1 }
    }

    static func check(_ literal: StaticString, _ text: String) {
        let expected = Array(text.utf8)
        for position in 0..<expected.count {
            for value in 0...255 where value != 0x0D {
                var bytes = expected
                bytes[position] = UInt8(value)
                let padded = [UInt8(ascii: "x")] + bytes + [UInt8(ascii: ":")]
                let got = padded.withUnsafeBytes { HTTP1FieldLineParser.matches($0, 1, literal) }
                #expect(got == Self.reference(bytes, text), "\(text) byte \(value) at \(position)")
            }
        }
    }

    @Test func wordCompareAgreesWithTheByteLoop() {
        Self.check("transfer-encoding", "transfer-encoding")
        Self.check("content-length", "content-length")
        Self.check("upgrade", "upgrade")
        Self.check("host", "host")
        Self.check("te", "te")
    }

    @Test func upperAndMixedCaseMatch() {
        for text in ["Content-Length", "CONTENT-LENGTH", "content-length", "cOnTeNt-LeNgTh"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { HTTP1FieldLineParser.matches($0, 0, "content-length") })
        }
        let short = Array("Content-Lengt".utf8)
        #expect(!short.withUnsafeBytes { HTTP1FieldLineParser.matches($0, 0, "content-length") })
    }
}
