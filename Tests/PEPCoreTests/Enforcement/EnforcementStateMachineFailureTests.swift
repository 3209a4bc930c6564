import Testing

@testable import PEPCore

/// Failure modes: SPEC A8 / SECURITY.md case 20 (never forward, 502, nothing cached), A4b, SECURITY.md case 19
/// (unsafe header bytes), and misuse of the machine.
@Suite struct EnforcementStateMachineFailureTests {
    static let badGateway = #"{"message":"An unexpected error ocurred"}"#

    struct ASAnswer: CustomTestStringConvertible, Sendable {
        let label: String
        let outcome: Result<IntrospectionResult, AuthorizationServerError>
        var testDescription: String { self.label }
    }

    static func decoded(_ status: Int, _ body: String) -> Result<IntrospectionResult, AuthorizationServerError> {
        IntrospectionResult.decode(status: status, body: Array(body.utf8))
    }

    static let introspectionFailures: [ASAnswer] = [
        ASAnswer(label: "status 500", outcome: decoded(500, #"{"error":"internal_error"}"#)),
        ASAnswer(label: "status 400", outcome: decoded(400, "{}")),
        ASAnswer(label: "status 403", outcome: decoded(403, #"{"error":"invalid_access_token"}"#)),
        ASAnswer(label: "body not json", outcome: decoded(200, "not json")),
        ASAnswer(label: "active as the string \"true\"", outcome: decoded(200, #"{"active":"true"}"#)),
        ASAnswer(
            label: "active without permissions",
            outcome: decoded(200, #"{"active":true,"exp":1700000300,"iat":1,"client_id":"c"}"#)
        ),
        ASAnswer(
            label: "active without client_id",
            outcome: decoded(200, #"{"active":true,"exp":1700000300,"iat":1,"permissions":[]}"#)
        ),
        ASAnswer(
            label: "truncated body",
            outcome: decoded(200, #"{"active":true,"exp":1700000300,"iat":1,"client_id":"c","permi"#)
        ),
        ASAnswer(label: "timeout", outcome: .failure(.timeout)),
        ASAnswer(label: "transport error", outcome: .failure(.transport)),
        ASAnswer(label: "no protection token", outcome: .failure(.protectionTokenUnavailable)),
    ]

    /// Any unusable introspection answer gives 502, forwards nothing, calls nothing else and caches nothing.
    @Test(arguments: Self.introspectionFailures, [EnforcementMode.oxd, F0.uma2])
    func introspectionFailureFailsClosed(_ answer: ASAnswer, mode: EnforcementMode) {
        for rule in [F0.photosGet, nil] {
            var driver = EnforcementDriver(policy: F0.policy(mode: mode, denyByDefault: false))
            driver.introspection["RPT_VIEW"] = answer.outcome
            let action = driver.run("GET", rule, token: .token("RPT_VIEW"))
            #expect(action.response?.status == 502)
            #expect(action.bodyText == Self.badGateway)
            #expect(driver.calls == [.introspect("RPT_VIEW")])
            #expect(driver.lastUpdates.isEmpty)
            #expect(driver.introspectionCache.isEmpty && driver.grantCache.isEmpty && driver.headerCache.isEmpty)
        }
    }

    static func checkAccess(_ status: Int, _ body: String) -> Result<CheckAccessResponse, AuthorizationServerError> {
        CheckAccessResponse.decode(status: status, body: Array(body.utf8))
    }

    static let checkAccessFailures: [(String, Result<CheckAccessResponse, AuthorizationServerError>)] = [
        ("status 400 resource not protected", checkAccess(400, #"{"error":"invalid_request"}"#)),
        ("status 403 bad oxd token", checkAccess(403, #"{"error":"invalid_access_token"}"#)),
        ("status 500", checkAccess(500, #"{"error":"internal_error"}"#)),
        ("body not json", checkAccess(200, "<html>")),
        ("unknown access value", checkAccess(200, #"{"access":"maybe"}"#)),
        ("truncated body", checkAccess(200, #"{"access":"gra"#)),
        ("timeout", .failure(.timeout)),
    ]

    /// oxd check-access failures give 502 with a token (P9) and without (P3); no grant is stored.
    @Test(arguments: Self.checkAccessFailures.map(\.0), [BearerToken.token("RPT_VIEW"), .none])
    func checkAccessFailureFailsClosed(label: String, token: BearerToken) {
        var driver = EnforcementDriver(policy: F0.policy())
        driver.checkAccessOverride = Self.checkAccessFailures.first { $0.0 == label }?.1
        let action = driver.run("GET", F0.photosGet, token: token)
        #expect(action.response?.status == 502)
        #expect(driver.grantCache.isEmpty)
        #expect(!driver.lastUpdates.contains { if case .storeGrant = $0 { return true } else { return false } })
    }

    /// P3 answers that cannot produce a challenge are 502: granted without a token, denied without header.
    @Test(arguments: [
        (CheckAccessResponse.granted, EnforcementDenial.grantedWithoutToken),
        (.denied(wwwAuthenticate: nil, ticket: "t"), .missingChallenge),
        (.denied(wwwAuthenticate: "UMA realm=\"rs\"\r\nSet-Cookie: x=1", ticket: "t"), .unsafeChallenge),
    ])
    func p3WithoutUsableChallenge(answer: CheckAccessResponse, denial: EnforcementDenial) {
        var driver = EnforcementDriver(policy: F0.policy())
        driver.checkAccessOverride = .success(answer)
        #expect(driver.run("GET", F0.photosGet, token: .none).response?.denial == denial)
    }

    /// uma2 permission-endpoint failures and unquotable tickets give 502.
    @Test(arguments: [
        (
            Result<PermissionTicket, AuthorizationServerError>.failure(.unexpectedStatus(400)),
            EnforcementDenial.authorizationServer(.unexpectedStatus(400))
        ),
        (PermissionTicket.decode(status: 201, body: Array("{}".utf8)), .authorizationServer(.missingTicket)),
        (.success(PermissionTicket("t\"1")), .unsafeChallenge),
    ])
    func ticketFailureFailsClosed(
        outcome: Result<PermissionTicket, AuthorizationServerError>,
        denial: EnforcementDenial
    ) {
        var driver = EnforcementDriver(policy: F0.policy(mode: F0.uma2, ticketOnInsufficientScope: true))
        driver.ticketOverride = outcome
        #expect(driver.run("GET", F0.photosGet, token: .none).response?.denial == denial)
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_ADD")).response?.denial == denial)
    }

    /// uma2 mode without a registered resource id for the rule is 502, with and without a token.
    @Test(arguments: [BearerToken.none, .token("RPT_VIEW")])
    func unregisteredResourceFailsClosed(token: BearerToken) {
        var driver = EnforcementDriver(policy: F0.policy(mode: F0.uma2))
        #expect(
            driver.run("GET", F0.rule(3, 0, registered: false), token: token).response?.denial == .resourceNotRegistered
        )
    }

    /// SECURITY.md case 19: a client_id with CR LF copied into a plain header fails closed before any
    /// check-access call, and nothing is cached.
    @Test(arguments: [EnforcementMode.oxd, F0.uma2])
    func injectedIntrospectionValueFailsClosed(mode: EnforcementMode) {
        let headers = [CustomHeader(headerName: "X-OAuth-Client-ID", expression: .introspectData(["client_id"]))]
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, customHeaders: headers))
        driver.introspection["RPT_EVIL"] = .success(
            F0.active(
                clientId: "c1\r\nX-Authenticated-Scope: admin",
                permissions: [("photos", ["view"])],
                sub: .string("a\u{0}b")
            )
        )
        let action = driver.run("GET", F0.photosGet, token: .token("RPT_EVIL"))
        #expect(action.response?.denial == .unsafeUpstreamHeader(.unsafeValue(header: "X-OAuth-Client-ID")))
        #expect(action.response?.status == 502)
        #expect(driver.calls == [.introspect("RPT_EVIL")])
        #expect(driver.lastUpdates.isEmpty)
    }

    /// The same evil data inside a phantom token is base64-encoded, so it is forwarded safely.
    @Test func injectedValueInsidePhantomTokenIsEncoded() {
        var driver = EnforcementDriver(policy: F0.policy(passCredentials: .phantomToken))
        driver.introspection["RPT_EVIL"] = .success(
            F0.active(clientId: "c1\r\nX-Authenticated-Scope: admin", permissions: [("photos", ["view"])])
        )
        let fields = driver.run("GET", F0.photosGet, token: .token("RPT_EVIL")).mutations?.setHeaders ?? []
        #expect(fields.count == 1)
        #expect(fields.allSatisfy { HeaderField.isValidValue($0.value) })
    }

    /// Custom headers that are unsafe even for anonymous requests fail every anonymous forward closed.
    @Test func unsafeAnonymousHeadersFailClosed() {
        let headers = [CustomHeader(headerName: "X-Env", expression: .literal("a\nb"))]
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false, customHeaders: headers))
        #expect(
            driver.run("GET", nil, token: .none).response?.denial
                == .unsafeUpstreamHeader(.unsafeValue(header: "X-Env"))
        )
    }

    /// Events out of order, or after the end, answer 502 and never forward.
    @Test func outOfOrderEventsFailClosed() {
        let request = EnforcementRequest(method: "GET", rule: F0.photosGet, token: .token("RPT_VIEW"), now: F0.now)
        var early = EnforcementStateMachine(policy: F0.policy(), request: request)
        #expect(early.checkAccessCompleted(.success(.granted), now: F0.now).action.response?.denial == .unexpectedEvent)

        var machine = EnforcementStateMachine(policy: F0.policy(), request: request)
        #expect(machine.start().action == .introspect(token: "RPT_VIEW"))
        #expect(machine.ticketCompleted(.success(PermissionTicket("t"))).action.response?.denial == .unexpectedEvent)
        #expect(machine.start().action.response?.denial == .unexpectedEvent)
        #expect(
            machine.introspectionCompleted(.success(F0.tokens["RPT_VIEW"] ?? F0.inactive), now: F0.now).action.response?
                .denial
                == .unexpectedEvent
        )
    }
}
