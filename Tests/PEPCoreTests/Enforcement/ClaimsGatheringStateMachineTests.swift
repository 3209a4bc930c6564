import Testing

@testable import PEPCore

/// `obtain_rpt` in the enforcement machine (Part B P10, §2.5 A/B) and the claims callback machine (P0, §2.5 C),
/// table-tested with a fake authorization server and no I/O.
@Suite struct ClaimsGatheringStateMachineTests {
    static let gathering = ClaimsGatheringPolicy(
        obtainRPT: true, redirectClaimGatheringURL: true, claimsRedirectPath: "/uma/claims-callback")
    static let obtainOnly = ClaimsGatheringPolicy(obtainRPT: true)

    /// The first call of each mode for a request without a token: check-access with no RPT, or a ticket.
    static func ticketCall(_ mode: EnforcementMode) -> ASCall {
        mode == .oxd
            ? .checkAccess(rpt: "", pattern: "/photos/??", method: "GET")
            : .requestTicket(resourceId: "photos", scopes: ["view"])
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let label: String
        let claims: ClaimsGatheringPolicy
        let answers: [Result<RPTOutcome, AuthorizationServerError>]
        var url: Result<String, AuthorizationServerError> = .success("https://as.test/gather_claims?ticket=N1")
        /// Expected status (302 for a claims redirect), and whether the request is forwarded.
        let status: Int
        let calls: [String]
        var testDescription: String { self.label }
    }

    static let rows: [Row] = [
        Row(
            label: "RPT issued → enforced like a sent token → forwarded", claims: Self.gathering,
            answers: [.success(.rpt("RPT_VIEW"))], status: 200, calls: ["ticket", "rpt T1", "introspect RPT_VIEW"]),
        Row(
            label: "need_info with redirect → 302 to the claims page", claims: Self.gathering,
            answers: [.success(.needInfo(ticket: "N1", redirectUser: nil))], status: 302,
            calls: ["ticket", "rpt T1", "url N1"]),
        Row(
            label: "need_info without redirect → 403", claims: Self.obtainOnly,
            answers: [.success(.needInfo(ticket: "N1", redirectUser: nil))], status: 403, calls: ["ticket", "rpt T1"]),
        Row(
            label: "refused (forbidden_by_policy) → 403", claims: Self.gathering,
            answers: [.success(.denied(error: "forbidden_by_policy"))], status: 403, calls: ["ticket", "rpt T1"]),
        Row(
            label: "RPT request fails → 502", claims: Self.gathering, answers: [.failure(.timeout)], status: 502,
            calls: ["ticket", "rpt T1"]),
        Row(
            label: "claims URL fails → 502", claims: Self.gathering,
            answers: [.success(.needInfo(ticket: "N1", redirectUser: nil))], url: .failure(.unexpectedStatus(500)),
            status: 502, calls: ["ticket", "rpt T1", "url N1"]),
        Row(
            label: "claims URL with CR LF → 502 (no header injection)", claims: Self.gathering,
            answers: [.success(.needInfo(ticket: "N1", redirectUser: nil))],
            url: .success("https://as.test/x\r\nSet-Cookie: a=b"), status: 502, calls: ["ticket", "rpt T1", "url N1"]),
        Row(
            label: "claims URL not http(s) → 502", claims: Self.gathering,
            answers: [.success(.needInfo(ticket: "N1", redirectUser: nil))], url: .success("javascript:alert(1)"),
            status: 502, calls: ["ticket", "rpt T1", "url N1"]),
        Row(
            label: "obtained RPT inactive → 502 after one more ticket, never a loop", claims: Self.gathering,
            answers: [.success(.rpt("BAD")), .success(.rpt("RPT_VIEW"))], status: 502,
            calls: ["ticket", "rpt T1", "introspect BAD", "ticket"]),
    ]

    static func describe(_ call: ASCall) -> String {
        switch call {
        case .requestTicket: return "ticket"
        case .checkAccess(let rpt, _, _): return rpt.isEmpty ? "ticket" : "check \(rpt)"
        case .introspect(let token): return "introspect \(token)"
        case .obtainRPT(let ticket): return "rpt \(ticket)"
        case .claimsGatheringURL(let ticket): return "url \(ticket)"
        }
    }

