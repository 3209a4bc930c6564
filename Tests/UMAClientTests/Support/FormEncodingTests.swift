import Foundation
import Testing

@testable import UMAClient

@Suite("FormEncoding")
struct FormEncodingTests {
    /// Only unreserved characters stay literal; everything else is %XX of its UTF-8 bytes.
    @Test(arguments: [
        ("abcXYZ019-._~", "abcXYZ019-._~"),
        ("a&b=c+d e%", "a%26b%3Dc%2Bd%20e%25"),
        ("x\r\ny", "x%0D%0Ay"),
        ("é", "%C3%A9"),
        ("/?#", "%2F%3F%23"),
    ])
    func percentEncodes(input: String, expected: String) {
        #expect(FormEncoding.percentEncode(input) == expected)
    }

    /// A form body keeps field order and encodes names and values separately.
    @Test func buildsFormBody() {
        let body = FormEncoding.body([("token", "a&token=b"), ("token_type_hint", "requesting_party_token")])
        #expect(String(decoding: body, as: UTF8.self) == "token=a%26token%3Db&token_type_hint=requesting_party_token")
    }

    /// Basic client authentication form-encodes id and secret before base64 (RFC 6749 §2.3.1).
    @Test func buildsBasicAuthorization() {
        let value = FormEncoding.basicAuthorization(clientId: "id:1", clientSecret: "s é")
        #expect(value == "Basic " + Data("id%3A1:s%20%C3%A9".utf8).base64EncodedString())
    }

    /// Query parameters are appended with `?` or `&`.
    @Test func appendsQuery() {
        #expect(FormEncoding.appendingQuery(to: "https://as/x", [("a", "1 2")]) == "https://as/x?a=1%202")
        #expect(FormEncoding.appendingQuery(to: "https://as/x?g=s", [("a", "b")]) == "https://as/x?g=s&a=b")
    }
}
