import PEPCore
import PEPProxy
import Synchronization
import Testing

@testable import UMAPEPRuntime

/// A worker's grant cache repeats a decision only for the same `Authorization` value, service, rule, condition
/// and method, before the entry's expiry and within its epoch.
@Suite struct WorkerGrantCacheTests {
    static let authorization = "Bearer RPT-0123456789abcdef"

    static func entry(expiresAt: Int64 = 1_000, epoch: Int = 0) -> WorkerGrantCache.Entry {
        WorkerGrantCache.Entry(
            authorization: Array(Self.authorization.utf8), service: 1, rule: 2, condition: 0, method: "GET",
            expiresAt: expiresAt,
            epoch: epoch, decision: .forward(.none, detail: "pep.granted_cached", ruleIndex: 2),
            authenticatedConsumer: nil, grantedConsumer: nil,
            readDecisionCache: true)
    }

    struct Probe: Sendable, CustomTestStringConvertible {
        var label: String
        var authorization = WorkerGrantCacheTests.authorization
        var service = 1
        var rule = 2
        var condition = 0
        var method = "GET"
        var now: Int64 = 999
        var epoch = 0
        var hit: Bool
        var testDescription: String { self.label }
    }

    static let probes: [Probe] = [
        Probe(label: "same request", hit: true),
        Probe(label: "another token", authorization: "Bearer RPT-0123456789abcdeg", hit: false),
        Probe(label: "token prefix", authorization: "Bearer RPT-0123456789abcde", hit: false),
        Probe(label: "scheme case", authorization: "bearer RPT-0123456789abcdef", hit: false),
        Probe(label: "another service", service: 0, hit: false),
        Probe(label: "another rule", rule: 3, hit: false),
        Probe(label: "another condition", condition: 1, hit: false),
        Probe(label: "another method", method: "POST", hit: false),
        Probe(label: "method case", method: "get", hit: false),
        Probe(label: "at expiry", now: 1_000, hit: false),
        Probe(label: "after expiry", now: 5_000, hit: false),
        Probe(label: "after a flush", epoch: 1, hit: false),
    ]

    @Test(arguments: Self.probes)
    func lookup(_ probe: Probe) {
        let cache = WorkerGrantCache()
        let stored = WorkerGrantCache.key(authorization: Self.authorization, service: 1, rule: 2, condition: 0)
        cache.store(Self.entry(), key: stored)
        // With the probe's own key, and with the stored entry's (a request whose key collides with it): only the
        // entry's own comparisons can turn a colliding request away.
        let key = WorkerGrantCache.key(
            authorization: probe.authorization, service: probe.service, rule: probe.rule, condition: probe.condition)
        for probed in [key, stored] {
            let found = cache.lookup(
                key: probed, authorization: probe.authorization, service: probe.service, rule: probe.rule,
                condition: probe.condition, method: probe.method, now: probe.now, epoch: probe.epoch)
            #expect((found != nil) == probe.hit, "key \(probed == stored ? "stored" : "own")")
        }
        #expect(cache.introspectionHits.load(ordering: .relaxed) == (probe.hit ? 2 : 0))
        #expect(cache.decisionHits.load(ordering: .relaxed) == (probe.hit ? 2 : 0))
    }

    static func entry(token: String, expiresAt: Int64 = 1_000) -> WorkerGrantCache.Entry {
        WorkerGrantCache.Entry(
            authorization: Array("Bearer \(token)".utf8), service: 0, rule: 0, condition: 0, method: "GET",
            expiresAt: expiresAt, epoch: 0, decision: .forward(.none, detail: "pep.granted_cached", ruleIndex: 0),
            authenticatedConsumer: nil, grantedConsumer: nil, readDecisionCache: false)
    }

    static func key(_ token: String) -> UInt64 {
        WorkerGrantCache.key(authorization: "Bearer \(token)", service: 0, rule: 0, condition: 0)
    }

