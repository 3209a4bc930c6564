@testable import PEPCore

/// Shared fixtures for the enforcement tests: SECURITY.md fixture F0 (rules, tokens) and a small driver that
/// runs the state machine against in-memory caches and a fake authorization server (oxd or UMA 2.0).
enum F0 {
    static let now: Int64 = 1_700_000_000
    static let issuer = "https://as.test"
    static let challengePrefix = "UMA realm=\"rs\",as_uri=\"https://as.test\",error=\"insufficient_scope\",ticket="

    /// `/public/??` (any, public), `/files/??/preview` (GET, public), `/files/??` (GET view),
    /// `/photos/??` (GET view by expression; POST/PUT add, ticketScopes add), `/admin/??` (any, admin),
    /// `/reports/??` (GET, no scopes: the resource alone is protected).
    static let document = ProtectionDocument(rules: [
        ResourceRule(path: "/public/??", conditions: [RuleCondition(httpMethods: ["?"], isPublic: true)]),
        ResourceRule(path: "/files/??/preview", conditions: [RuleCondition(httpMethods: ["GET"], isPublic: true)]),
        ResourceRule(path: "/files/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["view"])]),
        ResourceRule(
            path: "/photos/??",
            conditions: [
                RuleCondition(
                    httpMethods: ["GET"],
                    scopeExpression: ScopeExpression(rule: .or([.variable(0)]), data: ["view"])
                ),
                RuleCondition(httpMethods: ["POST", "PUT"], scopes: ["add"], ticketScopes: ["add"]),
            ]
        ),
        ResourceRule(path: "/admin/??", conditions: [RuleCondition(httpMethods: ["?"], scopes: ["admin"])]),
        ResourceRule(path: "/reports/??", conditions: [RuleCondition(httpMethods: ["GET"])]),
    ])

    static let resourceIds: [Int: String] = [2: "files", 3: "photos", 4: "admin", 5: "reports"]

    static func rule(_ ruleIndex: Int, _ conditionIndex: Int = 0, registered: Bool = true) -> MatchedRule {
        let rule = Self.document.rules[ruleIndex]
        return MatchedRule(
            match: RuleMatch(ruleIndex: ruleIndex, conditionIndex: conditionIndex, pattern: rule.path),
            condition: rule.conditions[conditionIndex],
            resourceId: registered ? Self.resourceIds[ruleIndex] : nil
        )
    }

    static let photosGet = rule(3, 0)
    static let photosPost = rule(3, 1)
    static let adminAny = rule(4, 0)
    static let publicAny = rule(0, 0)
    static let reportsGet = rule(5, 0)

    /// An active RPT introspection as oxd / an AS returns it, with `raw` as received.
    static func active(
        clientId: String = "c1",
        permissions: [(String, [String])],
        exp: Int64 = now + 300,
        sub: JSONValue? = nil
    ) -> IntrospectionResult {
        var members: [String: JSONValue] = [
            "active": .bool(true), "exp": .int(exp), "iat": .int(now - 60), "client_id": .string(clientId),
            "permissions": .array(
                permissions.map {
                    .object([
                        "resource_id": .string($0.0), "resource_scopes": .array($0.1.map { .string($0) }),
                        "exp": .int(exp),
                    ])
                }
            ),
        ]
        if let sub { members["sub"] = sub }
        guard case .success(let result) = IntrospectionResult.decode(json: .object(members)) else {
            fatalError("fixture must decode")
        }
        return result
    }

    static let inactive = IntrospectionResult(active: false, raw: .object(["active": .bool(false)]))

    static let tokens: [String: IntrospectionResult] = [
        "RPT_VIEW": active(permissions: [("photos", ["view"]), ("files", ["view"])]),
        "RPT_ADD": active(permissions: [("photos", ["add"])]),
        "RPT_ADMIN": active(permissions: [("admin", ["admin"])]),
        "RPT_REPORTS": active(permissions: [("reports", [])]),
        "BAD": inactive,
    ]

    static func policy(
        mode: EnforcementMode = .oxd,
        denyByDefault: Bool = true,
        passCredentials: PassCredentials = .pass,
        ticketOnInsufficientScope: Bool = false,
        customHeaders: [CustomHeader] = [],
        consumerMapping: Bool = false,
        consumers: [Consumer] = [],
        negativeTTL: Duration = .seconds(10),
        ttlWithoutExp: Duration = .seconds(60),
        clockSkew: Duration = .seconds(30),
        claims: ClaimsGatheringPolicy = .off,
        cachesIntrospectionJSON: Bool = true
    ) -> EnforcementPolicy {
        EnforcementPolicy(
            service: ServicePolicy(
                serviceName: "api",
                authorizationServer: "as1",
                denyByDefault: denyByDefault,
                passCredentials: passCredentials,
                ticketOnInsufficientScope: ticketOnInsufficientScope,
                customHeaders: customHeaders,
                claims: claims
            ),
            mode: mode,
            consumerMapping: consumerMapping,
            consumers: consumers,
            negativeCacheTTL: negativeTTL,
            ttlWithoutExp: ttlWithoutExp,
            clockSkew: clockSkew,
            cachesIntrospectionJSON: cachesIntrospectionJSON
        )
    }

    static let uma2 = EnforcementMode.uma2(realm: "rs", asURI: issuer)
}

/// One call the fake authorization server received.
enum ASCall: Equatable {
    case introspect(String)
    case checkAccess(rpt: String, pattern: String, method: String)
    case requestTicket(resourceId: String, scopes: [String])
    case obtainRPT(ticket: String)
    case claimsGatheringURL(ticket: String)
}

/// Runs requests through the state machine, answering its actions from a fake AS and in-memory caches that
/// honour the emitted keys and TTLs. Models the shell; asserts nothing itself.
struct EnforcementDriver {
    var policy: EnforcementPolicy
    var now: Int64 = F0.now
    /// Token → introspection answer; unknown tokens are inactive.
    var introspection: [String: Result<IntrospectionResult, AuthorizationServerError>] =
        F0.tokens.mapValues { .success($0) }
    /// Overrides the computed check-access answer.
    var checkAccessOverride: Result<CheckAccessResponse, AuthorizationServerError>?
    /// Overrides the permission endpoint answer.
    var ticketOverride: Result<PermissionTicket, AuthorizationServerError>?
    /// `obtain_rpt`: the RPT answers, in order (a missing one is a transport failure).
    var rptAnswers: [Result<RPTOutcome, AuthorizationServerError>] = []
    /// The token is the RPT of a claims-gathering session cookie (`EnforcementRequest.tokenFromSession`).
    var tokenFromSession = false
    /// The claims-gathering URL answer.
    var claimsURLAnswer: Result<String, AuthorizationServerError> = .success("https://as.test/gather_claims?x=1")
    private(set) var calls: [ASCall] = []
    private(set) var ticketsIssued = 0
    private(set) var introspectionCache: [IntrospectionCacheKey: (IntrospectionResult, Int64)] = [:]
    private(set) var grantCache: [DecisionCacheKey: (CachedGrant, Int64)] = [:]
    private(set) var headerCache: [UpstreamHeadersCacheKey: ([HeaderField], Int64)] = [:]
    private(set) var lastMetrics = EnforcementMetrics()
    private(set) var lastUpdates: [CacheUpdate] = []

