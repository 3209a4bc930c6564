import PEPCore
import PEPMetrics
import Testing

@testable import PEPProxy
@testable import UMAPEPRuntime

/// The admin API's pure parts: routing, the token check, the cache-flush body and the query parameters.
@Suite struct AdminAPITests {
    @Test(
        arguments: [
            ("GET", "/status", AdminAPI.Route.status), ("HEAD", "/status", .status), ("GET", "/config", .config),
            ("GET", "/services", .services), ("GET", "/cache", .cache), ("POST", "/cache/flush", .flush),
            ("POST", "/reload", .reload), ("GET", "/services/api/match", .match(service: "api")),
            ("HEAD", "/services/a.b-c/match", .match(service: "a.b-c")),
            ("POST", "/status", .methodNotAllowed(allow: "GET, HEAD")),
            ("DELETE", "/services/api/match", .methodNotAllowed(allow: "GET, HEAD")),
            ("GET", "/reload", .methodNotAllowed(allow: "POST")),
            ("PUT", "/cache/flush", .methodNotAllowed(allow: "POST")),
            ("GET", "/metrics", .other), ("GET", "/readyz", .other), ("GET", "/services//match", .other),
            ("GET", "/services/api/match/x", .other), ("GET", "/services/api", .other), ("GET", "/", .other),
        ] as [(String, String, AdminAPI.Route)])
    func routes(method: String, path: String, expected: AdminAPI.Route) {
        #expect(AdminAPI.route(method: method, path: path) == expected)
    }

    @Test(
        arguments: [
            (nil, "0123456789abcdef", AdminAPI.Authorization.unauthorized),
            ("Bearer 0123456789abcdef", "0123456789abcdef", .allowed),
            ("bearer 0123456789abcdef", "0123456789abcdef", .allowed),
            ("Bearer 0123456789abcdeF", "0123456789abcdef", .unauthorized),
            ("Bearer 0123456789abcde", "0123456789abcdef", .unauthorized),
            ("Bearer 0123456789abcdef0", "0123456789abcdef", .unauthorized),
            ("Basic 0123456789abcdef", "0123456789abcdef", .unauthorized),
            ("Bearer ", "0123456789abcdef", .unauthorized), ("0123456789abcdef", "0123456789abcdef", .unauthorized),
            ("Bearer 0123456789abcdef", nil, .disabled), (nil, nil, .disabled),
        ] as [(String?, String?, AdminAPI.Authorization)])
    func authorization(header: String?, token: String?, expected: AdminAPI.Authorization) {
        #expect(AdminAPI.authorize(header: header, token: token.map(ConfigSecret.init)) == expected)
    }

    @Test func constantTimeEqualsComparesEveryByte() {
        #expect(AdminAPI.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(AdminAPI.constantTimeEquals([], []))
        #expect(!AdminAPI.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AdminAPI.constantTimeEquals(Array("abc".utf8), Array("abc\u{0}".utf8)))
        #expect(!AdminAPI.constantTimeEquals(Array("".utf8), Array("a".utf8)))
    }

