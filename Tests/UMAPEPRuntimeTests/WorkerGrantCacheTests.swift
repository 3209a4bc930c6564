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
        let stored = WorkerGrantCache.slot(authorization: Self.authorization, service: 1, rule: 2, condition: 0)
        cache.store(Self.entry(), slot: stored)
        // In the probe's own slot, and in the stored entry's (a request that collides with it): only the entry's
        // own comparisons can turn a colliding request away.
        let slot = WorkerGrantCache.slot(
            authorization: probe.authorization, service: probe.service, rule: probe.rule, condition: probe.condition)
        for probed in [slot, stored] {
            let found = cache.lookup(
                slot: probed, authorization: probe.authorization, service: probe.service, rule: probe.rule,
                condition: probe.condition, method: probe.method, now: probe.now, epoch: probe.epoch)
            #expect((found != nil) == probe.hit, "slot \(probed == stored ? "stored" : "own")")
        }
        #expect(cache.introspectionHits.load(ordering: .relaxed) == (probe.hit ? 2 : 0))
        #expect(cache.decisionHits.load(ordering: .relaxed) == (probe.hit ? 2 : 0))
    }

    /// Slots spread: 10 000 tokens on one rule fill most of the 16 384 slots.
    @Test func slotsSpread() {
        var used = Set<Int>()
        for index in 0..<10_000 {
            used.insert(WorkerGrantCache.slot(authorization: "Bearer tok-\(index)", service: 0, rule: 0, condition: 0))
        }
        #expect(used.count > 7_000)
        #expect(used.allSatisfy { $0 >= 0 && $0 < WorkerGrantCache.capacity })
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
        let slot = WorkerGrantCache.slot(authorization: original, service: 1, rule: 2, condition: 0)
        cache.store(
            WorkerGrantCache.Entry(
                authorization: Array(original.utf8), service: 1, rule: 2, condition: 0, method: "GET", expiresAt: 1_000,
                epoch: 0,
                decision: .forward(.none, detail: "pep.granted_cached", ruleIndex: 2), authenticatedConsumer: nil,
                grantedConsumer: nil, readDecisionCache: false),
            slot: slot)
        #expect(
            cache.lookup(
                slot: slot, authorization: lookalike, service: 1, rule: 2, condition: 0, method: "GET", now: 1,
                epoch: 0) == nil)
        #expect(
            cache.lookup(
                slot: slot, authorization: original, service: 1, rule: 2, condition: 0, method: "GET", now: 1,
                epoch: 0) != nil)
    }
}

/// The tests speak strings; the cache takes the request head's bytes (as the enforcement driver hands them over).
extension WorkerGrantCache {
    static func slot(authorization: String, service: Int, rule: Int, condition: Int) -> Int {
        var text = authorization
        return text.withUTF8 {
            Self.slot(authorization: UnsafeRawBufferPointer($0), service: service, rule: rule, condition: condition)
        }
    }

    func lookup(
        slot: Int, authorization: String, service: Int, rule: Int, condition: Int, method: String, now: Int64,
        epoch: Int
    ) -> Entry? {
        var text = authorization
        return text.withUTF8 {
            self.lookup(
                slot: slot, authorization: UnsafeRawBufferPointer($0), service: service, rule: rule,
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
            #expect((found != nil) == probe.hit, "slot \(probed == stored ? "stored" : "own")")
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
