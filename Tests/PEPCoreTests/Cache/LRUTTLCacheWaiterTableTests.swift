import Testing

@testable import PEPCore

/// A key whose `hashValue` is chosen: the low 32 bits collide across ids, the high bits differ.
private struct WideKey: Hashable, Sendable {
    let id: Int
    let low: Int
    static func == (lhs: WideKey, rhs: WideKey) -> Bool { lhs.id == rhs.id }
    var hashValue: Int { (self.id << 40) | (self.low & 0xFFFF_FFFF) }
    func hash(into hasher: inout Hasher) { hasher.combine(self.hashValue) }
}

private struct Tag: Sendable, Hashable { let id: Int; let key: Int }

/// The waiters of in-flight markers live in a per-stripe table, and the slots keep 32 bits of the hash: random
/// joins, completions, failures, reaps, takeovers, stores, removals and flushes on one small stripe, with keys
/// whose low 32 hash bits collide, must keep the stripe consistent and return every waiter exactly once, for its
/// own key (SECURITY.md case 24; found by a fresh review of the compact slots).
@Suite struct LRUTTLCacheWaiterTableTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func everyWaiterComesBackOnceForItsKey(seed: UInt64) {
        var random = SplitMix64(state: seed)
        let cache = LRUTTLCache<WideKey, Int, Tag>(
            limits: CacheLimits(
                maxEntries: 8, stripeCount: 1, pendingTimeout: .nanoseconds(20), maxWaitersPerKey: 3))
        var joined: [Tag: Int] = [:]
        var returned: [Tag: Int] = [:]
        var next = 0
        var now: Int64 = 1_000
        func take(_ tags: [Tag], _ key: Int?) {
            for tag in tags {
                returned[tag, default: 0] += 1
                if let key { #expect(tag.key == key, "waiter of \(tag.key) returned for \(key)") }
            }
        }
        for step in 0..<6_000 {
            let id = Int.random(in: 0..<14, using: &random)
            let key = WideKey(id: id, low: id % 3 == 0 ? 7 : id)
            now += Int64.random(in: 0..<4, using: &random)
            let at = CacheInstant(nanoseconds: now)
            switch Int.random(in: 0..<12, using: &random) {
            case 0..<4:
                next += 1
                let tag = Tag(id: next, key: id)
                if case .joined = cache.lookupOrBegin(key, now: at, waiter: tag) { joined[tag] = 1 }
            case 4..<6:
                let value: Int? = Bool.random(using: &random) ? step : nil
                take(
                    cache.complete(
                        key, value: value, ttl: .nanoseconds(Int64.random(in: -1..<30, using: &random)), now: at), id)
            case 6: take(cache.fail(key), id)
            case 7: take(cache.reapStalePending(now: at), nil)
            case 8: cache.setValue(step, forKey: key, ttl: .nanoseconds(15), now: at)
            case 9: cache.removeValue(forKey: key)
            case 10: cache.removeValues { $0.id % 2 == 0 }
            default: if step % 50 == 0 { cache.removeAllValues() } else { _ = cache.value(forKey: key, now: at) }
            }
            let problems = cache.invariantViolationsForTest()
            #expect(problems.isEmpty, "step \(step): \(problems)")
            if !problems.isEmpty { return }
        }
        take(cache.reapStalePending(now: CacheInstant(nanoseconds: now + 1_000)), nil)
        #expect(returned.values.allSatisfy { $0 == 1 })
        #expect(Set(returned.keys) == Set(joined.keys))
        #expect(cache.statistics.pending == 0)
        let stats = cache.statistics
        #expect(stats.joins > 100 && stats.takeovers > 10 && stats.reaped > 10 && stats.evictions > 0, "\(stats)")
        #expect(joined.count > 100)
    }
}
