import Testing

@testable import PEPCore

@Suite struct PEPResponseTests {
    struct Entry: CustomTestStringConvertible, Sendable {
        let denial: EnforcementDenial
        let status: Int
        let body: String
        var testDescription: String { self.denial.detail }
    }

    static let json = [HeaderField(name: "Content-Type", value: "application/json; charset=utf-8")]

    /// The catalogue of Part B §2.10, as Kong's `kong.response.exit` writes it (lua-cjson: `/` → `\/`).
    static let entries: [Entry] = [
        Entry(
            denial: .noBearerToken,
            status: 401,
            body: #"{"message":"Failed to get bearer token from Authorization header"}"#
        ),
        Entry(
            denial: .malformedBearerToken,
            status: 401,
            body: #"{"message":"Invalid access token provided in Authorization header"}"#
        ),
        Entry(
            denial: .invalidToken,
            status: 401,
            body: #"{"message":"Invalid access token provided in Authorization header"}"#
        ),
        Entry(denial: .unknownConsumer, status: 401, body: #"{"message":"Unknown consumer"}"#),
        Entry(denial: .jwt(.badJWT), status: 401, body: #"{"message":"Bad JWT"}"#),
        Entry(denial: .jwt(.missedKid), status: 401, body: #"{"message":"JWT - missed kid"}"#),
        Entry(denial: .jwt(.unknownKid), status: 401, body: #"{"message":"Unknown kid"}"#),
        Entry(denial: .jwt(.notVerified), status: 401, body: #"{"message":"JWT is not verified, reason: "}"#),
        Entry(denial: .jwt(.malformedPayload), status: 401, body: #"{"message":"JWT - malformed payload"}"#),
        Entry(
            denial: .unprotectedPath,
            status: 403,
            body: #"{"message":"Unprotected path\/method are not allowed"}"#
        ),
        Entry(
            denial: .noTokenUnprotectedPath,
            status: 403,
            body: #"{"message":"Invalid request, no token and no protected path"}"#
        ),
        Entry(denial: .tokenNotAuthenticated, status: 403, body: #"{"message":"Token not authenticated"}"#),
        Entry(
            denial: .notAuthorized,
            status: 403,
            body: #"{"message":"You are not authorized to access this resource"}"#
        ),
        Entry(
            denial: .claimsCallbackMissingArguments,
            status: 400,
            body: #"{"message":"missed ticket or state argument(s)"}"#
        ),
        Entry(denial: .authorizationServer(.timeout), status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(denial: .incompleteIntrospection, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(denial: .grantedWithoutToken, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(denial: .missingChallenge, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(denial: .resourceNotRegistered, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(
            denial: .unsafeUpstreamHeader(.unsafeValue(header: "X")),
            status: 502,
            body: #"{"message":"An unexpected error ocurred"}"#
        ),
        Entry(denial: .unsafeChallenge, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
        Entry(denial: .unexpectedEvent, status: 502, body: #"{"message":"An unexpected error ocurred"}"#),
    ]

    /// Every JSON catalogue entry has its exact status, Content-Type and body bytes.
    @Test(arguments: Self.entries)
    func catalogueEntryIsByteExact(_ entry: Entry) {
        let response = PEPResponse(entry.denial)
        #expect(response.status == entry.status)
        #expect(response.headers == Self.json)
        #expect(response.body == Array(entry.body.utf8))
        #expect(response.detail == entry.denial.detail)
    }

    /// The P3 challenge: 401 `Unauthorized` with the WWW-Authenticate value passed through verbatim.
    @Test func ticketResponseCarriesChallenge() {
        let challenge = F0.challengePrefix + "\"t-1\""
        for denial in [
            EnforcementDenial.ticketIssued(wwwAuthenticate: challenge),
            .ticketForInsufficientScope(wwwAuthenticate: challenge),
        ] {
            let response = PEPResponse(denial)
            #expect(response.status == 401)
            #expect(response.body == Array(#"{"message":"Unauthorized"}"#.utf8))
            #expect(response.headers == Self.json + [HeaderField(name: "WWW-Authenticate", value: challenge)])
        }
    }

    /// The claims callback without a session is a bare 400: no body, no Content-Type.
    @Test func emptyBadRequest() {
        let response = PEPResponse(.claimsCallbackWithoutSession)
        #expect(response.status == 400)
        #expect(response.body.isEmpty)
        #expect(response.headers.isEmpty)
    }

    /// Detail strings are distinct per reason (they name log lines and metrics).
    @Test func detailsAreDistinct() {
        let denials: [EnforcementDenial] =
            [
                .noBearerToken, .malformedBearerToken, .invalidToken, .unknownConsumer,
                .ticketIssued(wwwAuthenticate: ""),
                .ticketForInsufficientScope(wwwAuthenticate: ""), .unprotectedPath, .noTokenUnprotectedPath,
                .tokenNotAuthenticated, .notAuthorized, .claimsCallbackWithoutSession, .claimsCallbackMissingArguments,
                .authorizationServer(.transport), .incompleteIntrospection, .grantedWithoutToken, .missingChallenge,
                .resourceNotRegistered, .unsafeUpstreamHeader(.invalidName(header: "")), .unsafeChallenge,
                .unexpectedEvent,
            ] + EnforcementDenial.JWTFailure.allCases.map { .jwt($0) }
        let details = denials.map(\.detail)
        #expect(Set(details).count == details.count)
        #expect(details.allSatisfy { $0.hasPrefix("pep.") })
    }

    /// `messageBody` escapes like lua-cjson.
    @Test func messageBodyEscapes() {
        #expect(PEPResponse.messageBody("a/b\"c\\d\n") == Array(#"{"message":"a\/b\"c\\d\n"}"#.utf8))
    }
}
