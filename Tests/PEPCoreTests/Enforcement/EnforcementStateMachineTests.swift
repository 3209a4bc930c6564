import Testing

@testable import PEPCore

/// The decision table: Part B §2.4a (anonymous-ON column, SPEC A1) and §2.4 rows P1–P9, in both modes.
@Suite struct EnforcementStateMachineTests {
    static let unauthorized = #"{"message":"Unauthorized"}"#
    static let noTokenUnprotected = #"{"message":"Invalid request, no token and no protected path"}"#
    static let unprotected = #"{"message":"Unprotected path\/method are not allowed"}"#
    static let notAuthorized = #"{"message":"You are not authorized to access this resource"}"#
    static let unknownConsumer = #"{"message":"Unknown consumer"}"#

    struct Row: CustomTestStringConvertible, Sendable {
        let label: String
        var denyByDefault = true
        var consumerMapping = false
        let method: String
        let rule: MatchedRule?
        let token: BearerToken
        let status: Int
        var body = ""
        var challenge = false
        var testDescription: String { self.label }
    }

    static let matrix: [Row] = [
        Row(
            label: "no token, protected → ticket",
            method: "GET",
            rule: F0.photosGet,
            token: .none,
            status: 401,
            body: unauthorized,
            challenge: true
        ),
        Row(
            label: "non-Bearer credentials, protected → ticket",
            method: "GET",
            rule: F0.photosGet,
            token: BearerToken.parse("Basic dXNlcjpwYXNz"),
            status: 401,
            body: unauthorized,
            challenge: true
        ),
        Row(
            label: "no token, unprotected, deny_by_default → 403",
            method: "GET",
            rule: nil,
            token: .none,
            status: 403,
            body: noTokenUnprotected
        ),
        Row(
            label: "no token, unprotected, allow → upstream",
            denyByDefault: false,
            method: "GET",
            rule: nil,
            token: .none,
            status: 200
        ),
        Row(
            label: "inactive token, protected → ticket",
            method: "GET",
            rule: F0.photosGet,
            token: .token("BAD"),
            status: 401,
            body: unauthorized,
            challenge: true
        ),
        Row(
            label: "inactive token, unprotected, deny_by_default → 403 no token",
            method: "GET",
            rule: nil,
            token: .token("BAD"),
            status: 403,
            body: noTokenUnprotected
        ),
        Row(
            label: "inactive token, unprotected, allow → upstream",
            denyByDefault: false,
            method: "GET",
            rule: nil,
            token: .token("BAD"),
            status: 200
        ),
        Row(
            label: "active token, unknown consumer, protected → 401",
            consumerMapping: true,
            method: "GET",
            rule: F0.photosGet,
            token: .token("RPT_VIEW"),
            status: 401,
            body: unknownConsumer
        ),
        Row(
            label: "active token, unknown consumer, unprotected → 401",
            denyByDefault: false,
            consumerMapping: true,
            method: "GET",
            rule: nil,
            token: .token("RPT_VIEW"),
            status: 401,
            body: unknownConsumer
        ),
        Row(
            label: "active RPT with the permission → upstream",
            method: "GET",
            rule: F0.photosGet,
            token: .token("RPT_VIEW"),
            status: 200
        ),
        Row(
            label: "active RPT without the permission → 403",
            method: "GET",
            rule: F0.photosGet,
            token: .token("RPT_ADD"),
            status: 403,
            body: notAuthorized
        ),
        Row(
            label: "active RPT, other method's scope → 403",
            method: "POST",
            rule: F0.photosPost,
            token: .token("RPT_VIEW"),
            status: 403,
            body: notAuthorized
        ),
        Row(
            label: "active token, unprotected, deny_by_default → 403 unprotected",
            method: "GET",
            rule: nil,
            token: .token("RPT_VIEW"),
            status: 403,
            body: unprotected
        ),
        Row(
            label: "active token, unprotected, allow → upstream",
            denyByDefault: false,
            method: "GET",
            rule: nil,
            token: .token("RPT_VIEW"),
            status: 200
        ),
        Row(
            label: "method wildcard rule, admin RPT → upstream",
            method: "DELETE",
            rule: F0.adminAny,
            token: .token("RPT_ADMIN"),
            status: 200
        ),
    ]

