import Testing

@testable import PEPCore

/// A key whose hash takes only a few values, so probes collide and backward-shift deletion is exercised.
private struct CollidingKey: Hashable, Sendable {
    let id: Int
    let hashBuckets: Int

    static func == (lhs: CollidingKey, rhs: CollidingKey) -> Bool { lhs.id == rhs.id }

    func hash(into hasher: inout Hasher) { hasher.combine(self.id % self.hashBuckets) }
}

/// The reference model: an array in most-recently-used-first order.
private struct ModelLRU {
    var entries: [(key: Int, value: Int, expiresAt: Int64)] = []
    let capacity: Int

    mutating func get(_ key: Int, now: Int64) -> Int? {
        guard let index = self.entries.firstIndex(where: { $0.key == key }) else { return nil }
        let entry = self.entries.remove(at: index)
        guard now < entry.expiresAt else { return nil }
        self.entries.insert(entry, at: 0)
        return entry.value
    }

    mutating func set(_ key: Int, value: Int, ttl: Int64, now: Int64) {
        let index = self.entries.firstIndex(where: { $0.key == key })
        if let index { self.entries.remove(at: index) }
        guard ttl > 0 else { return }
        if self.entries.count == self.capacity { self.entries.removeLast() }
        self.entries.insert((key, value, now + ttl), at: 0)
    }

    mutating func remove(_ key: Int) -> Bool {
        guard let index = self.entries.firstIndex(where: { $0.key == key }) else { return false }
        self.entries.remove(at: index)
        return true
    }
}

@Suite struct LRUTTLCacheModelTests {
    /// Random get/set/remove sequences on one stripe agree with a straightforward LRU model, with colliding hashes,
    /// and the structure stays consistent.
    @Test(arguments: [(seed: UInt64(1), hashBuckets: 1), (2, 3), (3, 7), (4, 1_000_000)])
    func agreesWithReferenceModel(seed: UInt64, hashBuckets: Int) {
        var random = SplitMix64(state: seed)
        let capacity = 16
        let cache = LRUTTLCache<CollidingKey, Int, Never>(limits: CacheLimits(maxEntries: capacity, stripeCount: 1))
        var model = ModelLRU(capacity: capacity)
        var now: Int64 = 1_000
        for step in 0..<4_000 {
            let id = Int.random(in: 0..<40, using: &random)
            let key = CollidingKey(id: id, hashBuckets: hashBuckets)
            now += Int64.random(in: 0..<3, using: &random)
            let instant = CacheInstant(nanoseconds: now)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                #expect(
                    cache.value(forKey: key, now: instant) == model.get(id, now: now), "step \(step) get \(id)")
            case 4..<8:
                let ttl = Int64.random(in: -2..<60, using: &random)
                cache.setValue(step, forKey: key, ttl: .nanoseconds(ttl), now: instant)
                model.set(id, value: step, ttl: ttl, now: now)
            default:
                #expect(cache.removeValue(forKey: key) == model.remove(id), "step \(step) remove \(id)")
            }
            #expect(cache.count == model.entries.count, "step \(step) count")
        }
        #expect(cache.invariantViolationsForTest() == [])
    }
}
