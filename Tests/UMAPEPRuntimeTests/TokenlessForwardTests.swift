import PEPCore
import Testing

@testable import PEPProxy
@testable import UMAPEPRuntime

/// A request without `Authorization` on a public condition or on a path no rule matches is answered by the
/// service's policy alone: the driver keeps the state machine's first such forward and repeats it (with the
/// request's own rule index), and decides everything else per request (a refusal, report-only's `would_deny`
/// forward, any request with a token).
@Suite struct TokenlessForwardTests {
    /// Rules 0 and 2 public, rule 1 protected.
    static let document = ProtectionDocument(rules: [
        ResourceRule(path: "/public/??", conditions: [RuleCondition(httpMethods: ["GET"], isPublic: true)]),
        ResourceRule(path: "/photos/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["view"])]),
        ResourceRule(path: "/docs/??", conditions: [RuleCondition(httpMethods: ["?"], isPublic: true)]),
    ])

    static func driver(
        denyByDefault: Bool, reportOnly: Bool = false, customHeaders: [CustomHeader] = []
    ) throws -> (EnforcementDriver, EnforcementDriver.ServiceContext) {
        let context = try EnforcementDriver.ServiceContext.photos(
            document: Self.document, denyByDefault: denyByDefault, customHeaders: customHeaders,
            backend: DriverAuthorizationBudgetTests.HeldBackend(), reportOnly: reportOnly)
        let driver = EnforcementDriver(services: [context], cacheLimits: CacheLimits(maxEntries: 64), metrics: nil)
        return (driver, context)
    }

    static func request(_ method: String, _ path: String, token: String? = nil) -> AuthorizationRequest {
        AuthorizationRequest(
            serviceIndex: 0, method: method, path: path, authorization: token.map { "Bearer \($0)" })
    }

    /// The detail, rule index and added field lines of a forward, or `nil` for anything else.
    static func forward(_ decision: AuthorizationDecision?) -> (String, Int?, String)? {
        guard case .forward(let mutations, let detail, let ruleIndex)? = decision else { return nil }
        return (detail, ruleIndex, String(decoding: mutations.setLines, as: UTF8.self))
    }

    @Test func publicAndUnmatchedForwardsAreKeptWithEachRequestsRule() throws {
        let (driver, context) = try Self.driver(denyByDefault: false)
        #expect(context.tokenlessForward(public: true) == nil)
        let first = try #require(Self.forward(driver.authorize(Self.request("GET", "/public/a"), resume: .detached)))
        #expect(first.0 == "pep.public_rule" && first.1 == 0)
        #expect(first.2 == "X-Anonymous-Consumer: true\r\n")
        #expect(context.tokenlessForward(public: true)?.forward != nil, "kept after the first request")
        // Repeated, with the rule of the request at hand.
        let again = try #require(Self.forward(driver.authorize(Self.request("GET", "/public/b"), resume: .detached)))
        #expect(again.0 == "pep.public_rule" && again.1 == 0 && again.2 == first.2)
        let other = try #require(Self.forward(driver.authorize(Self.request("PUT", "/docs/x"), resume: .detached)))
        #expect(other.0 == "pep.public_rule" && other.1 == 2)
        // No rule matches: anonymous-unprotected, no rule index.
        for _ in 0..<2 {
            let unmatched = try #require(
                Self.forward(driver.authorize(Self.request("GET", "/elsewhere"), resume: .detached)))
            #expect(unmatched.0 == "pep.anonymous_unprotected" && unmatched.1 == nil)
        }
        #expect(context.tokenlessForward(public: false)?.forward != nil)
        // A protected rule without a token still goes to the authorization server (no forward).
        #expect(Self.forward(driver.authorize(Self.request("GET", "/photos/1"), resume: .detached)) == nil)
        // A public rule with a token is decided by the machine (here: also forwarded anonymously).
        let withToken = Self.forward(driver.authorize(Self.request("GET", "/public/a", token: "T"), resume: .detached))
        #expect(withToken?.0 == "pep.public_rule")
    }

    @Test func customHeadersOfAnonymousRequestsAreKept() throws {
        let header = CustomHeader(headerName: "X-Tier", expression: .literal("free"))
        let (driver, _) = try Self.driver(denyByDefault: false, customHeaders: [header])
        for _ in 0..<2 {
            let forward = try #require(
                Self.forward(driver.authorize(Self.request("GET", "/public/a"), resume: .detached)))
            #expect(forward.2 == "X-Tier: free\r\nX-Anonymous-Consumer: true\r\n")
        }
    }

    @Test func refusalsAndReportOnlyForwardsAreDecidedPerRequest() throws {
        let (denying, context) = try Self.driver(denyByDefault: true)
        for _ in 0..<2 {
            let decision = denying.authorize(Self.request("GET", "/elsewhere"), resume: .detached)
            guard case .respond(let response, _, _)? = decision else {
                Issue.record("expected a refusal, got \(String(describing: decision))")
                return
            }
            #expect(response.status >= 400)
        }
        #expect(context.tokenlessForward(public: false) != nil)
        #expect(context.tokenlessForward(public: false)?.forward == nil, "a refusal is not kept as a forward")
        let (reporting, _) = try Self.driver(denyByDefault: true, reportOnly: true)
        for _ in 0..<2 {
            let forward = Self.forward(reporting.authorize(Self.request("GET", "/elsewhere"), resume: .detached))
            #expect(forward?.0.hasPrefix("\(ReportOnly.detailPrefix)") == true)
        }
    }
}

extension TokenlessForwardTests {
    /// On a worker (its match cache in play), paths that resolve to different rules, and no rule, keep their
    /// own answers however often and in whatever order they come.
    @Test func workerRequestsKeepTheirOwnRules() throws {
        let (_, context) = try Self.driver(denyByDefault: false)
        let driver = EnforcementDriver(
            services: [context], cacheLimits: CacheLimits(maxEntries: 64), metrics: nil, workers: 1)
        let cases: [(String, String, String?, Int?)] = [
            ("GET", "/public/a", "pep.public_rule", 0), ("PUT", "/docs/x", "pep.public_rule", 2),
            ("GET", "/elsewhere", "pep.anonymous_unprotected", nil), ("GET", "/photos/1", nil, nil),
            ("POST", "/public/a", "pep.anonymous_unprotected", nil),
        ]
        for _ in 0..<3 {
            for (method, path, detail, rule) in cases {
                let request = AuthorizationRequest(
                    serviceIndex: 0, method: method, path: path, authorization: nil, worker: 0)
                let forward = Self.forward(driver.authorize(request, resume: .detached))
                #expect(forward?.0 == detail, "\(method) \(path)")
                #expect(forward?.1 == rule, "\(method) \(path)")
            }
        }
    }
}
