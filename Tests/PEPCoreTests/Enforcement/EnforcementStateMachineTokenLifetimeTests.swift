import Testing

@testable import PEPCore

/// Token edge cases (issue 14): an `active: true` introspection whose `exp` has passed or whose `nbf` lies ahead
/// (beyond `cache.clock_skew`) counts as inactive and is negatively cached; an active token without `exp`
/// (optional in RFC 7662) is accepted and cached for at most `cache.ttl_without_exp`. Both modes.
@Suite struct EnforcementStateMachineTokenLifetimeTests {
    static let modes: [EnforcementMode] = [.oxd, F0.uma2]

    /// An active answer for `RPT_VIEW`'s permissions with the given `exp` and `nbf` (absent when nil), decoded
    /// like the real thing.
    static func answer(exp: Int64?, nbf: Int64? = nil, permissionExp: Int64? = nil) -> IntrospectionResult {
        var permission: [String: JSONValue] = [
            "resource_id": .string("photos"), "resource_scopes": .array([.string("view")]),
        ]
        if let permissionExp { permission["exp"] = .int(permissionExp) }
        var members: [String: JSONValue] = [
            "active": .bool(true), "iat": .int(F0.now - 60), "client_id": .string("c1"),
            "permissions": .array([.object(permission)]),
        ]
        if let exp { members["exp"] = .int(exp) }
        if let nbf { members["nbf"] = .int(nbf) }
        guard case .success(let result) = IntrospectionResult.decode(json: .object(members)) else {
            fatalError("fixture must decode")
        }
        return result
    }

    struct LifetimeRow: CustomTestStringConvertible, Sendable {
        var label: String
        var exp: Int64?
        var nbf: Int64?
        var skew: Int64 = 30
        var expected: TokenLifetime
        var testDescription: String { self.label }
    }

    static let now = F0.now
    static let lifetimeRows: [LifetimeRow] = [
        LifetimeRow(label: "no exp, no nbf", exp: nil, expected: .current),
        LifetimeRow(label: "exp ahead", exp: now + 300, expected: .current),
        LifetimeRow(label: "exp an hour ago", exp: now - 3600, expected: .expired),
        LifetimeRow(label: "exp 29 s ago, within the skew", exp: now - 29, expected: .current),
        LifetimeRow(label: "exp exactly skew ago", exp: now - 30, expected: .expired),
        LifetimeRow(label: "exp now, no skew", exp: now, skew: 0, expected: .expired),
        LifetimeRow(label: "exp in 1 s, no skew", exp: now + 1, skew: 0, expected: .current),
        LifetimeRow(
            label: "nbf an hour ahead", exp: now + 7200, nbf: now + 3600,
            expected: .notYetValid(secondsUntilValid: 3570)),
        LifetimeRow(label: "nbf 30 s ahead, within the skew", exp: nil, nbf: now + 30, expected: .current),
        LifetimeRow(label: "nbf 31 s ahead", exp: nil, nbf: now + 31, expected: .notYetValid(secondsUntilValid: 1)),
        LifetimeRow(
            label: "nbf 1 s ahead, no skew", exp: nil, nbf: now + 1, skew: 0,
            expected: .notYetValid(secondsUntilValid: 1)),
        LifetimeRow(label: "nbf now, no skew", exp: nil, nbf: now, skew: 0, expected: .current),
        LifetimeRow(label: "nbf in the past", exp: now + 300, nbf: now - 60, expected: .current),
        LifetimeRow(label: "hostile maximum exp", exp: Int64.max, expected: .current),
        LifetimeRow(label: "hostile minimum exp", exp: Int64.min, expected: .expired),
        LifetimeRow(
            label: "hostile maximum nbf", exp: nil, nbf: Int64.max,
            expected: .notYetValid(secondsUntilValid: Int64.max - 30 - now)),
        LifetimeRow(label: "hostile minimum nbf", exp: nil, nbf: Int64.min, expected: .current),
    ]

    /// `exp` and `nbf` against `now`, with the skew allowance on both; saturating.
    @Test(arguments: Self.lifetimeRows)
    func checksLifetime(_ row: LifetimeRow) {
        let result = Self.answer(exp: row.exp, nbf: row.nbf)
        #expect(TokenLifetime.check(result, now: Self.now, clockSkew: .seconds(row.skew)) == row.expected)
        #expect(TokenLifetime.check(F0.inactive, now: Self.now, clockSkew: .zero) == .current)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var label: String
        var answer: IntrospectionResult
        var skew: Int64 = 30
        /// The client's status on `GET /photos/1` (`view` granted when the token counts).
        var status: Int
        /// The introspection cache entry: its TTL, and whether it is stored inactive; nil = not stored.
        var cached: (ttl: Int64, active: Bool)?
        var testDescription: String { self.label }
    }

