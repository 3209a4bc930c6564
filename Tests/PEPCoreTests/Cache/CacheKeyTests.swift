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

    /// Keys built on a shared scope or from strings are equal exactly when every field is, equal keys hash
    /// alike, each key answers only its own value in a cache, and a flush by service removes that service's
    /// (SECURITY.md case 23; from a fresh review of the compact keys).
    @Test func keysAreEqualExactlyWhenEveryFieldIs() {
        let services = ["a", "ab", "", "photos-service-with-a-long-name"]
        let servers = ["", "c", "bc", "https://as.example/realm"]
        let rules = [0, 1, Int(Int32.max), -1]
        let methods = ["GET", "get", "HEAD"]
        let tokens = ["t", "T", "a-rather-long-token-value-0123456789"]
        var policies: [String: ServicePolicy] = [:]
        struct Parts: Hashable { let s: String; let a: String; let r: Int; let c: Int; let m: String; let t: String }
        var all: [(Parts, DecisionCacheKey)] = []
        for s in services {
            for a in servers {
                var policy = ServicePolicy(serviceName: "x", authorizationServer: nil)
                policy.serviceName = s
                policy.authorizationServer = a.isEmpty ? nil : a
                policies[s + "|" + a] = policy
                #expect(policy == ServicePolicy(serviceName: s, authorizationServer: a.isEmpty ? nil : a))
                for r in rules {
                    for c in rules.prefix(2) {
                        for m in methods {
                            for t in tokens {
                                let p = Parts(s: s, a: a, r: r, c: c, m: m, t: t)
                                all.append(
                                    (
                                        p,
                                        DecisionCacheKey(
                                            scope: policy.decisionScope, ruleIndex: r, conditionIndex: c, method: m,
                                            token: t)
                                    ))
                                all.append(
                                    (
                                        p,
                                        DecisionCacheKey(
                                            service: s, authorizationServer: a, ruleIndex: r, conditionIndex: c,
                                            method: m, token: t)
                                    ))
                            }
                        }
                    }
                }
            }
        }
        var bad = 0
        for i in all.indices {
            for j in all.indices where (i &* 31 &+ j) % 5 == 0 {
                let equal = all[i].1 == all[j].1
                if equal != (all[i].0 == all[j].0) { bad += 1 }
                if equal && all[i].1.hashValue != all[j].1.hashValue { bad += 1 }
            }
        }
        #expect(bad == 0)
        // Through the cache: each key answers only its own value.
        let cache = LRUTTLCache<DecisionCacheKey, Int, Never>(limits: CacheLimits(maxEntries: 1 << 16, stripeCount: 4))
        let now = CacheInstant(nanoseconds: 0)
        for (index, entry) in all.enumerated() where index % 2 == 0 {
            cache.setValue(index, forKey: entry.1, ttl: .seconds(60), now: now)
        }
        for (index, entry) in all.enumerated() where index % 2 == 1 {
            #expect(cache.value(forKey: entry.1, now: now) == index - 1)
        }
        let removed = cache.removeValues { $0.service == "ab" }
        #expect(removed == all.count / 2 / services.count)
        #expect(cache.invariantViolationsForTest().isEmpty)
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
