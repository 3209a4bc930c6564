import Testing

@testable import PEPCore

/// Caching (SPEC A7, A3; SECURITY.md cases 21 and 24) and the synchronous (cache hit) vs asynchronous (events)
/// paths (STYLE rule 6).
@Suite struct EnforcementStateMachineCacheTests {
    static let view = F0.tokens["RPT_VIEW"] ?? F0.inactive
    static let headers = [CustomHeader(headerName: "X-OAuth-Client-ID", expression: .introspectData(["client_id"]))]

    /// SECURITY.md case 21: after a grant for GET /photos, the same token on POST /photos and DELETE /admin is
    /// checked again and answered with a ticket (option on) or 403 (reference) — never a cached 200.
    @Test(arguments: [EnforcementMode.oxd, F0.uma2], [true, false])
    func cachedGrantDoesNotLeakAcrossRulesOrMethods(mode: EnforcementMode, ticketOnInsufficientScope: Bool) {
        var driver = EnforcementDriver(
            policy: F0.policy(mode: mode, ticketOnInsufficientScope: ticketOnInsufficientScope)
        )
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_VIEW")).clientStatus == 200)
        let post = driver.run("POST", F0.photosPost, token: .token("RPT_VIEW"))
        let delete = driver.run("DELETE", F0.adminAny, token: .token("RPT_VIEW"))
        let expected = ticketOnInsufficientScope ? 401 : 403
        #expect(post.clientStatus == expected)
        #expect(delete.clientStatus == expected)
        #expect(driver.calls.filter { if case .introspect = $0 { return true } else { return false } }.count == 1)
        if mode == .oxd {
            #expect(driver.calls.contains(.checkAccess(rpt: "RPT_VIEW", pattern: "/photos/??", method: "POST")))
            #expect(driver.calls.contains(.checkAccess(rpt: "RPT_VIEW", pattern: "/admin/??", method: "DELETE")))
        } else if ticketOnInsufficientScope {
            #expect(driver.calls.contains(.requestTicket(resourceId: "photos", scopes: ["add"])))
            #expect(driver.calls.contains(.requestTicket(resourceId: "admin", scopes: ["admin"])))
        }
    }