    static let rows: [Row] = [
        Row(label: "exp an hour ago → inactive", answer: answer(exp: now - 3600), status: 401, cached: (10, false)),
        Row(label: "exp 10 s ago, within the skew → granted, not cached", answer: answer(exp: now - 10), status: 200),
        Row(
            label: "exp 10 s ago, no skew → inactive", answer: answer(exp: now - 10), skew: 0, status: 401,
            cached: (10, false)),
        Row(
            label: "nbf an hour ahead → inactive", answer: answer(exp: now + 7200, nbf: now + 3600), status: 401,
            cached: (10, false)),
        Row(
            label: "nbf 35 s ahead → inactive until valid", answer: answer(exp: nil, nbf: now + 35), status: 401,
            cached: (5, false)),
        Row(
            label: "nbf 20 s ahead, within the skew → granted", answer: answer(exp: now + 300, nbf: now + 20),
            status: 200, cached: (295, true)),
        Row(
            label: "no exp → granted, cached ttl_without_exp", answer: answer(exp: nil), status: 200, cached: (60, true)
        ),
        Row(
            label: "no exp, permission exp sooner → its bound", answer: answer(exp: nil, permissionExp: now + 25),
            status: 200, cached: (20, true)),
    ]

    /// Each answer on a protected rule: the client's status (an inactive token gets a ticket like no token),
    /// and what the introspection cache keeps.
    @Test(arguments: Self.rows, Self.modes)
    func protectedRule(_ row: Row, mode: EnforcementMode) throws {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, clockSkew: .seconds(row.skew)))
        driver.introspection["RPT_X"] = .success(row.answer)
        let action = driver.run("GET", F0.photosGet, token: .token("RPT_X"))
        #expect(action.clientStatus == row.status)
        if row.status == 401 {
            #expect(action.response?.denial == .ticketIssued(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
            #expect(driver.lastMetrics.authenticatedClientId == nil)
            let ticketCall: ASCall =
                mode == .oxd
                ? .checkAccess(rpt: "", pattern: "/photos/??", method: "GET")
                : .requestTicket(resourceId: "photos", scopes: ["view"])
            #expect(driver.calls == [.introspect("RPT_X"), ticketCall])
        }
        let stored = driver.lastUpdates.compactMap { update -> (IntrospectionResult, Duration)? in
            if case .storeIntrospection(_, let value, let ttl) = update { return (value, ttl) }
            return nil
        }
        if let cached = row.cached {
            #expect(stored.count == 1)
            #expect(stored.first?.1 == .seconds(cached.ttl))
            #expect(stored.first?.0.active == cached.active)
        } else {
            #expect(stored.isEmpty)
        }
    }

    /// An expired token is negatively cached: the repeat is answered without introspecting, with a new ticket
    /// (never a grant), until `negative_ttl` has passed.
    @Test(arguments: Self.modes)
    func expiredTokenIsNegativelyCached(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        driver.introspection["RPT_X"] = .success(Self.answer(exp: F0.now - 3600))
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 401)
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 401)
        #expect(driver.calls.filter { $0 == .introspect("RPT_X") }.count == 1)
        driver.now += 11
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 401)
        #expect(driver.calls.filter { $0 == .introspect("RPT_X") }.count == 2)
        #expect(driver.grantCache.isEmpty)
    }

    /// Inactive means anonymous everywhere: on an unmatched path of an open service an expired token is
    /// forwarded like no token (with the anonymous header), and refused like no token under deny_by_default.
    @Test(arguments: Self.modes)
    func expiredTokenOnUnprotectedPathIsAnonymous(mode: EnforcementMode) {
        var open = EnforcementDriver(policy: F0.policy(mode: mode, denyByDefault: false))
        open.introspection["RPT_X"] = .success(Self.answer(exp: F0.now - 3600))
        let forwarded = open.run("GET", nil, token: .token("RPT_X"))
        #expect(forwarded.mutations?.reason == .anonymousUnprotected)
        #expect(forwarded.mutations?.setHeaders == [HeaderField(name: "X-Anonymous-Consumer", value: "true")])
        var closed = EnforcementDriver(policy: F0.policy(mode: mode))
        closed.introspection["RPT_X"] = .success(Self.answer(exp: F0.now - 3600))
        #expect(closed.run("GET", nil, token: .token("RPT_X")).response?.denial == .noTokenUnprotectedPath)
    }

    /// A token without `exp` is served from the cache (introspection and, in oxd mode, the grant) for
    /// `ttl_without_exp`, then introspected again; with `ttl_without_exp: 0` it is introspected every time.
    @Test(arguments: Self.modes)
    func tokenWithoutExpIsCachedForTTLWithoutExp(mode: EnforcementMode) {
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, ttlWithoutExp: .seconds(60)))
        driver.introspection["RPT_X"] = .success(Self.answer(exp: nil))
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 200)
        driver.now += 59
        let cached = driver.run("GET", F0.photosGet, token: .token("RPT_X"))
        #expect(cached.clientStatus == 200)
        #expect(driver.calls.filter { $0 == .introspect("RPT_X") }.count == 1)
        if mode == .oxd {
            #expect(cached.mutations?.reason == .grantedFromCache)
            #expect(driver.calls.count == 2)
        }
        driver.now += 2
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 200)
        #expect(driver.calls.filter { $0 == .introspect("RPT_X") }.count == 2)

        var uncached = EnforcementDriver(policy: F0.policy(mode: mode, ttlWithoutExp: .zero))
        uncached.introspection["RPT_X"] = .success(Self.answer(exp: nil))
        for _ in 0..<2 { #expect(uncached.run("GET", F0.photosGet, token: .token("RPT_X")).clientStatus == 200) }
        #expect(uncached.calls.filter { $0 == .introspect("RPT_X") }.count == 2)
        #expect(uncached.introspectionCache.isEmpty && uncached.grantCache.isEmpty)
    }
}
