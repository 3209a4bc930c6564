import Testing

@testable import PEPCore

@Suite struct CheckAccessResponseTests {
    static let header = #"UMA realm=\"rs\",as_uri=\"https://as.test\",error=\"insufficient_scope\",ticket=\"t1\""#

    /// `granted` and `denied` (with and without challenge) decode; `null` members read as absent.
    @Test func decodesAnswers() {
        #expect(
            CheckAccessResponse.decode(status: 200, body: Array(#"{"access":"granted","ticket":null}"#.utf8))
                == .success(.granted)
        )
        let denied = #"{"access":"denied","ticket":"t1","www-authenticate_header":"\#(Self.header)"}"#
        #expect(
            CheckAccessResponse.decode(status: 200, body: Array(denied.utf8))
                == .success(
                    .denied(wwwAuthenticate: F0.challengePrefix + "\"t1\"", ticket: "t1")
                )
        )
        #expect(
            CheckAccessResponse.decode(status: 200, body: Array(#"{"access":"denied","ticket":null}"#.utf8))
                == .success(.denied(wwwAuthenticate: nil, ticket: nil))
        )
    }

    /// Errors, unknown `access` values and malformed bodies fail (Part B §2.9).
    @Test(arguments: [
        (400, #"{"error":"invalid_request"}"#, AuthorizationServerError.unexpectedStatus(400)),
        (403, #"{"error":"invalid_access_token"}"#, .unexpectedStatus(403)),
        (500, "oops", .unexpectedStatus(500)),
        (200, "not json", .malformedBody),
        (200, #"{"access":"maybe"}"#, .unexpectedAccess),
        (200, #"{"access":true}"#, .unexpectedAccess),
        (200, #"{}"#, .unexpectedAccess),
        (200, #"{"access":"denied","www-authenticate_header":5}"#, .invalidMember("www-authenticate_header")),
        (200, #"{"access":"denied","ticket":["a"]}"#, .invalidMember("ticket")),
    ])
    func refusesUnusableAnswer(status: Int, body: String, error: AuthorizationServerError) {
        #expect(CheckAccessResponse.decode(status: status, body: Array(body.utf8)) == .failure(error))
    }
}
