import Testing

@testable import PEPCore

@Suite struct BearerTokenTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let value: String?
        let expected: BearerToken
        var testDescription: String { self.label }
    }

    static let cases: [Case] = [
        Case(label: "absent header", value: nil, expected: .none),
        Case(label: "empty value", value: "", expected: .none),
        Case(label: "only whitespace", value: " \t ", expected: .none),
        Case(label: "Basic scheme", value: "Basic dXNlcjpwYXNz", expected: .none),
        Case(label: "scheme glued to token", value: "Bearerabc", expected: .none),
        Case(label: "scheme inside another word", value: "xBearer abc", expected: .none),
        Case(label: "canonical", value: "Bearer abc", expected: .token("abc")),
        Case(label: "lower-case scheme", value: "bearer abc", expected: .token("abc")),
        Case(label: "upper-case scheme", value: "BEARER abc", expected: .token("abc")),
        Case(label: "OWS around and several spaces", value: "  Bearer   abc  ", expected: .token("abc")),
        Case(label: "HTAB separator", value: "Bearer\tabc", expected: .token("abc")),
        Case(label: "padding", value: "Bearer abc==", expected: .token("abc==")),
        Case(label: "all b64token characters", value: "Bearer aZ09-._~+/=", expected: .token("aZ09-._~+/=")),
        Case(label: "comma list", value: "Bearer A, Bearer B", expected: .invalid),
        Case(label: "comma without space", value: "Bearer A,B", expected: .invalid),
        Case(label: "scheme only", value: "Bearer", expected: .invalid),
        Case(label: "scheme and space only", value: "Bearer ", expected: .invalid),
        Case(label: "two tokens", value: "Bearer a b", expected: .invalid),
        Case(label: "padding in the middle", value: "Bearer a=b", expected: .invalid),
        Case(label: "padding only", value: "Bearer ==", expected: .invalid),
        Case(label: "CRLF after token", value: "Bearer abc\r\nX-Evil: 1", expected: .invalid),
        Case(label: "NUL in token", value: "Bearer ab\u{0}c", expected: .invalid),
        Case(label: "non-ASCII token", value: "Bearer tökén", expected: .invalid),
        Case(label: "quoted token", value: "Bearer \"abc\"", expected: .invalid),
    ]

    /// Each Authorization value parses to the RFC 6750 b64token, nothing, or invalid (SECURITY.md 17, 18).
    @Test(arguments: Self.cases)
    func parsesAuthorizationValue(_ testCase: Case) {
        #expect(BearerToken.parse(testCase.value) == testCase.expected)
    }

    /// Zero values mean no token, one value is parsed, several values are invalid (SECURITY.md case 17).
    @Test func countsAuthorizationFields() {
        #expect(BearerToken.parse(authorizationValues: [String]()) == .none)
        #expect(BearerToken.parse(authorizationValues: ["Bearer abc"]) == .token("abc"))
        #expect(BearerToken.parse(authorizationValues: ["Bearer abc", "Bearer abc"]) == .invalid)
    }

    /// The token of a substring value is extracted without its surroundings.
    @Test func parsesSubstrings() {
        let raw = "Authorization: bearer RPT_VIEW"
        let value = raw[raw.index(raw.startIndex, offsetBy: 15)...]
        #expect(BearerToken.parse(value) == .token("RPT_VIEW"))
        #expect(BearerToken.parse(value).tokenValue == "RPT_VIEW")
        #expect(BearerToken.invalid.tokenValue == nil)
    }
}
