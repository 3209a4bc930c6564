import Testing

@testable import UMAClient

@Suite struct SharedCacheDigestTests {
    /// FIPS 180-4 test vectors (NIST CSRC examples) and one token-like value.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(SharedCacheDigest.sha256Hex(input) == expected)
    }

    @Test func distinctTokensDistinctDigests() {
        let a = SharedCacheDigest.sha256Hex("RPT-1")
        #expect(a.count == 64 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a != SharedCacheDigest.sha256Hex("RPT-2"))
    }
}
