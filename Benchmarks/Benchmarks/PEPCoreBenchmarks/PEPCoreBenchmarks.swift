import Benchmark
import Foundation
import PEPCore
import Synchronization

// Micro benchmarks of the enforcement hot path's pure parts (issue 6). Each reports time per operation and
// mallocs per operation (`mallocCountTotal`, through the malloc interposer). Static thresholds in
// ../../Thresholds hold the allocation budget: 0 for the matcher and the state machine on a cached grant.
//
// Run: `swift package benchmark` (all), `swift package benchmark --filter matcher`,
// `swift package benchmark thresholds check` (fails when an allocation budget is exceeded).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,  // inner loops of 1 000: every benchmark reports per single operation
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: [.mallocCountTotal: BenchmarkThresholds(absolute: [.p90: 0])]
    )
    matcherBenchmarks()
    canonicalizerBenchmarks()
    cacheBenchmarks()
    enforcementBenchmarks()
}

// MARK: - Matcher

/// `PathMatcher.match` over documents of 10, 100 and 1 000 rules (hit on the last rule through `??`, and a
/// miss), plus one `{regex}` segment (a `Regex` needs a `String` per test, so that one may allocate).
private func matcherBenchmarks() {
    for count in [10, 100, 1_000] {
        let matcher = compile(BenchFixtures.document(rules: count))
        let path = BenchFixtures.hitPath(rules: count)
        guard matcher.match(method: "GET", path: path)?.ruleIndex == count - 1 else {
            fatalError("matcher fixture for \(count) rules does not hit its last rule")
        }
        Benchmark("matcher-\(count)-rules") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(matcher.match(method: "GET", path: path))
            }
        }
        Benchmark("matcher-\(count)-rules-miss") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(matcher.match(method: "GET", path: "/nothing/here/at/all"))
            }
        }
    }
    let load = compile(BenchFixtures.loadDocument)
    Benchmark("matcher-regex-segment", configuration: informative()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(load.match(method: "GET", path: "/users/12345/profile"))
        }
    }
}

// MARK: - Canonicalizer

/// `CanonicalTarget.canonicalize` on a plain target and on one that needs every normalization (SPEC A5).
private func canonicalizerBenchmarks() {
    let plain = "/api/v1/r7/42/items?page=2"
    let messy = "/api/./v1//r7/%7Eitems/../items/%41?page=2"
    Benchmark("canonicalize-plain", configuration: informative()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? CanonicalTarget.canonicalize(requestTarget: plain, method: "GET", host: nil))
        }
    }
    Benchmark("canonicalize-normalizing", configuration: informative()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? CanonicalTarget.canonicalize(requestTarget: messy, method: "GET", host: nil))
        }
    }
}

// MARK: - Cache

/// A decision cache as the driver keeps it (100 000 entries, 32 stripes) with 10 000 grants stored.
private let warmCacheKeys: [DecisionCacheKey] = (0..<10_000).map {
    BenchFixtures.decisionKey(RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/"), method: "GET",
                              token: BenchFixtures.token($0))
}
private let warmCache: LRUTTLCache<DecisionCacheKey, CachedGrant, Never> = {
    let cache = LRUTTLCache<DecisionCacheKey, CachedGrant, Never>(limits: CacheLimits())
    for key in warmCacheKeys {
        cache.setValue(CachedGrant(validUntil: .max), forKey: key, ttl: .seconds(3_600), now: CacheInstant(seconds: 1))
    }
    return cache
}()
/// Set while the contending thread of `cache-hit-2-threads` should keep running.
private let contenderRunning = Atomic<Bool>(false)
private let contenderStopped = Atomic<Bool>(true)

/// `LRUTTLCache` hit, miss, eviction (a full small cache taking new keys) and hits with a second thread hitting
/// the same cache all the time (lock striping under contention).
private func cacheBenchmarks() {
    let now = CacheInstant(seconds: 2)
    let missKeys = (0..<1_000).map {
        BenchFixtures.decisionKey(RuleMatch(ruleIndex: 1, conditionIndex: 0, pattern: "/x"), method: "GET",
                                  token: BenchFixtures.token($0))
    }
    Benchmark("cache-hit") { benchmark in
        let keys = warmCacheKeys
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(warmCache.value(forKey: keys[index], now: now))
            index = index == keys.count - 1 ? 0 : index + 1
        }
    }
    Benchmark("cache-miss") { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(warmCache.value(forKey: missKeys[index], now: now))
            index = index == missKeys.count - 1 ? 0 : index + 1
        }
    }
    // 1 000 entries, 20 000 distinct keys in rotation: once full, every insert evicts the stripe's LRU entry.
    let small = LRUTTLCache<DecisionCacheKey, CachedGrant, Never>(limits: CacheLimits(maxEntries: 1_000))
    let evictKeys = (0..<20_000).map {
        BenchFixtures.decisionKey(RuleMatch(ruleIndex: 2, conditionIndex: 0, pattern: "/e"), method: "GET",
                                  token: BenchFixtures.token($0))
    }
    Benchmark("cache-eviction") { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            small.setValue(CachedGrant(validUntil: .max), forKey: evictKeys[index], ttl: .seconds(60), now: now)
            index = index == evictKeys.count - 1 ? 0 : index + 1
        }
    }
    Benchmark(
        "cache-hit-2-threads",
        configuration: informative(),
        closure: { benchmark in
            let keys = warmCacheKeys
            var index = 0
            for _ in benchmark.scaledIterations {
                blackHole(warmCache.value(forKey: keys[index], now: now))
                index = index == keys.count - 1 ? 0 : index + 1
            }
        },
        setup: { startContender(now: now) },
        teardown: { stopContender() })
}