    static let modes: [EnforcementMode] = [.oxd, F0.uma2]

    /// Every row of the combined matrix gives the anonymous-ON outcome (A6 aside) in both modes.
    @Test(arguments: Self.matrix, Self.modes)
    func matrixRow(_ row: Row, mode: EnforcementMode) {
        var driver = EnforcementDriver(
            policy: F0.policy(mode: mode, denyByDefault: row.denyByDefault, consumerMapping: row.consumerMapping)
        )
        let action = driver.run(row.method, row.rule, token: row.token)
        #expect(action.clientStatus == row.status)
        #expect(action.bodyText == row.body)
        let challenge = action.response?.headers.first { $0.name == "WWW-Authenticate" }?.value
        #expect((challenge != nil) == row.challenge)
        if row.challenge { #expect(challenge == F0.challengePrefix + "\"T1\"") }
    }

    /// oxd mode and uma2 mode answer every matrix row identically (SPEC A9).
    @Test(arguments: Self.matrix)
    func modesAreIndistinguishable(_ row: Row) {
        var actions: [EnforcementAction] = []
        for mode in Self.modes {
            var driver = EnforcementDriver(
                policy: F0.policy(mode: mode, denyByDefault: row.denyByDefault, consumerMapping: row.consumerMapping)
            )
            actions.append(driver.run(row.method, row.rule, token: row.token))
        }
        #expect(actions[0].response == actions[1].response)
        #expect(actions[0].mutations?.setHeaders == actions[1].mutations?.setHeaders)
        #expect(actions[0].mutations?.removeAuthorization == actions[1].mutations?.removeAuthorization)
    }

    /// Synchronous path for every matrix row: a repeat of the request, answered from the caches the first run
    /// filled (introspection, headers, grant), gives the client the same answer without introspecting again.
    @Test(arguments: Self.matrix, Self.modes)
    func repeatedRequestIsAnsweredFromCache(_ row: Row, mode: EnforcementMode) {
        var driver = EnforcementDriver(
            policy: F0.policy(mode: mode, denyByDefault: row.denyByDefault, consumerMapping: row.consumerMapping)
        )
        let first = driver.run(row.method, row.rule, token: row.token)
        let introspections = driver.calls.filter { if case .introspect = $0 { return true } else { return false } }
        let second = driver.run(row.method, row.rule, token: row.token)
        #expect(second.clientStatus == first.clientStatus)
        #expect(second.bodyText == first.bodyText)
        #expect(second.mutations?.setHeaders == first.mutations?.setHeaders)
        let unknownConsumer = first.response?.denial == .unknownConsumer
        let introspectionsAfter = driver.calls.filter { if case .introspect = $0 { return true } else { return false } }
        #expect(introspectionsAfter.count == introspections.count * (unknownConsumer ? 2 : 1))
    }

    /// P1: active token, no rule, deny_by_default → 403 after introspection only.
    @Test func p1UnprotectedPathWithToken() {
        var driver = EnforcementDriver(policy: F0.policy())
        let action = driver.run("GET", nil, token: .token("RPT_VIEW"))
        #expect(action.response?.denial == .unprotectedPath)
        #expect(driver.calls == [.introspect("RPT_VIEW")])
        #expect(driver.lastMetrics.authenticatedClientId == "c1")
    }

    /// P3 (oxd): check-access with `rpt: ""`, the pattern and the real method; the challenge is passed verbatim.
    @Test func p3TicketViaOxd() {
        var driver = EnforcementDriver(policy: F0.policy())
        let action = driver.run("POST", F0.photosPost, token: .none)
        #expect(driver.calls == [.checkAccess(rpt: "", pattern: "/photos/??", method: "POST")])
        #expect(action.response?.denial == .ticketIssued(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
        #expect(driver.lastMetrics.ticketIssued)
        #expect(driver.lastMetrics.authenticatedClientId == nil)
        #expect(driver.lastUpdates.isEmpty)
    }

    /// P3 (uma2): a ticket for the registered resource with the condition's ticket scopes (Part B §4.4 step 5).
    @Test(arguments: [
        (F0.photosPost, "POST", ["add"]), (F0.photosGet, "GET", ["view"]), (F0.adminAny, "PUT", ["admin"]),
    ])
    func p3TicketViaPermissionEndpoint(rule: MatchedRule, method: String, scopes: [String]) {
        var driver = EnforcementDriver(policy: F0.policy(mode: F0.uma2))
        let action = driver.run(method, rule, token: .none)
        #expect(driver.calls == [.requestTicket(resourceId: rule.resourceId ?? "", scopes: scopes)])
        #expect(action.response?.denial == .ticketIssued(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
        #expect(driver.lastMetrics.ticketIssued)
    }

    /// A condition without scopes (Gluu Gateway's test documents): a token-less request gets a ticket naming the
    /// resource and no scopes (uma2), or whatever oxd's check-access answers for the pattern (oxd).
    @Test(arguments: Self.modes)
    func scopeLessConditionTicket(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        let action = driver.run("GET", F0.reportsGet, token: .none)
        #expect(action.response?.denial == .ticketIssued(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
        let expected: ASCall =
            mode == .oxd
            ? .checkAccess(rpt: "", pattern: "/reports/??", method: "GET")
            : .requestTicket(resourceId: "reports", scopes: [])
        #expect(driver.calls == [expected])
    }

    /// A condition without scopes: an RPT holding any permission on its resource is granted — one without scopes
    /// or one with unrelated scopes — and an RPT without a permission on it is refused, in both modes (oxd mode
    /// asks check-access, which the fake answers like the development authorization server).
    @Test(arguments: Self.modes)
    func scopeLessConditionGrant(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        driver.introspection["RPT_REPORTS_VIEW"] = .success(F0.active(permissions: [("reports", ["view"])]))
        #expect(driver.run("GET", F0.reportsGet, token: .token("RPT_REPORTS")).mutations?.reason == .granted)
        #expect(driver.lastMetrics.granted)
        #expect(driver.run("GET", F0.reportsGet, token: .token("RPT_REPORTS_VIEW")).mutations?.reason == .granted)
        #expect(driver.run("GET", F0.reportsGet, token: .token("RPT_VIEW")).response?.denial == .notAuthorized)
        #expect(!driver.lastMetrics.granted)
        if mode == .oxd {
            #expect(driver.calls.last == .checkAccess(rpt: "RPT_VIEW", pattern: "/reports/??", method: "GET"))
        } else {
            #expect(!driver.calls.contains { if case .checkAccess = $0 { true } else { false } })
        }
    }

    /// Every token-less protected request gets a new ticket: P3 is never cached.
    @Test(arguments: Self.modes)
    func p3IsNotCached(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        _ = driver.run("GET", F0.photosGet, token: .none)
        let second = driver.run("GET", F0.photosGet, token: .none)
        #expect(second.response?.headers.last?.value == F0.challengePrefix + "\"T2\"")
        #expect(driver.calls.count == 2)
    }

    /// P4: no token, no rule, allow → forwarded as anonymous with no AS call.
    @Test func p4AnonymousPassThrough() {
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false))
        let action = driver.run("GET", nil, token: .none)
        #expect(action.mutations?.reason == .anonymousUnprotected)
        #expect(action.mutations?.setHeaders == [HeaderField(name: "X-Anonymous-Consumer", value: "true")])
        #expect(driver.calls.isEmpty)
    }

    /// P5: no token, no rule, deny_by_default → 403 with no AS call.
    @Test func p5NoTokenNoRule() {
        var driver = EnforcementDriver(policy: F0.policy())
        #expect(driver.run("GET", nil, token: .none).response?.denial == .noTokenUnprotectedPath)
        #expect(driver.calls.isEmpty)
    }

    /// P7: active token, no rule, allow → forwarded, authenticated but not "granted".
    @Test func p7TokenPassThrough() {
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false))
        let action = driver.run("GET", nil, token: .token("RPT_VIEW"))
        #expect(action.mutations?.reason == .authenticatedUnprotected)
        #expect(action.mutations?.setHeaders == [])
        #expect(!driver.lastMetrics.granted)
        #expect(driver.lastMetrics.authenticatedClientId == "c1")
    }

    /// P8 then P9: the first request checks access and caches the grant; the second is served from the cache.
    @Test func p9GrantThenP8CacheHit() {
        var driver = EnforcementDriver(policy: F0.policy())
        let first = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW"))
        #expect(first.mutations?.reason == .granted)
        #expect(
            driver.calls == [
                .introspect("RPT_VIEW"), .checkAccess(rpt: "RPT_VIEW", pattern: "/photos/??", method: "GET"),
            ]
        )
        #expect(driver.lastMetrics.granted)
        let second = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW"))
        #expect(second.mutations?.reason == .grantedFromCache)
        #expect(driver.calls.count == 2)
        #expect(driver.lastMetrics.granted)
        #expect(driver.lastUpdates.isEmpty)
    }

    /// P9 denied: 403 without challenge (reference), the ticket still counts, and only the decision key is dropped.
    @Test func p9DeniedDropsDecisionKeyOnly() {
        var driver = EnforcementDriver(policy: F0.policy())
        let action = driver.run("GET", F0.photosGet, token: .token("RPT_ADD"))
        #expect(action.response?.denial == .notAuthorized)
        #expect(action.response?.headers.contains { $0.name == "WWW-Authenticate" } == false)
        #expect(driver.lastMetrics.ticketIssued)
        let key = DecisionCacheKey(
            service: "api",
            authorizationServer: "as1",
            ruleIndex: 3,
            conditionIndex: 0,
            method: "GET",
            token: "RPT_ADD"
        )
        #expect(driver.lastUpdates.contains(.removeGrant(key)))
        #expect(driver.introspectionCache.count == 1)
    }

    /// `ticket_on_insufficient_scope`: a valid RPT lacking the permission gets 401 + ticket, in both modes alike.
    @Test(arguments: Self.modes)
    func ticketOnInsufficientScope(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, ticketOnInsufficientScope: true))
        let action = driver.run("POST", F0.photosPost, token: .token("RPT_VIEW"))
        #expect(action.response?.denial == .ticketForInsufficientScope(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
        #expect(action.response?.status == 401)
        #expect(driver.lastMetrics.ticketIssued)
        if mode == F0.uma2 { #expect(driver.calls.last == .requestTicket(resourceId: "photos", scopes: ["add"])) }
    }

    /// A13: a public rule forwards without introspecting or requiring a token.
    @Test(arguments: [BearerToken.none, .token("RPT_VIEW"), .token("BAD")], Self.modes)
    func publicRuleSkipsTokenCheck(token: BearerToken, mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        let action = driver.run("DELETE", F0.publicAny, token: token)
        #expect(action.mutations?.reason == .publicRule)
        #expect(action.mutations?.setHeaders == [HeaderField(name: "X-Anonymous-Consumer", value: "true")])
        #expect(driver.calls.isEmpty)
    }

    /// A plain proxied service (no authorization server): every request is forwarded — no token, an RPT, an
    /// inactive or malformed token, another scheme — with no AS call, no added header and no metrics; only
    /// `pass_credentials: hide` removes `Authorization`, and the reserved identity headers are still removed.
    @Test(
        arguments: [
            BearerToken.none, .token("RPT_VIEW"), .token("BAD"), BearerToken.parse("Bearer A, Bearer B"),
            BearerToken.parse("Basic dXNlcjpwYXNz"),
        ],
        [PassCredentials.pass, .hide]
    )
    func plainServiceForwardsWithoutTokenCheck(token: BearerToken, pass: PassCredentials) {
        var driver = EnforcementDriver(policy: F0.policy(mode: .plain, passCredentials: pass))
        let mutations = driver.run("DELETE", nil, token: token).mutations
        #expect(mutations?.reason == .plainService)
        #expect(mutations?.reason.detail == "pep.plain_service")
        #expect(mutations?.setHeaders == [])
        #expect(mutations?.removeAuthorization == (pass == .hide))
        #expect(mutations?.removes(headerNamed: "X-Consumer-ID") == true)
        #expect(mutations?.removes(headerNamed: "X-Anonymous-Consumer") == true)
        #expect(driver.calls.isEmpty)
        #expect(driver.lastUpdates.isEmpty)
        #expect(driver.lastMetrics == EnforcementMetrics())
    }

    /// Malformed Bearer credentials are refused with 401 on every kind of rule, with no AS call (SECURITY.md 17).
    @Test(arguments: [F0.photosGet, F0.publicAny, nil])
    func malformedBearerIsRefused(rule: MatchedRule?) {
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false))
        let action = driver.run("GET", rule, token: BearerToken.parse("Bearer RPT_ADMIN, Bearer RPT_VIEW"))
        #expect(action.response?.denial == .malformedBearerToken)
        #expect(action.response?.status == 401)
        #expect(driver.calls.isEmpty)
    }

    /// A6: with mapping on, a known client_id maps to its consumer (metrics, headers); nothing is cached otherwise.
    @Test func consumerMapping() {
        let consumers = [Consumer(id: "k1", customId: "c1", username: "ann")]
        let headers = [CustomHeader(headerName: "x_consumer_id", expression: .consumer(["id"]))]
        var driver = EnforcementDriver(
            policy: F0.policy(customHeaders: headers, consumerMapping: true, consumers: consumers)
        )
        let action = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW"))
        #expect(action.mutations?.setHeaders == [HeaderField(name: "x-consumer-id", value: "k1")])
        #expect(driver.lastMetrics.consumer == consumers[0])

        var unmapped = EnforcementDriver(policy: F0.policy(consumerMapping: true, consumers: []))
        #expect(unmapped.run("GET", F0.photosGet, token: .token("RPT_VIEW")).response?.denial == .unknownConsumer)
        #expect(unmapped.lastUpdates.isEmpty)
    }

    struct ConsumerRow: CustomTestStringConvertible, Sendable {
        let label: String
        let consumerMapping: Bool
        let consumers: [Consumer]
        /// The mapped consumer's id, or nil when none is mapped; `refused` = 401 `Unknown consumer`.
        let mappedId: String?
        var refused = false
        var testDescription: String { self.label }
    }

    static let listed = [Consumer(id: "k1", customId: "c1", username: "ann"), Consumer(id: "k2", customId: "c2")]

    /// Consumers map whenever one matches the token's `client_id`; `consumer_mapping: true` only makes a match
    /// required. The mapped consumer feeds `consumer.*` headers and the metrics.
    static let consumerRows: [ConsumerRow] = [
        ConsumerRow(
            label: "listed, mapping off, match → mapped", consumerMapping: false, consumers: listed, mappedId: "k1"),
        ConsumerRow(
            label: "listed, mapping on, match → mapped", consumerMapping: true, consumers: listed, mappedId: "k1"),
        ConsumerRow(
            label: "listed, mapping off, no match → forwarded unmapped", consumerMapping: false,
            consumers: [Consumer(id: "k2", customId: "c2")], mappedId: nil),
        ConsumerRow(
            label: "listed, mapping on, no match → 401", consumerMapping: true,
            consumers: [Consumer(id: "k2", customId: "c2")], mappedId: nil, refused: true),
        ConsumerRow(
            label: "consumer without custom_id never matches", consumerMapping: false,
            consumers: [Consumer(id: "k3")], mappedId: nil),
        ConsumerRow(label: "none listed, mapping off → unmapped", consumerMapping: false, consumers: [], mappedId: nil),
    ]

    @Test(arguments: Self.consumerRows, Self.modes)
    func consumersMapWheneverOneMatches(_ row: ConsumerRow, mode: EnforcementMode) {
        let headers = [CustomHeader(headerName: "x-consumer-id", expression: .consumer(["id"]))]
        var driver = EnforcementDriver(
            policy: F0.policy(
                mode: mode, customHeaders: headers, consumerMapping: row.consumerMapping, consumers: row.consumers)
        )
        let action = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW"))
        if row.refused {
            #expect(action.response?.denial == .unknownConsumer)
            return
        }
        #expect(action.mutations?.reason == .granted)
        #expect(driver.lastMetrics.consumer?.id == row.mappedId)
        #expect(driver.lastMetrics.authenticatedClientId == "c1")
        #expect(
            action.mutations?.setHeaders == row.mappedId.map { [HeaderField(name: "x-consumer-id", value: $0)] } ?? [])
    }
}
