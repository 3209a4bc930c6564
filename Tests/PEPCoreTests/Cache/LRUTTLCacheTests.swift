import Testing

@testable import PEPCore

/// A cache with one stripe, so LRU order is global and tests can name the victim.
private func singleStripeCache(maxEntries: Int) -> LRUTTLCache<String, Int, Never> {
    LRUTTLCache(limits: CacheLimits(maxEntries: maxEntries, stripeCount: 1))
}

private let t0 = CacheInstant(seconds: 1_700_000_000)

@Suite struct LRUTTLCacheTests {
    /// At the bound the least recently used value goes; a value read since it was stored survives.
    @Test func evictsLeastRecentlyUsedAtBound() {
        let cache = singleStripeCache(maxEntries: 3)
        for (index, key) in ["a", "b", "c"].enumerated() {
            #expect(cache.setValue(index, forKey: key, ttl: .seconds(60), now: t0))
        }
        #expect(cache.value(forKey: "a", now: t0) == 0)
        #expect(cache.setValue(3, forKey: "d", ttl: .seconds(60), now: t0))
        #expect(cache.value(forKey: "b", now: t0) == nil)
        #expect(cache.value(forKey: "a", now: t0) == 0)
        #expect(cache.value(forKey: "c", now: t0) == 2)
        #expect(cache.value(forKey: "d", now: t0) == 3)
        #expect(cache.count == 3)
        #expect(cache.statistics.evictions == 1)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// Filling past the bound keeps exactly the recently read half plus the newest entries.
    @Test func recentlyReadEntriesSurviveAFlood() {
        let cache = singleStripeCache(maxEntries: 100)
        for key in 0..<100 { cache.setValue(key, forKey: "k\(key)", ttl: .seconds(60), now: t0) }
        for key in 0..<50 { #expect(cache.value(forKey: "k\(key)", now: t0) == key) }
        for key in 100..<150 { cache.setValue(key, forKey: "k\(key)", ttl: .seconds(60), now: t0) }
        for key in 0..<150 {
            let expected = (50..<100).contains(key) ? nil : key
            #expect(cache.value(forKey: "k\(key)", now: t0) == expected)
        }
        #expect(cache.count == 100)
        #expect(cache.statistics.evictions == 50)
    }

    /// A value is live until one nanosecond before its TTL and gone exactly at it.
    @Test func expiresExactlyAtTheTTL() {
        let cache = singleStripeCache(maxEntries: 4)
        cache.setValue(7, forKey: "token", ttl: .seconds(10), now: t0)
        #expect(cache.value(forKey: "token", now: t0.advanced(by: .seconds(10) - .nanoseconds(1))) == 7)
        #expect(cache.value(forKey: "token", now: t0.advanced(by: .seconds(10))) == nil)
        #expect(cache.count == 0)
        #expect(cache.statistics.expirations == 1)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// A TTL of zero, a negative TTL or less than a nanosecond caches nothing and removes an older value (SPEC A7).
    @Test(arguments: [
        Duration.zero, .seconds(-5), .nanoseconds(-1), .seconds(-Int64.max),
        Duration(secondsComponent: 0, attosecondsComponent: 500),
    ])
    func doesNotCacheNonPositiveTTL(ttl: Duration) {
        let cache = singleStripeCache(maxEntries: 4)
        cache.setValue(1, forKey: "token", ttl: .seconds(60), now: t0)
        #expect(cache.setValue(2, forKey: "token", ttl: ttl, now: t0) == false)
        #expect(cache.setValue(3, forKey: "other", ttl: ttl, now: t0) == false)
        #expect(cache.value(forKey: "token", now: t0) == nil)
        #expect(cache.value(forKey: "other", now: t0) == nil)
        #expect(cache.count == 0)
    }

    /// Overwriting replaces the value and its expiry.
    @Test func overwriteReplacesValueAndExpiry() {
        let cache = singleStripeCache(maxEntries: 4)
        cache.setValue(1, forKey: "token", ttl: .seconds(5), now: t0)
        cache.setValue(2, forKey: "token", ttl: .seconds(50), now: t0)
        #expect(cache.value(forKey: "token", now: t0.advanced(by: .seconds(20))) == 2)
        #expect(cache.count == 1)
    }

    /// A TTL far beyond Int64 nanoseconds saturates instead of trapping, and the value stays live.
    @Test func hugeTTLSaturates() {
        let cache = singleStripeCache(maxEntries: 4)
        #expect(cache.setValue(1, forKey: "token", ttl: .seconds(Int64.max), now: t0))
        #expect(cache.value(forKey: "token", now: CacheInstant(nanoseconds: .max - 1)) == 1)
    }

    /// Removing one value or all values leaves an empty, consistent cache.
    @Test func removesValues() {
        // Each stripe bounds its own share (maxEntries / stripes): 160 per stripe holds all 40 keys whatever
        // stripes the per-process hash seed sends them to (64 / 4 = 16 evicted some on unlucky seeds).
        let cache = LRUTTLCache<String, Int, Never>(limits: CacheLimits(maxEntries: 640, stripeCount: 4))
        for key in 0..<40 { cache.setValue(key, forKey: "k\(key)", ttl: .seconds(60), now: t0) }
        #expect(cache.removeValue(forKey: "k3"))
        #expect(cache.removeValue(forKey: "k3") == false)
        #expect(cache.value(forKey: "k3", now: t0) == nil)
        #expect(cache.count == 39)
        cache.removeAllValues()
        #expect(cache.count == 0)
        #expect(cache.value(forKey: "k4", now: t0) == nil)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// Hits, misses, evictions and expirations are counted, and an expired LRU tail counts as an expiration.
    @Test func countsHitsMissesEvictionsAndExpirations() {
        let cache = singleStripeCache(maxEntries: 2)
        cache.setValue(1, forKey: "short", ttl: .seconds(1), now: t0)
        cache.setValue(2, forKey: "long", ttl: .seconds(100), now: t0)
        _ = cache.value(forKey: "long", now: t0)  // hit
        _ = cache.value(forKey: "absent", now: t0)  // miss
        let later = t0.advanced(by: .seconds(2))
        cache.setValue(3, forKey: "new", ttl: .seconds(100), now: later)  // "short" (expired tail) goes
        cache.setValue(4, forKey: "newer", ttl: .seconds(100), now: later)  // "long" (live tail) goes
        var expected = CacheStatistics()
        expected.hits = 1
        expected.misses = 1
        expected.expirations = 1
        expected.evictions = 1
        expected.entries = 2
        #expect(cache.statistics == expected)
    }

    /// With many stripes the total never exceeds `maxEntries` and a full cache holds exactly `maxEntries`.
    @Test(arguments: [1, 7, 100, 1000])
    func countStaysWithinMaxEntries(maxEntries: Int) {
        let cache = LRUTTLCache<String, Int, Never>(limits: CacheLimits(maxEntries: maxEntries, stripeCount: 16))
        for key in 0..<(maxEntries * 20 + 50) { cache.setValue(key, forKey: "k\(key)", ttl: .seconds(9), now: t0) }
        #expect(cache.count <= maxEntries)
        #expect(cache.count >= maxEntries * 9 / 10)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// The slot array and the index grow with the entries, not with `maxEntries`: an empty cache reserves 64
    /// slots per stripe; filling it grows both (every entry stays findable across each rebuild of the index),
    /// the slot array's last step lands on the stripe's capacity exactly, and the index stays at twice the slots.
    @Test(arguments: [1, 50, 64, 65, 1000, 3125])
    func storageGrowsWithEntries(maxEntries: Int) {
        let cache = singleStripeCache(maxEntries: maxEntries)
        let empty = cache.stripes[0].mutex.withLock { ($0.slots.capacity, $0.buckets.count) }
        #expect(empty.0 >= min(maxEntries, 64) && empty.0 < 128)
        #expect(empty.1 == max(2, 2 * min(maxEntries, 64)).nextPowerOfTwo)
        for key in 0..<maxEntries {
            #expect(cache.setValue(key, forKey: "k\(key)", ttl: .seconds(9), now: t0))
            if key % 97 == 0 { #expect(cache.invariantViolationsForTest().isEmpty) }
        }
        for key in 0..<maxEntries { #expect(cache.value(forKey: "k\(key)", now: t0) == key) }
        let full = cache.stripes[0].mutex.withLock { ($0.slots.count, $0.slots.capacity, $0.buckets.count) }
        #expect(full.0 == maxEntries)
        #expect(full.1 >= maxEntries && full.1 < maxEntries + 8)  // malloc may round up a little
        #expect(full.2 == max(2, 2 * maxEntries).nextPowerOfTwo)
        #expect(cache.invariantViolationsForTest().isEmpty)
        // Removing and refilling reuses slots: nothing grows further.
        for key in 0..<maxEntries where key % 2 == 0 { cache.removeValue(forKey: "k\(key)") }
        for key in 0..<maxEntries where key % 2 == 0 {
            cache.setValue(key, forKey: "n\(key)", ttl: .seconds(9), now: t0)
        }
        #expect(cache.stripes[0].mutex.withLock { ($0.slots.count, $0.buckets.count) } == (full.0, full.2))
        #expect(cache.invariantViolationsForTest().isEmpty)
    }
}

extension Int {
    /// The smallest power of two ≥ self (self ≥ 1).
    fileprivate var nextPowerOfTwo: Int {
        var power = 1
        while power < self { power <<= 1 }
        return power
    }
}