    init(policy: EnforcementPolicy) {
        self.policy = policy
    }

    /// Runs one request to its terminal action.
    mutating func run(_ method: String, _ rule: MatchedRule?, token: BearerToken) -> EnforcementAction {
        let service = self.policy.service
        var request = EnforcementRequest(method: method, rule: rule, token: token, now: self.now)
        request.tokenFromSession = self.tokenFromSession
        if let token = token.tokenValue {
            let introspectionKey = IntrospectionCacheKey(
                authorizationServer: service.authorizationServer ?? "", token: token)
            request.cachedIntrospection = self.fresh(self.introspectionCache[introspectionKey])
            let headersKey = UpstreamHeadersCacheKey(
                service: service.serviceName,
                authorizationServer: service.authorizationServer ?? "",
                token: token
            )
            request.cachedUpstreamHeaders = self.fresh(self.headerCache[headersKey])
            if let rule {
                let decisionKey = DecisionCacheKey(
                    service: service.serviceName,
                    authorizationServer: service.authorizationServer ?? "",
                    ruleIndex: rule.match.ruleIndex,
                    conditionIndex: rule.match.conditionIndex,
                    method: request.authorizationMethod,
                    token: token
                )
                request.cachedGrant = self.fresh(self.grantCache[decisionKey])
            }
        }
        var machine = EnforcementStateMachine(policy: self.policy, request: request)
        var step = machine.start()
        self.lastUpdates = []
        while true {
            self.apply(step.cacheUpdates)
            switch step.action {
            case .forward, .respond, .claimsRedirect:
                self.lastMetrics = machine.metrics
                return step.action
            case .obtainRPT(let ticket):
                self.calls.append(.obtainRPT(ticket: ticket))
                let answer = self.rptAnswers.isEmpty ? .failure(.transport) : self.rptAnswers.removeFirst()
                step = machine.rptCompleted(answer)
            case .claimsGatheringURL(let ticket, _):
                self.calls.append(.claimsGatheringURL(ticket: ticket))
                step = machine.claimsGatheringURLCompleted(self.claimsURLAnswer)
            case .introspect(let token):
                self.calls.append(.introspect(token))
                step = machine.introspectionCompleted(self.introspection[token] ?? .success(F0.inactive), now: self.now)
            case .checkAccess(let rpt, let pattern, let method):
                self.calls.append(.checkAccess(rpt: rpt, pattern: pattern, method: method))
                step = machine.checkAccessCompleted(
                    self.checkAccessOverride ?? self.oxdCheckAccess(rpt: rpt, rule: rule),
                    now: self.now
                )
            case .requestTicket(let resourceId, let scopes):
                self.calls.append(.requestTicket(resourceId: resourceId, scopes: scopes))
                step = machine.ticketCompleted(self.ticketOverride ?? .success(self.nextTicket()))
            }
        }
    }

