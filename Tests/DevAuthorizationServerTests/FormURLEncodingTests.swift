import Testing

@testable import DevAuthorizationServer

/// Form/query encoding and base64url helpers.
@Suite struct FormURLEncodingTests {
    /// `+` is a space, `%XX` decodes, a bare name has an empty value, malformed escapes stay literal.
    @Test func parsesForms() {
        let pairs = FormURLEncoding.parse("a=1+2&b=%2F%e2%82%ac&c&d=%zz&&e=x=y")
        #expect(pairs.map(\.name) == ["a", "b", "c", "d", "e"])
        #expect(pairs.map(\.value) == ["1 2", "/€", "", "%zz", "x=y"])
    }

    /// Only unreserved characters stay unencoded; encode then parse round-trips.
    @Test func encodesComponents() {
        #expect(FormURLEncoding.encode("a b&c=d/é~") == "a%20b%26c%3Dd%2F%C3%A9~")
        let url = FormURLEncoding.appending([("t", "x y"), ("s", "&")], to: "https://h/cb?k=1")
        #expect(url == "https://h/cb?k=1&t=x%20y&s=%26")
    }

    /// base64url has no padding and decodes back; standard base64 decodes too.
    @Test func base64URL() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x01]
        let encoded = FormURLEncoding.base64URL(bytes)
        #expect(encoded == "-_-_AQ")
        #expect(FormURLEncoding.decodeBase64(encoded) == bytes)
        #expect(FormURLEncoding.decodeBase64("+/+/AQ==") == bytes)
        #expect(FormURLEncoding.decodeBase64("!!") == nil)
    }
}
