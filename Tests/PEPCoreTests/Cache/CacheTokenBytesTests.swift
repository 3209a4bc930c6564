import Testing

@testable import PEPCore

/// `CacheTokenBytes`: tokens up to 46 bytes inline, longer ones in a `String`; equality and hashing by bytes, and
/// the token never shown.
@Suite struct CacheTokenBytesTests {
    static let lengths = [0, 1, 15, 16, 43, 45, 46, 47, 48, 200, 1_000]

    static func token(_ length: Int, seed: UInt8 = 0) -> String {
        String(decoding: (0..<length).map { UInt8(0x41 + (Int(seed) + $0 * 7) % 26) }, as: UTF8.self)
    }

    /// Every length reads back as written, is stored inline exactly up to 46 bytes, and equals only itself.
    @Test(arguments: lengths)
    func readsBackAndComparesByBytes(length: Int) {
        let token = Self.token(length)
        let bytes = CacheTokenBytes(token)
        #expect(bytes.withBytes { Array($0) } == Array(token.utf8) && bytes.count == length && bytes.holds(token))
        if case .inline = bytes.storage {
            #expect(length <= CacheTokenBytes.inlineCapacity)
        } else {
            #expect(length > CacheTokenBytes.inlineCapacity)
        }
        #expect(bytes == CacheTokenBytes(String(token)))
        #expect(bytes.hashValue == CacheTokenBytes(token).hashValue)
        for other in Self.lengths where other != length {
            #expect(bytes != CacheTokenBytes(Self.token(other)))
            #expect(!bytes.holds(Self.token(other)))
        }
        if length > 0 {
            #expect(bytes != CacheTokenBytes(Self.token(length, seed: 1)))
            #expect(!bytes.holds(Self.token(length, seed: 1)))
        }
    }

    /// Canonically equivalent spellings are different tokens (`String ==` would call them equal).
    @Test func canonicalEquivalentsDiffer() {
        let kelvin = "abc\u{212A}def", plain = "abcKdef"
        #expect(kelvin == plain)
        #expect(CacheTokenBytes(kelvin) != CacheTokenBytes(plain))
        #expect(!CacheTokenBytes(kelvin).holds(plain))
        let long = String(repeating: "x", count: 60)
        #expect(CacheTokenBytes(long + "\u{212A}") != CacheTokenBytes(long + "K"))
    }

    /// Neither the description nor the mirror contains the token.
    @Test func neverShowsTheToken() {
        for length in [20, 100] {
            let token = Self.token(length)
            let bytes = CacheTokenBytes(token)
            var dumped = ""
            dump(bytes, to: &dumped)
            #expect(!"\(bytes)".contains(token) && !dumped.contains(token) && "\(bytes)" == "\(length) bytes")
        }
    }
}