    /// oxd's `RsCheckAccessOperation` over the same fixture (Part B §4.4).
    private mutating func oxdCheckAccess(
        rpt: String,
        rule: MatchedRule?
    ) -> Result<CheckAccessResponse, AuthorizationServerError> {
        guard let rule, let resourceId = F0.resourceIds[rule.match.ruleIndex] else {
            return .failure(.unexpectedStatus(400))
        }
        if !rpt.isEmpty, case .success(let result)? = self.introspection[rpt],
            UMA2Decision.isGranted(
                result,
                resourceId: resourceId,
                requiredScopes: rule.condition.requiredScopes,
                now: self.now
            )
        {
            return .success(.granted)
        }
        let ticket = self.nextTicket().value
        return .success(.denied(wwwAuthenticate: F0.challengePrefix + "\"\(ticket)\"", ticket: ticket))
    }

    private mutating func nextTicket() -> PermissionTicket {
        self.ticketsIssued += 1
        return PermissionTicket("T\(self.ticketsIssued)")
    }

    private func fresh<Value>(_ entry: (Value, Int64)?) -> Value? {
        guard let entry, self.now < entry.1 else { return nil }
        return entry.0
    }

    private mutating func apply(_ updates: [CacheUpdate]) {
        self.lastUpdates += updates
        for update in updates {
            switch update {
            case .storeIntrospection(let key, let value, let ttl):
                self.introspectionCache[key] = (value, self.now + ttl.components.seconds)
            case .storeGrant(let key, let value, let ttl):
                self.grantCache[key] = (value, self.now + ttl.components.seconds)
            case .removeGrant(let key):
                self.grantCache[key] = nil
            case .storeUpstreamHeaders(let key, let value, let ttl):
                self.headerCache[key] = (value, self.now + ttl.components.seconds)
            }
        }
    }
}

extension EnforcementAction {
    /// The response, if this is `.respond`.
    var response: PEPResponse? {
        if case .respond(let response) = self { return response }
        return nil
    }

    /// The mutations, if this is `.forward`.
    var mutations: UpstreamMutations? {
        if case .forward(let mutations) = self { return mutations }
        return nil
    }

    /// `status` of a response, 200 for a forward (what the client sees from a healthy upstream).
    var clientStatus: Int {
        self.response?.status ?? 200
    }

    var bodyText: String {
        self.response.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
    }
}