    /// The grant and introspection keys carry service, authorization server, rule and method (A3, row 4).
    @Test func keysAreScoped() {
        var driver = EnforcementDriver(policy: F0.policy(customHeaders: Self.headers))
        _ = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW"))
        let ttl = Duration.seconds(295)
        #expect(
            driver.lastUpdates == [
                .storeIntrospection(
                    IntrospectionCacheKey(authorizationServer: "as1", token: "RPT_VIEW"),
                    Self.view,
                    ttl: ttl
                ),
                .storeUpstreamHeaders(
                    UpstreamHeadersCacheKey(service: "api", authorizationServer: "as1", token: "RPT_VIEW"),
                    [HeaderField(name: "X-OAuth-Client-ID", value: "c1")],
                    ttl: ttl
                ),
                .storeGrant(
                    DecisionCacheKey(
                        service: "api",
                        authorizationServer: "as1",
                        ruleIndex: 3,
                        conditionIndex: 0,
                        method: "GET",
                        token: "RPT_VIEW"
                    ),
                    CachedGrant(validUntil: F0.now + 295),
                    ttl: ttl
                ),
            ]
        )
    }

    /// Synchronous path: with introspection, headers and grant cached, `start()` forwards at once, storing nothing;
    /// it forwards exactly what the asynchronous path forwarded.
    @Test func synchronousAndAsynchronousPathsAgree() {
        let policy = F0.policy(passCredentials: .phantomToken, customHeaders: Self.headers)
        var fresh = EnforcementStateMachine(
            policy: policy,
            request: EnforcementRequest(method: "GET", rule: F0.photosGet, token: .token("RPT_VIEW"), now: F0.now)
        )
        #expect(fresh.start() == EnforcementStep(.introspect(token: "RPT_VIEW")))
        let afterIntrospection = fresh.introspectionCompleted(.success(Self.view), now: F0.now)
        #expect(afterIntrospection.action == .checkAccess(rpt: "RPT_VIEW", pattern: "/photos/??", method: "GET"))
        let asyncForward = fresh.checkAccessCompleted(.success(.granted), now: F0.now)
        guard let asyncMutations = asyncForward.action.mutations else {
            Issue.record("asynchronous path did not forward")
            return
        }
        let cachedHeaders = afterIntrospection.cacheUpdates.compactMap { update -> [HeaderField]? in
            if case .storeUpstreamHeaders(_, let fields, _) = update { return fields }
            return nil
        }.first

        var cached = EnforcementStateMachine(
            policy: policy,
            request: EnforcementRequest(
                method: "GET",
                rule: F0.photosGet,
                token: .token("RPT_VIEW"),
                now: F0.now + 10,
                cachedIntrospection: Self.view,
                cachedGrant: CachedGrant(validUntil: F0.now + 295),
                cachedUpstreamHeaders: cachedHeaders
            )
        )
        let syncForward = cached.start()
        #expect(syncForward.cacheUpdates.isEmpty)
        #expect(syncForward.action.mutations?.reason == .grantedFromCache)
        #expect(syncForward.action.mutations?.setHeaders == asyncMutations.setHeaders)
        #expect(syncForward.action.mutations?.removeAuthorization == asyncMutations.removeAuthorization)
        #expect(cached.metrics.granted && fresh.metrics.granted)
    }

    /// A cached grant whose time has passed is re-checked, even if the cache still returned it (A7).
    @Test func expiredCachedGrantIsRechecked() {
        let longLived = F0.active(permissions: [("photos", ["view"])], exp: F0.now + 3_000)
        var machine = EnforcementStateMachine(
            policy: F0.policy(),
            request: EnforcementRequest(
                method: "GET",
                rule: F0.photosGet,
                token: .token("RPT_VIEW"),
                now: F0.now,
                cachedIntrospection: longLived,
                cachedGrant: CachedGrant(validUntil: F0.now)
            )
        )
        #expect(machine.start().action == .checkAccess(rpt: "RPT_VIEW", pattern: "/photos/??", method: "GET"))
        #expect(!machine.metrics.granted)
    }

    /// A cached introspection that is about to expire (exp − 5 s ≤ now) is refreshed, not trusted.
    @Test func expiringCachedIntrospectionIsRefreshed() {
        let expiring = F0.active(permissions: [("photos", ["view"])], exp: F0.now + 5)
        var machine = EnforcementStateMachine(
            policy: F0.policy(),
            request: EnforcementRequest(
                method: "GET",
                rule: F0.photosGet,
                token: .token("RPT_VIEW"),
                now: F0.now,
                cachedIntrospection: expiring,
                cachedGrant: CachedGrant(validUntil: F0.now + 100)
            )
        )
        #expect(machine.start().action == .introspect(token: "RPT_VIEW"))
    }

    /// uma2 mode decides synchronously from a cached introspection (no AS call, nothing stored).
    @Test func uma2DecidesFromCachedIntrospection() {
        var machine = EnforcementStateMachine(
            policy: F0.policy(mode: F0.uma2),
            request: EnforcementRequest(
                method: "GET",
                rule: F0.photosGet,
                token: .token("RPT_VIEW"),
                now: F0.now,
                cachedIntrospection: Self.view
            )
        )
        let step = machine.start()
        #expect(step.action.mutations?.reason == .granted)
        #expect(step.cacheUpdates.isEmpty)
    }

    /// SECURITY.md case 24a: an inactive token is cached for the negative TTL, so repeats do not reach the AS;
    /// with the negative TTL disabled every request introspects.
    @Test(arguments: [(Duration.seconds(10), 1), (.zero, 3)])
    func inactiveTokenIsNegativelyCached(negativeTTL: Duration, introspections: Int) {
        var driver = EnforcementDriver(policy: F0.policy(mode: F0.uma2, negativeTTL: negativeTTL))
        for _ in 0..<3 {
            #expect(driver.run("GET", F0.photosGet, token: .token("BAD")).clientStatus == 401)
        }
        #expect(driver.calls.filter { $0 == .introspect("BAD") }.count == introspections)
    }

    /// `cachesIntrospectionJSON: false` (no service reads `introspect_data`): introspection results, active and
    /// inactive, are stored without their received object, and a repeat is still decided from the cache.
    @Test(arguments: [true, false])
    func introspectionJSONIsCachedOnlyWhenRead(keep: Bool) {
        var driver = EnforcementDriver(policy: F0.policy(mode: F0.uma2, cachesIntrospectionJSON: keep))
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_VIEW")).mutations?.reason == .granted)
        #expect(driver.run("GET", F0.photosGet, token: .token("BAD")).clientStatus == 401)
        let stored = driver.introspectionCache.values.map(\.0)
        #expect(stored.count == 2)
        #expect(stored.allSatisfy { ($0.raw == .null) == !keep })
        #expect(driver.run("GET", F0.photosGet, token: .token("RPT_VIEW")).mutations?.reason == .granted)
        #expect(driver.calls.filter { $0 == .introspect("RPT_VIEW") }.count == 1)
    }

    /// A result from the shared cache (Redis) written without its received object by a generation or instance
    /// that did not keep it is a miss for a policy that needs the object (custom headers, phantom token), and
    /// usable otherwise; a full result always is.
    @Test(arguments: [
        (keepsJSON: true, active: true, stripped: true, serves: false),
        (keepsJSON: true, active: true, stripped: false, serves: true),
        (keepsJSON: true, active: false, stripped: true, serves: true),
        (keepsJSON: false, active: true, stripped: true, serves: true),
        (keepsJSON: false, active: true, stripped: false, serves: true),
    ])
    func sharedResultServesPolicy(keepsJSON: Bool, active: Bool, stripped: Bool, serves: Bool) {
        let full = IntrospectionResult(
            active: active, exp: 2_000, raw: .object(["active": .bool(active), "aud": .string("api")]))
        let result = stripped ? full.withoutRaw : full
        #expect(result.serves(F0.policy(mode: F0.uma2, cachesIntrospectionJSON: keepsJSON)) == serves)
    }

    /// A negative entry is stored under the introspection key with exactly the negative TTL.
    @Test func negativeEntryUsesNegativeTTL() {
        var driver = EnforcementDriver(policy: F0.policy(negativeTTL: .seconds(7)))
        _ = driver.run("GET", nil, token: .token("BAD"))
        #expect(
            driver.lastUpdates == [
                .storeIntrospection(
                    IntrospectionCacheKey(authorizationServer: "as1", token: "BAD"),
                    F0.inactive,
                    ttl: .seconds(7)
                )
            ]
        )
    }

    /// Nothing is cached when the TTL would be ≤ 0 (token about to expire), but the request is still served.
    @Test func nothingCachedWithoutPositiveTTL() {
        var driver = EnforcementDriver(policy: F0.policy(customHeaders: Self.headers))
        driver.introspection["SHORT"] = .success(F0.active(permissions: [("photos", ["view"])], exp: F0.now + 3))
        #expect(driver.run("GET", F0.photosGet, token: .token("SHORT")).clientStatus == 200)
        #expect(driver.lastUpdates.isEmpty)
    }

    /// Cached upstream headers are used as given (the shell's header cache), not recomputed.
    @Test func cachedHeadersAreReused() {
        let cachedFields = [HeaderField(name: "X-OAuth-Client-ID", value: "from-cache")]
        var machine = EnforcementStateMachine(
            policy: F0.policy(customHeaders: Self.headers),
            request: EnforcementRequest(
                method: "GET",
                rule: F0.photosGet,
                token: .token("RPT_VIEW"),
                now: F0.now,
                cachedIntrospection: Self.view,
                cachedGrant: CachedGrant(validUntil: F0.now + 100),
                cachedUpstreamHeaders: cachedFields
            )
        )
        #expect(machine.start().action.mutations?.setHeaders == cachedFields)
    }
}