    static func hit(_ cache: WorkerGrantCache, _ token: String, now: Int64 = 1) -> WorkerGrantCache.Entry? {
        cache.lookup(
            key: Self.key(token), authorization: "Bearer \(token)", service: 0, rule: 0, condition: 0, method: "GET",
            now: now, epoch: 0)
    }

    /// `count` tokens whose keys fall in one set.
    static func tokensSharingASet(_ count: Int) -> [String] {
        var bySet: [Int: [String]] = [:]
        for index in 0... {
            let token = "tok-\(index)"
            let set = WorkerGrantCache.set(of: Self.key(token))
            bySet[set, default: []].append(token)
            if bySet[set]!.count == count { return bySet[set]! }
        }
        return []
    }

    /// A round-robin over 10 000 tokens (make bench's many-tokens): each token stored once, then looked up.
    /// Direct-mapped, 46 % of them had lost their slot to a colliding token; eight ways keep about 98 %.
    @Test func tenThousandTokensMostlyKept() {
        let cache = WorkerGrantCache()
        let tokens = (0..<10_000).map { "tok-\($0)" }
        for token in tokens { cache.store(Self.entry(token: token), key: Self.key(token)) }
        let kept = tokens.filter { Self.hit(cache, $0) != nil }.count
        #expect(kept >= 9_700, "\(kept) of 10 000 kept")
        #expect(tokens.allSatisfy { (0..<WorkerGrantCache.capacity).contains(WorkerGrantCache.set(of: Self.key($0))) })
    }

    /// A set's eight tokens are all kept; a ninth drops the oldest of them.
    @Test func aFullSetDropsItsOldest() throws {
        let ways = WorkerGrantCache.ways
        let tokens = Self.tokensSharingASet(ways + 1)
        try #require(tokens.count == ways + 1)
        let cache = WorkerGrantCache()
        for token in tokens.prefix(ways) { cache.store(Self.entry(token: token), key: Self.key(token)) }
        #expect(tokens.prefix(ways).allSatisfy { Self.hit(cache, $0) != nil })
        cache.store(Self.entry(token: tokens[ways]), key: Self.key(tokens[ways]))
        #expect(Self.hit(cache, tokens[0]) == nil)
        #expect(tokens.dropFirst().allSatisfy { Self.hit(cache, $0) != nil })
    }

    /// Storing a request again (its entry expired and was renewed) replaces its entry in place: the other
    /// requests of the set stay, and the new expiry counts.
    @Test func aRenewedEntryReplacesItsOwn() throws {
        let tokens = Self.tokensSharingASet(WorkerGrantCache.ways)
        try #require(tokens.count == WorkerGrantCache.ways)
        let cache = WorkerGrantCache()
        for token in tokens { cache.store(Self.entry(token: token, expiresAt: 100), key: Self.key(token)) }
        #expect(Self.hit(cache, tokens[0], now: 150) == nil)
        cache.store(Self.entry(token: tokens[0], expiresAt: 1_000), key: Self.key(tokens[0]))
        #expect(Self.hit(cache, tokens[0], now: 150)?.expiresAt == 1_000)
        #expect(tokens.dropFirst().allSatisfy { Self.hit(cache, $0, now: 50) != nil })
    }
}

extension WorkerGrantCacheTests {
    /// A token that is canonically equivalent but not byte-equal (U+212A KELVIN SIGN for `K`) is a miss even in
    /// the stored token's slot (an attacker can search for such a collision).
    @Test func canonicallyEquivalentTokenIsAMiss() {
        let cache = WorkerGrantCache()
        let original = "Bearer KKKKKKKK-token"
        let lookalike = "Bearer \u{212A}KKKKKKK-token"
        #expect(original == lookalike)  // what String == says
        let key = WorkerGrantCache.key(authorization: original, service: 1, rule: 2, condition: 0)
        cache.store(
            WorkerGrantCache.Entry(
                authorization: Array(original.utf8), service: 1, rule: 2, condition: 0, method: "GET", expiresAt: 1_000,
                epoch: 0,
                decision: .forward(.none, detail: "pep.granted_cached", ruleIndex: 2), authenticatedConsumer: nil,
                grantedConsumer: nil, readDecisionCache: false),
            key: key)
        #expect(
            cache.lookup(
                key: key, authorization: lookalike, service: 1, rule: 2, condition: 0, method: "GET", now: 1,
                epoch: 0) == nil)
        #expect(
            cache.lookup(
                key: key, authorization: original, service: 1, rule: 2, condition: 0, method: "GET", now: 1,
                epoch: 0) != nil)
    }
}