    @Test(arguments: Self.rows, [EnforcementMode.oxd, F0.uma2])
    func obtainRPTWithoutToken(_ row: Row, mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, claims: row.claims))
        driver.rptAnswers = row.answers
        driver.claimsURLAnswer = row.url
        let action = driver.run("GET", F0.photosGet, token: .none)
        switch action {
        case .forward: #expect(row.status == 200)
        case .claimsRedirect(let url):
            #expect(row.status == 302)
            #expect(url == "https://as.test/gather_claims?ticket=N1")
        case .respond(let response): #expect(response.status == row.status)
        default: Issue.record("not terminal: \(action)")
        }
        // oxd decides the obtained RPT with check-access; uma2 locally from its permissions.
        var expected = row.calls
        if mode == .oxd, row.status == 200 { expected.append("check RPT_VIEW") }
        #expect(driver.calls.map(Self.describe) == expected)
    }

    /// Off, the reference answer is unchanged: 401 + ticket; a token that lacks the permission gets 403 and no
    /// RPT request in either setting.
    @Test(arguments: [EnforcementMode.oxd, F0.uma2])
    func unchangedWithoutObtainRPTOrWithAToken(mode: EnforcementMode) {
        var off = EnforcementDriver(policy: F0.policy(mode: mode))
        #expect(off.run("GET", F0.photosGet, token: .none).response?.status == 401)
        var on = EnforcementDriver(policy: F0.policy(mode: mode, claims: Self.gathering))
        #expect(on.run("GET", F0.photosGet, token: .token("RPT_ADD")).response?.status == 403)
        #expect(!on.calls.contains { if case .obtainRPT = $0 { return true } else { return false } })
        #expect(on.run("GET", F0.photosGet, token: .token("RPT_VIEW")).mutations != nil)
    }

    /// The session cookie's RPT lacks the permission: a new RPT is asked for with the denial's ticket (a fresh one
    /// in uma2 mode) and enforced; if that one is denied too, 403 (never a loop, never 502).
    @Test(arguments: [EnforcementMode.oxd, F0.uma2])
    func sessionRPTWithoutThePermissionIsReplaced(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, claims: Self.gathering))
        driver.tokenFromSession = true
        driver.rptAnswers = [.success(.rpt("RPT_VIEW"))]
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_ADD")).mutations != nil)
        let expected =
            mode == .oxd
            ? ["introspect RPT_ADD", "check RPT_ADD", "rpt T1", "introspect RPT_VIEW", "check RPT_VIEW"]
            : ["introspect RPT_ADD", "ticket", "rpt T1", "introspect RPT_VIEW"]
        #expect(driver.calls.map(Self.describe) == expected)

        var again = EnforcementDriver(policy: F0.policy(mode: mode, claims: Self.gathering))
        again.tokenFromSession = true
        again.rptAnswers = [.success(.rpt("RPT_ADMIN"))]
        #expect(again.run("GET", F0.photosGet, token: .token("RPT_ADD")).response?.status == 403)
        #expect(again.calls.filter { if case .obtainRPT = $0 { return true } else { return false } }.count == 1)

        // need_info on the replacement: the browser goes to the claims page.
        var gather = EnforcementDriver(policy: F0.policy(mode: mode, claims: Self.gathering))
        gather.tokenFromSession = true
        gather.rptAnswers = [.success(.needInfo(ticket: "N1", redirectUser: nil))]
        #expect(
            gather.run("GET", F0.photosGet, token: .token("RPT_ADD"))
                == .claimsRedirect(url: "https://as.test/gather_claims?x=1"))
    }

    // MARK: - Callback

    static let pending = ClaimsSession(
        service: "api", expiresAt: F0.now + 600, state: "st-1", returnTarget: "/photos/1?x=1")

    struct CallbackRow: CustomTestStringConvertible, Sendable {
        let label: String
        var session: ClaimsSession? = ClaimsGatheringStateMachineTests.pending
        let query: String?
        var fresh = true
        var rpt: Result<RPTOutcome, AuthorizationServerError> = .success(.rpt("RPT_NEW"))
        var url: Result<String, AuthorizationServerError> = .success("https://as.test/gather_claims?t=N2")
        let expected: String
        var testDescription: String { self.label }
    }

    static let callbackRows: [CallbackRow] = [
        CallbackRow(label: "no session → 400", session: nil, query: "ticket=t&state=st-1", expected: "400 keep"),
        CallbackRow(
            label: "session holding an RPT (not pending) → 400",
            session: ClaimsSession(service: "api", expiresAt: F0.now + 600, rpt: "R"), query: "ticket=t&state=st-1",
            expected: "400 keep"),
        CallbackRow(label: "ticket missing → 400 message", query: "state=st-1", expected: "400m keep"),
        CallbackRow(label: "state missing → 400 message", query: "ticket=t", expected: "400m keep"),
        CallbackRow(label: "empty ticket → 400 message", query: "ticket=&state=st-1", expected: "400m keep"),
        CallbackRow(label: "state repeated → 400 message", query: "ticket=t&state=st-1&state=x", expected: "400m keep"),
        CallbackRow(label: "no query → 400 message", query: nil, expected: "400m keep"),
        CallbackRow(label: "state of another session → 400", query: "ticket=t&state=st-2", expected: "400 keep"),
        CallbackRow(label: "replayed state → 400", query: "ticket=t&state=st-1", fresh: false, expected: "400 clear"),
        CallbackRow(
            label: "RPT → 302 to the saved target, never the query's",
            query: "ticket=t&state=st-1&redirect_uri=https%3A%2F%2Fevil.example&return=%2F%2Fevil",
            expected: "return /photos/1?x=1 RPT_NEW"),
        CallbackRow(
            label: "state percent-encoded", query: "ticket=t&state=st%2D1", expected: "return /photos/1?x=1 RPT_NEW"),
        CallbackRow(
            label: "need_info again → 302 to the claims page, same target", query: "ticket=t&state=st-1",
            rpt: .success(.needInfo(ticket: "N2", redirectUser: nil)),
            expected: "gather https://as.test/gather_claims?t=N2 /photos/1?x=1"),
        CallbackRow(
            label: "need_info, unsafe URL → 502", query: "ticket=t&state=st-1",
            rpt: .success(.needInfo(ticket: "N2", redirectUser: nil)), url: .success("https://as/\n"),
            expected: "502 clear"),
        CallbackRow(
            label: "refused → 403", query: "ticket=t&state=st-1", rpt: .success(.denied(error: "forbidden_by_policy")),
            expected: "403 clear"),
        CallbackRow(
            label: "AS failure → 502", query: "ticket=t&state=st-1", rpt: .failure(.timeout), expected: "502 clear"),
    ]

    @Test(arguments: Self.callbackRows)
    func callback(_ row: CallbackRow) {
        var machine = ClaimsCallbackStateMachine(claims: Self.gathering, session: row.session, query: row.query)
        var action = machine.start()
        var outcome = ""
        loop: while true {
            switch action {
            case .consumeState(let state):
                #expect(state == "st-1")
                action = machine.stateConsumed(fresh: row.fresh)
            case .obtainRPT(let ticket):
                #expect(ticket == "t")
                action = machine.rptCompleted(row.rpt)
            case .claimsGatheringURL(let ticket, _):
                #expect(ticket == "N2")
                action = machine.claimsGatheringURLCompleted(row.url)
            case .returnWithRPT(let target, let rpt):
                outcome = "return \(target) \(rpt)"
                break loop
            case .claimsRedirect(let url, let target):
                outcome = "gather \(url) \(target)"
                break loop
            case .respond(let response, let clear):
                let message = response.body.isEmpty ? "" : "m"
                if response.status == 400 && !response.body.isEmpty {
                    #expect(
                        String(decoding: response.body, as: UTF8.self)
                            == #"{"message":"missed ticket or state argument(s)"}"#)
                }
                outcome = "\(response.status)\(response.status == 400 ? message : "") \(clear ? "clear" : "keep")"
                break loop
            }
        }
        #expect(outcome == row.expected)
        // A finished machine refuses further events.
        #expect(machine.stateConsumed(fresh: true) != .obtainRPT(ticket: "t"))
    }

    // MARK: - Session value, return target, redirect URI

    @Test func sessionRoundTripAndRefusals() {
        let rpt = ClaimsSession(service: "api", expiresAt: F0.now + 60, rpt: "R")
        #expect(ClaimsSession.decode(rpt.encoded(), expiresAt: rpt.expiresAt, service: "api", now: F0.now) == rpt)
        let pending = Self.pending
        #expect(
            ClaimsSession.decode(pending.encoded(), expiresAt: pending.expiresAt, service: "api", now: F0.now)
                == pending)
        // Foreign service, expired, both shapes, neither shape, not JSON.
        #expect(ClaimsSession.decode(rpt.encoded(), expiresAt: rpt.expiresAt, service: "other", now: F0.now) == nil)
        #expect(ClaimsSession.decode(rpt.encoded(), expiresAt: F0.now, service: "api", now: F0.now) == nil)
        let both = ClaimsSession(service: "api", expiresAt: F0.now + 60, state: "s", returnTarget: "/", rpt: "R")
        #expect(ClaimsSession.decode(both.encoded(), expiresAt: F0.now + 60, service: "api", now: F0.now) == nil)
        let neither = ClaimsSession(service: "api", expiresAt: F0.now + 60)
        #expect(ClaimsSession.decode(neither.encoded(), expiresAt: F0.now + 60, service: "api", now: F0.now) == nil)
        #expect(ClaimsSession.decode(Array("x".utf8), expiresAt: F0.now + 60, service: "api", now: F0.now) == nil)
    }

    /// A pending session whose return target is not a safe origin-form path (only a cookie sealed outside uma-pep,
    /// with a known or leaked key, can hold one) is no session: the callback never redirects off-site.
    @Test(arguments: ["https://evil.example/", "//evil.example", "/\\evil.example", "/x\r\nSet-Cookie: a=b", "", "x"])
    func unsafeReturnTargetIsNoSession(_ target: String) {
        let forged = ClaimsSession(service: "api", expiresAt: F0.now + 60, state: "s", returnTarget: target)
        #expect(ClaimsSession.decode(forged.encoded(), expiresAt: F0.now + 60, service: "api", now: F0.now) == nil)
        let safe = ClaimsSession(service: "api", expiresAt: F0.now + 60, state: "s", returnTarget: "/a?b=c")
        #expect(ClaimsSession.decode(safe.encoded(), expiresAt: F0.now + 60, service: "api", now: F0.now) == safe)
    }

    @Test(
        arguments: [
            ("/photos/1", nil, "/photos/1"), ("/photos/1", "a=b&c", "/photos/1?a=b&c"), ("/", nil, "/"),
            ("//evil.example/x", nil, "/"), ("/\\evil.example", nil, "/"), ("/a", "x=\u{7F}", "/"),
            ("evil", nil, "/"), ("/a b", nil, "/"),
        ] as [(String, String?, String)])
    func safeReturnTarget(_ path: String, _ query: String?, _ expected: String) {
        #expect(ClaimsSession.safeReturnTarget(path: path, query: query) == expected)
    }

    @Test(
        arguments: [
            ("http", "gw.test", 8000, "http://gw.test:8000/cb"), ("http", "gw.test", 80, "http://gw.test/cb"),
            ("https", "gw.test", 443, "https://gw.test/cb"), ("https", "gw.test", 80, "https://gw.test:80/cb"),
            ("http", "[::1]", 8080, "http://[::1]:8080/cb"),
        ] as [(String, String, Int, String)])
    func redirectURI(_ scheme: String, _ host: String, _ port: Int, _ expected: String) {
        #expect(ClaimsRedirectURI.build(scheme: scheme, host: host, port: port, path: "/cb") == expected)
    }

    @Test func callbackPathIsExact() {
        #expect(Self.gathering.isCallback("/uma/claims-callback"))
        #expect(!Self.gathering.isCallback("/uma/claims-callback/x"))
        #expect(!Self.gathering.isCallback("/uma/claims-callbac"))
        #expect(!Self.obtainOnly.isCallback("/uma/claims-callback"))
    }
}
