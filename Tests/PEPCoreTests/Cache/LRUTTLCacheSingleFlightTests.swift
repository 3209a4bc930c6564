import Testing

@testable import PEPCore

private let t0 = CacheInstant(seconds: 1_700_000_000)

/// A single-flight cache with one stripe; waiters are plain request numbers.
private func flightCache(
    maxEntries: Int = 16, pendingTimeout: Duration = .seconds(6), maxWaitersPerKey: Int = 1024
) -> LRUTTLCache<String, String, Int> {
    LRUTTLCache(
        limits: CacheLimits(
            maxEntries: maxEntries, stripeCount: 1, pendingTimeout: pendingTimeout, maxWaitersPerKey: maxWaitersPerKey))
}

@Suite struct LRUTTLCacheSingleFlightTests {
    /// 100 concurrent lookups of one missing key make one leader; completing returns every waiter once, in order.
    @Test func hundredJoinersShareOneLeader() {
        let cache = flightCache()
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 0) == .leader)
        for request in 1...100 { #expect(cache.lookupOrBegin("rpt", now: t0, waiter: request) == .joined) }
        #expect(cache.complete("rpt", value: "active", ttl: .seconds(30), now: t0) == Array(1...100))
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 101) == .hit("active"))
        #expect(cache.complete("rpt", value: "active", ttl: .seconds(30), now: t0) == [])
        let stats = cache.statistics
        #expect(stats.joins == 100)
        #expect(stats.hits == 1)
        #expect(stats.misses == 101)
        #expect(stats.pending == 0)
        #expect(stats.entries == 1)
    }

    /// `fail` and `complete(value: nil)` return the waiters and store nothing, so the next lookup leads again.
    @Test(arguments: [true, false])
    func failureReturnsWaitersAndStoresNothing(viaFail: Bool) {
        let cache = flightCache()
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 0) == .leader)
        for request in 1...3 { _ = cache.lookupOrBegin("rpt", now: t0, waiter: request) }
        let waiters = viaFail ? cache.fail("rpt") : cache.complete("rpt", value: nil, ttl: .seconds(30), now: t0)
        #expect(waiters == [1, 2, 3])
        #expect(cache.value(forKey: "rpt", now: t0) == nil)
        #expect(cache.count == 0)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 4) == .leader)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// A result with TTL ≤ 0 reaches the waiters but is not cached (SPEC A7).
    @Test func completeWithNonPositiveTTLNotifiesButDoesNotCache() {
        let cache = flightCache()
        _ = cache.lookupOrBegin("rpt", now: t0, waiter: 0)
        _ = cache.lookupOrBegin("rpt", now: t0, waiter: 1)
        #expect(cache.complete("rpt", value: "active", ttl: .zero, now: t0) == [1])
        #expect(cache.value(forKey: "rpt", now: t0) == nil)
        #expect(cache.count == 0)
    }

    /// An in-flight marker is not a value for plain readers.
    @Test func pendingMarkerIsNotAValue() {
        let cache = flightCache()
        _ = cache.lookupOrBegin("rpt", now: t0, waiter: 0)
        #expect(cache.value(forKey: "rpt", now: t0) == nil)
        #expect(cache.setValue("x", forKey: "rpt", ttl: .seconds(5), now: t0) == false)
        #expect(cache.removeValue(forKey: "rpt") == false)
        #expect(cache.statistics.pending == 1)
    }

    /// A marker is joined until exactly `pendingTimeout`; at the timeout the next lookup takes it over and
    /// inherits the lost leader's waiters.
    @Test func staleMarkerIsTakenOverWithItsWaiters() {
        let cache = flightCache(pendingTimeout: .milliseconds(200))
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 0) == .leader)
        let almost = t0.advanced(by: .milliseconds(200) - .nanoseconds(1))
        #expect(cache.lookupOrBegin("rpt", now: almost, waiter: 1) == .joined)
        let stale = t0.advanced(by: .milliseconds(200))
        #expect(cache.lookupOrBegin("rpt", now: stale, waiter: 2) == .leader)
        #expect(cache.lookupOrBegin("rpt", now: stale, waiter: 3) == .joined)
        #expect(cache.statistics.takeovers == 1)
        #expect(cache.complete("rpt", value: "active", ttl: .seconds(5), now: stale) == [1, 3])
        // The lost leader finishing late only refreshes the value.
        #expect(cache.complete("rpt", value: "late", ttl: .seconds(5), now: stale) == [])
        #expect(cache.value(forKey: "rpt", now: stale) == "late")
    }

    /// An expired value's slot turns into the new leader's marker.
    @Test func expiredValueMakesALeader() {
        let cache = flightCache()
        cache.setValue("old", forKey: "rpt", ttl: .seconds(1), now: t0)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 0) == .hit("old"))
        #expect(cache.lookupOrBegin("rpt", now: t0.advanced(by: .seconds(1)), waiter: 1) == .leader)
        #expect(cache.statistics.expirations == 1)
        #expect(cache.count == 1)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// Over `maxWaitersPerKey` a lookup is rejected at once with `cache.waiters_full` (SECURITY.md case 24c).
    @Test func waiterOverflowIsRejected() {
        let cache = flightCache(maxWaitersPerKey: 2)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 0) == .leader)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 1) == .joined)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 2) == .joined)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 3) == .rejected(.waitersFull))
        #expect(CacheRejection.waitersFull.detail == "cache.waiters_full")
        #expect(cache.statistics.waiterOverflows == 1)
        #expect(cache.fail("rpt") == [1, 2])
    }

    /// With `maxWaitersPerKey` 0 nobody joins.
    @Test func zeroWaitersDisablesJoining() {
        let cache = flightCache(maxWaitersPerKey: 0)
        _ = cache.lookupOrBegin("rpt", now: t0, waiter: 0)
        #expect(cache.lookupOrBegin("rpt", now: t0, waiter: 1) == .rejected(.waitersFull))
    }

    /// A stripe full of live markers refuses new leaders (`cache.pending_full`) and drops plain inserts.
    @Test func stripeFullOfMarkersRejectsNewLeaders() {
        let cache = flightCache(maxEntries: 2)
        #expect(cache.lookupOrBegin("a", now: t0, waiter: 0) == .leader)
        #expect(cache.lookupOrBegin("b", now: t0, waiter: 1) == .leader)
        #expect(cache.lookupOrBegin("c", now: t0, waiter: 2) == .rejected(.pendingFull))
        #expect(cache.setValue("v", forKey: "c", ttl: .seconds(5), now: t0) == false)
        #expect(CacheRejection.pendingFull.detail == "cache.pending_full")
        let stats = cache.statistics
        #expect(stats.pendingRejections == 1)
        #expect(stats.droppedInserts == 1)
        // Completing one marker turns it into a value, which the next leader may evict.
        #expect(cache.complete("a", value: "v", ttl: .seconds(5), now: t0) == [])
        #expect(cache.lookupOrBegin("c", now: t0, waiter: 3) == .leader)
        #expect(cache.value(forKey: "a", now: t0) == nil)
        #expect(cache.invariantViolationsForTest().isEmpty)
    }

    /// When room is needed, a stale marker without waiters is reclaimed, but one with waiters is kept.
    @Test func staleMarkerWithoutWaitersIsReclaimed() {
        let cache = flightCache(maxEntries: 2, pendingTimeout: .seconds(1))
        _ = cache.lookupOrBegin("lost", now: t0, waiter: 0)
        _ = cache.lookupOrBegin("waited", now: t0, waiter: 1)
        _ = cache.lookupOrBegin("waited", now: t0, waiter: 2)
        let later = t0.advanced(by: .seconds(2))
        #expect(cache.lookupOrBegin("new", now: later, waiter: 3) == .leader)
        #expect(cache.lookupOrBegin("newer", now: later, waiter: 4) == .rejected(.pendingFull))
        #expect(cache.reapStalePending(now: later) == [2])
        #expect(cache.lookupOrBegin("newer", now: later, waiter: 5) == .leader)
        #expect(cache.statistics.reaped == 2)
    }

    /// Reaping returns the waiters of stale markers only; live markers keep theirs.
    @Test func reapReturnsOnlyStaleWaiters() {
        let cache = LRUTTLCache<String, String, Int>(limits: CacheLimits(maxEntries: 64, pendingTimeout: .seconds(5)))
        _ = cache.lookupOrBegin("old", now: t0, waiter: 0)
        _ = cache.lookupOrBegin("old", now: t0, waiter: 1)
        let later = t0.advanced(by: .seconds(3))
        _ = cache.lookupOrBegin("young", now: later, waiter: 2)
        _ = cache.lookupOrBegin("young", now: later, waiter: 3)
        #expect(cache.reapStalePending(now: t0.advanced(by: .seconds(6))) == [1])
        #expect(cache.lookupOrBegin("young", now: later, waiter: 4) == .joined)
        #expect(cache.fail("young") == [3, 4])
        #expect(cache.count == 0)
    }

    /// `fail` never removes a stored value.
    @Test func failLeavesAStoredValueAlone() {
        let cache = flightCache()
        cache.setValue("v", forKey: "rpt", ttl: .seconds(5), now: t0)
        #expect(cache.fail("rpt") == [])
        #expect(cache.value(forKey: "rpt", now: t0) == "v")
    }
}
