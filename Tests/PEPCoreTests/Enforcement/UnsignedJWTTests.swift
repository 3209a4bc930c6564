import Testing

@testable import PEPCore

@Suite struct UnsignedJWTTests {
    /// RFC 4648 §10 test vectors, padded and unpadded.
    @Test(arguments: [
        ("", "", ""), ("f", "Zg==", "Zg"), ("fo", "Zm8=", "Zm8"), ("foo", "Zm9v", "Zm9v"),
        ("foob", "Zm9vYg==", "Zm9vYg"), ("fooba", "Zm9vYmE=", "Zm9vYmE"), ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
    ])
    func base64Vectors(input: String, padded: String, unpadded: String) {
        #expect(Base64.encode(Array(input.utf8), padding: true) == padded)
        #expect(Base64.encode(Array(input.utf8), padding: false) == unpadded)
    }

    /// Standard alphabet (`+` and `/`), not base64url (Appendix A row 11).
    @Test func usesStandardAlphabet() {
        #expect(Base64.encode([0xFB, 0xFF], padding: false) == "+/8")
    }

    /// The header is the fixed `{"typ":"JWT","alg":"none"}`, the payload canonical JSON, the signature empty.
    @Test func buildsUnsignedJWT() {
        let jwt = UnsignedJWT.make(payload: .object(["sub": .string("u"), "active": .bool(true)]))
        #expect(jwt == "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhY3RpdmUiOnRydWUsInN1YiI6InUifQ.")
        #expect(UnsignedJWT.encodedHeader == Base64.encode(Array(#"{"typ":"JWT","alg":"none"}"#.utf8), padding: false))
    }
}