    @Test(
        arguments: [
            ("", AdminFlushRequest.all), (" \n", .all), ("{}", .all), (#"{"service":"api"}"#, .service("api")),
            (#"{"token":"abc"}"#, .token("abc")), (#"{"token":"Bearer abc"}"#, .token("abc")),
        ] as [(String, AdminFlushRequest)])
    func flushBodies(body: String, expected: AdminFlushRequest) {
        #expect(AdminFlushRequest.parse(Array(body.utf8)) == .success(expected))
    }

    @Test(arguments: [
        "[]", "nope", #"{"tokens":"abc"}"#, #"{"service":"api","token":"secret-token"}"#, #"{"service":""}"#,
        #"{"token":7}"#, #"{"token":"Bearer "}"#,
    ])
    func badFlushBodiesNeverEchoTheToken(body: String) {
        guard case .failure(let failure) = AdminFlushRequest.parse(Array(body.utf8)) else {
            Issue.record("\(body) parsed")
            return
        }
        #expect(!failure.text.contains("secret-token"))
        #expect(!failure.text.isEmpty)
    }

    @Test func queryParametersArePercentDecodedOnce() {
        let parameters = PEPRuntime.queryParameters("method=HEAD&path=%2Fa%252Fb+c&path=/second&flag")
        #expect(parameters == ["method": "HEAD", "path": "/a%2Fb+c", "flag": ""])
        #expect(PEPRuntime.queryParameters(nil).isEmpty)
    }

    @Test(arguments: [("GET", true), ("M-SEARCH", true), ("", false), ("GET /", false), ("G\u{0}T", false)])
    func methodTokens(method: String, valid: Bool) {
        #expect(PEPRuntime.isMethodToken(method) == valid)
    }
}

/// `enforcement: report_only`: the refusal enforcement decides becomes a forward marked `would_deny`.
@Suite struct ReportOnlyTests {
    static let document = ProtectionDocument(rules: [
        ResourceRule(path: "/photos/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["view"])])
    ])

    static func driver(reportOnly: Bool, passCredentials: PassCredentials) throws -> EnforcementDriver {
        let context = try EnforcementDriver.ServiceContext.photos(
            document: Self.document, denyByDefault: true, passCredentials: passCredentials,
            baseRemove: ["x-consumer-id"], reportOnly: reportOnly)
        return EnforcementDriver(services: [context], cacheLimits: CacheLimits(maxEntries: 64), metrics: nil)
    }

    static func request(_ path: String) -> AuthorizationRequest {
        AuthorizationRequest(serviceIndex: 0, method: "GET", path: path, authorization: nil)
    }

    /// An unmatched path on a `deny_by_default` service: 403 when enforcing, a forward when reporting.
    @Test(arguments: [
        (PassCredentials.pass, ["x-consumer-id"]), (.hide, ["x-consumer-id", "authorization"]),
        (.phantomToken, ["x-consumer-id", "authorization"]),
    ])
    func refusalBecomesAForward(passCredentials: PassCredentials, removed: [String]) throws {
        let enforcing = try Self.driver(reportOnly: false, passCredentials: passCredentials)
        guard case .respond(let response, let detail, _)? = enforcing.authorize(Self.request("/x"), resume: .detached)
        else {
            Issue.record("enforcing did not refuse")
            return
        }
        #expect(response.status == 403)
        let reporting = try Self.driver(reportOnly: true, passCredentials: passCredentials)
        guard
            case .forward(let mutations, let wouldDeny, _)? = reporting.authorize(
                Self.request("/x"), resume: .detached)
        else {
            Issue.record("report_only did not forward")
            return
        }
        #expect(wouldDeny == "would_deny.403." + detail)
        #expect(mutations.remove == removed)
        #expect(mutations.set.isEmpty)
    }

    /// A forward passes through unchanged; a refusal becomes a forward with the service's removals.
    @Test func forwardsAreLeftAlone() throws {
        let context = try Self.driver(reportOnly: true, passCredentials: .pass).services[0]
        let forward = AuthorizationDecision.forward(.none, detail: "pep.granted", ruleIndex: 0)
        guard case .forward(let kept, let keptDetail, let keptRule) = ReportOnly.forward(forward, context: context)
        else {
            Issue.record("a forward was changed into a refusal")
            return
        }
        #expect(kept == .none && keptDetail == "pep.granted" && keptRule == 0)
        let result = ReportOnly.forward(
            status: 401, detail: "pep.ticket_issued", ruleIndex: 2, passCredentials: .pass,
            removal: (HeaderMutations(remove: ["a"]), HeaderMutations(remove: ["a", "authorization"])))
        guard case .forward(let mutations, let detail, let rule) = result else {
            Issue.record("not a forward")
            return
        }
        #expect(detail == "would_deny.401.pep.ticket_issued" && rule == 2 && mutations.remove == ["a"])
    }

    /// The metrics label of a report-only forward, whatever the refusal was.
    @Test(arguments: [
        "would_deny.401.pep.ticket_issued", "would_deny.403.pep.not_authorized", "would_deny.502.pep.as_error",
        "would_deny.503.pep.authorization_budget_exceeded",
    ])
    func metricsLabel(detail: String) {
        let record = ExchangeRecord(
            serviceIndex: 0, ruleIndex: nil, method: "GET", status: 200, nanoseconds: 1000, detail: detail,
            worker: 0, upstreamFailure: nil)
        #expect(MetricsObserver.decision(record) == .wouldDeny)
    }
}
