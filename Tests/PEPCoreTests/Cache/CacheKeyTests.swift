import Testing

@testable import PEPCore

@Suite struct CacheKeyTests {
    /// The same token at two authorization servers is two introspection keys (SPEC A3).
    @Test func introspectionKeysAreScopedByAuthorizationServer() {
        let a = IntrospectionCacheKey(authorizationServer: "https://as-a", token: "rpt")
        let b = IntrospectionCacheKey(authorizationServer: "https://as-b", token: "rpt")
        #expect(a != b)
        #expect(a == IntrospectionCacheKey(authorizationServer: "https://as-a", token: "rpt"))
        #expect(a.hashValue == IntrospectionCacheKey(authorizationServer: "https://as-a", token: "rpt").hashValue)
        #expect(
            IntrospectionCacheKey(authorizationServer: "ab", token: "c")
                != IntrospectionCacheKey(authorizationServer: "a", token: "bc"))
    }

    /// A decision key differs when any of service, rule, condition, method or token differs (SECURITY.md case 23).
    @Test func decisionKeysDifferInEveryField() {
        let base = DecisionCacheKey(service: "photos", ruleIndex: 1, conditionIndex: 0, method: "GET", token: "rpt")
        let variants = [
            DecisionCacheKey(service: "admin", ruleIndex: 1, conditionIndex: 0, method: "GET", token: "rpt"),
            DecisionCacheKey(service: "photos", ruleIndex: 2, conditionIndex: 0, method: "GET", token: "rpt"),
            DecisionCacheKey(service: "photos", ruleIndex: 1, conditionIndex: 1, method: "GET", token: "rpt"),
            DecisionCacheKey(service: "photos", ruleIndex: 1, conditionIndex: 0, method: "POST", token: "rpt"),
            DecisionCacheKey(service: "photos", ruleIndex: 1, conditionIndex: 0, method: "GET", token: "rpt2"),
        ]
        for variant in variants { #expect(variant != base) }
        #expect(Set(variants + [base]).count == 6)
        #expect(
            base == DecisionCacheKey(service: "photos", ruleIndex: 1, conditionIndex: 0, method: "GET", token: "rpt"))
        #expect(
            DecisionCacheKey(
                service: "ab", authorizationServer: "c", ruleIndex: 0, conditionIndex: 0, method: "GET",
                token: "t")
                != DecisionCacheKey(
                    service: "a", authorizationServer: "bc", ruleIndex: 0, conditionIndex: 0, method: "GET", token: "t")
        )
    }

    /// A key built on a service's shared scope equals one built from the same strings (same hash), and the
    /// scope follows the service's name and authorization server when they change.
    @Test func sharedScopeKeysEqualStringKeys() {
        var service = ServicePolicy(serviceName: "photos", authorizationServer: "https://as")
        let shared = DecisionCacheKey(
            scope: service.decisionScope, ruleIndex: 3, conditionIndex: 1, method: "GET", token: "rpt")
        let built = DecisionCacheKey(
            service: "photos", authorizationServer: "https://as", ruleIndex: 3, conditionIndex: 1, method: "GET",
            token: "rpt")
        #expect(shared == built && shared.hashValue == built.hashValue)
        #expect(shared.service == "photos" && shared.authorizationServer == "https://as")
        #expect(shared.ruleIndex == 3 && shared.conditionIndex == 1)
        service.authorizationServer = "https://other"
        #expect(service.decisionScope.authorizationServer == "https://other")
        let moved = DecisionCacheKey(
            scope: service.decisionScope, ruleIndex: 3, conditionIndex: 1, method: "GET", token: "rpt")
        #expect(moved != shared)
        service.serviceName = "albums"
        #expect(service.decisionScope.service == "albums")
        #expect(ServicePolicy(serviceName: "p", authorizationServer: nil).decisionScope.authorizationServer == "")
    }

    /// Descriptions, debug descriptions and dumps never contain the token.
    @Test func descriptionsHideTheToken() {
        let token = "eyJSECRET.TOKEN.VALUE"
        let introspection = IntrospectionCacheKey(authorizationServer: "https://as", token: token)
        let decision = DecisionCacheKey(service: "photos", ruleIndex: 0, conditionIndex: 0, method: "GET", token: token)
        for text in [
            "\(introspection)", String(reflecting: introspection), "\(decision)", String(reflecting: decision),
            dumped(introspection), dumped(decision),
        ] {
            #expect(!text.contains("SECRET"))
        }
        #expect("\(introspection)".contains("21 bytes"))
    }

    /// Typed keys work as cache keys: the same request finds its grant, another method does not.
    @Test func typedKeysDriveTheCache() {
        let cache = LRUTTLCache<DecisionCacheKey, Bool, Never>(limits: CacheLimits(maxEntries: 8))
        let now = CacheInstant(seconds: 1)
        let get = DecisionCacheKey(service: "photos", ruleIndex: 0, conditionIndex: 0, method: "GET", token: "rpt")
        let post = DecisionCacheKey(service: "photos", ruleIndex: 0, conditionIndex: 0, method: "POST", token: "rpt")
        cache.setValue(true, forKey: get, ttl: .seconds(5), now: now)
        #expect(cache.value(forKey: get, now: now) == true)
        #expect(cache.value(forKey: post, now: now) == nil)
    }
}

private func dumped(_ value: some Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