/// The tests speak strings; the cache takes the request head's bytes (as the enforcement driver hands them over).
extension WorkerGrantCache {
    static func key(authorization: String, service: Int, rule: Int, condition: Int) -> UInt64 {
        var text = authorization
        return text.withUTF8 {
            Self.key(authorization: UnsafeRawBufferPointer($0), service: service, rule: rule, condition: condition)
        }
    }

    func lookup(
        key: UInt64, authorization: String, service: Int, rule: Int, condition: Int, method: String, now: Int64,
        epoch: Int
    ) -> Entry? {
        var text = authorization
        return text.withUTF8 {
            self.lookup(
                key: key, authorization: UnsafeRawBufferPointer($0), service: service, rule: rule,
                condition: condition, method: method, now: now, epoch: epoch)
        }
    }
}

/// The worker's match cache repeats a rule resolution only for the same service, method and path bytes.
@Suite struct WorkerMatchCacheTests {
    struct Probe: Sendable, CustomTestStringConvertible {
        var label: String
        var service = 0
        var method = "GET"
        var path = "/caf\u{E9}/x"
        var hit: Bool
        var testDescription: String { self.label }
    }

    static let probes: [Probe] = [
        Probe(label: "same request", hit: true),
        Probe(label: "another service", service: 1, hit: false),
        Probe(label: "another method", method: "POST", hit: false),
        Probe(label: "method case", method: "get", hit: false),
        Probe(label: "another path", path: "/caf\u{E9}/y", hit: false),
        Probe(label: "trailing slash", path: "/caf\u{E9}/x/", hit: false),
        // Canonically equivalent (e + U+0301), different bytes: a different path to the matcher.
        Probe(label: "equivalent, other bytes", path: "/cafe\u{301}/x", hit: false),
    ]

    @Test(arguments: Self.probes)
    func lookup(_ probe: Probe) {
        let cache = WorkerGrantCache()
        let kept = RuleMatch(ruleIndex: 3, conditionIndex: 1, pattern: "/caf\u{E9}/??")
        let stored = WorkerGrantCache.matchSlot(service: 0, method: "GET", path: "/caf\u{E9}/x")
        cache.storeMatch(kept, slot: stored, service: 0, method: "GET", path: "/caf\u{E9}/x")
        // In the probe's own slot, and in the stored entry's (a request that collides with it): only the entry's
        // own comparisons can turn a colliding request away.
        let slot = WorkerGrantCache.matchSlot(service: probe.service, method: probe.method, path: probe.path)
        for probed in [slot, stored] {
            let found = cache.match(slot: probed, service: probe.service, method: probe.method, path: probe.path)
            #expect((found != nil) == probe.hit, "key \(probed == stored ? "stored" : "own")")
            if probe.hit { #expect(found == .some(kept)) }
        }
    }

    /// "No rule" is kept as an answer of its own, not as a miss.
    @Test func noRuleIsKept() {
        let cache = WorkerGrantCache()
        let slot = WorkerGrantCache.matchSlot(service: 2, method: "GET", path: "/open")
        #expect(cache.match(slot: slot, service: 2, method: "GET", path: "/open") == nil)
        cache.storeMatch(nil, slot: slot, service: 2, method: "GET", path: "/open")
        let found = cache.match(slot: slot, service: 2, method: "GET", path: "/open")
        #expect(found != nil && found! == nil)
    }
}
