import Testing

@testable import PEPCore

@Suite struct CacheLimitsTests {
    /// Stripe counts become powers of two within 1…256 and never exceed the entry bound; entries clamp to ≥ 1.
    @Test(arguments: [
        (entries: 100_000, stripes: 32, expectEntries: 100_000, expectStripes: 32),
        (100_000, 20, 100_000, 32),
        (100_000, 0, 100_000, 1),
        (100_000, 10_000, 100_000, 256),
        (5, 64, 5, 4),
        (0, 16, 1, 1),
        (-3, -3, 1, 1),
    ])
    func normalizesKnobs(entries: Int, stripes: Int, expectEntries: Int, expectStripes: Int) {
        let limits = CacheLimits(maxEntries: entries, stripeCount: stripes).normalized
        #expect(limits.maxEntries == expectEntries)
        #expect(limits.stripeCount == expectStripes)
    }

    /// The cache reports the limits in effect and splits `maxEntries` exactly over its stripes.
    @Test func cacheUsesNormalizedLimits() {
        let cache = LRUTTLCache<Int, Int, Never>(limits: CacheLimits(maxEntries: 10, stripeCount: 3))
        #expect(cache.limits.stripeCount == 4)
        #expect(cache.stripes.count == 4)
        let capacities = cache.stripes.map { box in box.mutex.withLock { $0.capacity } }
        #expect(capacities == [3, 3, 2, 2])
    }

    /// A negative waiter bound is treated as zero.
    @Test func negativeWaiterBoundIsZero() {
        #expect(CacheLimits(maxWaitersPerKey: -1).normalized.maxWaitersPerKey == 0)
    }
}