/// Starts a thread that hits `warmCache` (in the reverse key order) until `stopContender()`.
private func startContender(now: CacheInstant) {
    contenderRunning.store(true, ordering: .releasing)
    contenderStopped.store(false, ordering: .releasing)
    let thread = Thread {
        let keys = warmCacheKeys
        var index = keys.count - 1
        while contenderRunning.load(ordering: .acquiring) {
            blackHole(warmCache.value(forKey: keys[index], now: now))
            index = index == 0 ? keys.count - 1 : index - 1
        }
        contenderStopped.store(true, ordering: .releasing)
    }
    thread.start()
}

private func stopContender() {
    contenderRunning.store(false, ordering: .releasing)
    while !contenderStopped.load(ordering: .acquiring) { usleep(100) }
}

// MARK: - Enforcement

/// The cached-grant hot path: the state machine alone on a request carrying both cache hits, and the whole
/// synchronous decision `EnforcementDriver.authorize` takes (match, bearer parse, two cache lookups, machine).
private func enforcementBenchmarks() {
    let document = BenchFixtures.loadDocument
    let matcher = compile(document)
    let policy = BenchFixtures.policy
    let token = BenchFixtures.token(7, length: 400)
    let authorization = "Bearer " + token
    guard let match = matcher.match(method: "GET", path: "/api/orders/7") else {
        fatalError("load document does not match /api/orders/7")
    }
    let rule = MatchedRule(match: match, condition: document.rules[match.ruleIndex].conditions[match.conditionIndex])
    let request = EnforcementRequest(
        method: "GET", rule: rule, token: .token(token), now: BenchFixtures.now,
        cachedIntrospection: BenchFixtures.introspection(), cachedGrant: CachedGrant(validUntil: .max))
    var probe = EnforcementStateMachine(policy: policy, request: request)
    guard case .forward = probe.start().action else { fatalError("cached grant does not forward") }

    Benchmark("state-machine-cached-grant") { benchmark in
        for _ in benchmark.scaledIterations {
            var machine = EnforcementStateMachine(policy: policy, request: request)
            blackHole(machine.start())
        }
    }

    let introspections = LRUTTLCache<IntrospectionCacheKey, IntrospectionResult, Never>(limits: CacheLimits())
    let decisions = LRUTTLCache<DecisionCacheKey, CachedGrant, Never>(limits: CacheLimits())
    let start = CacheInstant(seconds: 1)
    introspections.setValue(
        BenchFixtures.introspection(),
        forKey: IntrospectionCacheKey(authorizationServer: BenchFixtures.authorizationServer, token: token),
        ttl: .seconds(3_600), now: start)
    decisions.setValue(
        CachedGrant(validUntil: .max), forKey: BenchFixtures.decisionKey(match, method: "GET", token: token),
        ttl: .seconds(3_600), now: start)

    // 400 bytes is a JWT-sized RPT; 43 bytes is what the development AS mints (opaque).
    let shortAuthorization = "Bearer " + BenchFixtures.token(8, length: 43)
    Benchmark("bearer-token-parse-400-bytes", configuration: informative()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(BearerToken.parse(authorization))
        }
    }
    Benchmark("bearer-token-parse-43-bytes", configuration: informative()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(BearerToken.parse(shortAuthorization))
        }
    }
    // Budget 1 malloc per decision: the token `String` that `BearerToken.parse` returns. Static thresholds count
    // per measured iteration (1 000 operations), so Thresholds/ holds 1000.
    Benchmark("enforce-cached-grant") { benchmark in
        let now = CacheInstant(seconds: 2)
        for _ in benchmark.scaledIterations {
            blackHole(
                decideCachedGrant(
                    matcher: matcher, document: document, policy: policy, authorization: authorization,
                    path: "/api/orders/7", introspections: introspections, decisions: decisions, now: now))
        }
    }
}

/// What `EnforcementDriver.authorize` does synchronously for a request, minus metrics: the same calls in the
/// same order, so its allocations are the hot path's.
@inline(never)
private func decideCachedGrant(
    matcher: PathMatcher, document: ProtectionDocument, policy: EnforcementPolicy, authorization: String,
    path: String, introspections: LRUTTLCache<IntrospectionCacheKey, IntrospectionResult, Never>,
    decisions: LRUTTLCache<DecisionCacheKey, CachedGrant, Never>, now: CacheInstant
) -> EnforcementStep {
    let rule = matcher.match(method: "GET", path: path).map {
        MatchedRule(match: $0, condition: document.rules[$0.ruleIndex].conditions[$0.conditionIndex])
    }
    let token = BearerToken.parse(authorization)
    var request = EnforcementRequest(method: "GET", rule: rule, token: token, now: BenchFixtures.now)
    if let value = token.tokenValue {
        request.cachedIntrospection = introspections.value(
            forKey: IntrospectionCacheKey(authorizationServer: BenchFixtures.authorizationServer, token: value),
            now: now)
        if let rule {
            request.cachedGrant = decisions.value(
                forKey: BenchFixtures.decisionKey(rule.match, method: "GET", token: value), now: now)
        }
    }
    var machine = EnforcementStateMachine(policy: policy, request: request)
    return machine.start()
}

// MARK: - Helpers

private func compile(_ document: ProtectionDocument) -> PathMatcher {
    do {
        return try PathMatcher(document: document)
    } catch {
        fatalError("benchmark document does not compile: \(error)")
    }
}

/// The default configuration without the zero-allocation threshold (benchmarks that report, not gate).
private func informative() -> Benchmark.Configuration {
    var configuration = Benchmark.defaultConfiguration
    configuration.thresholds = nil
    return configuration
}
