import Dispatch
import Synchronization
import Testing

@testable import PEPCore

@Suite struct LRUTTLCacheConcurrencyTests {
    /// Four threads hammering overlapping keys with get/set/lookup/complete/fail/abandon keep the bound and the
    /// structure intact, and every queued waiter comes back exactly once (from a leader, a failure or the reaper).
    @Test func threadsKeepInvariantsAndReturnEveryWaiterOnce() {
        let maxEntries = 48
        let cache = LRUTTLCache<Int, Int, Int>(
            limits: CacheLimits(
                maxEntries: maxEntries, stripeCount: 8, pendingTimeout: .milliseconds(5), maxWaitersPerKey: 8))
        let clock = ManualCacheClock(start: CacheInstant(seconds: 1_000))
        let joined = Mutex<[Int]>([])
        let returned = Mutex<[Int]>([])
        let overBound = Atomic<Int>(0)
        let threads = 4
        let iterations = 20_000

        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var random = UInt64(thread + 1) &* 0x9E37_79B9_7F4A_7C15
            func next(_ bound: Int) -> Int {
                random ^= random << 13
                random ^= random >> 7
                random ^= random << 17
                return Int(random % UInt64(bound))
            }
            var myJoined: [Int] = []
            var myReturned: [Int] = []
            for iteration in 0..<iterations {
                let key = next(96)
                let waiter = thread * 1_000_000 + iteration
                let now = clock.now()
                switch next(8) {
                case 0:
                    _ = cache.value(forKey: key, now: now)
                case 1:
                    cache.setValue(iteration, forKey: key, ttl: .milliseconds(Int64(next(20)) - 2), now: now)
                case 2:
                    _ = cache.removeValue(forKey: key)
                case 7:
                    clock.advance(by: .milliseconds(1))
                default:
                    switch cache.lookupOrBegin(key, now: now, waiter: waiter) {
                    case .leader:
                        switch next(4) {
                        case 0: myReturned += cache.fail(key)
                        case 1: break  // a lost leader: its waiters come back from a takeover or the reaper
                        default:
                            myReturned += cache.complete(
                                key, value: iteration, ttl: .milliseconds(Int64(next(10))), now: clock.now())
                        }
                    case .joined:
                        myJoined.append(waiter)
                    case .hit, .rejected:
                        break
                    }
                }
                if iteration % 256 == 0 {
                    myReturned += cache.reapStalePending(now: clock.now())
                    if cache.count > maxEntries { overBound.add(1, ordering: .relaxed) }
                }
            }
            joined.withLock { $0 += myJoined }
            returned.withLock { $0 += myReturned }
        }

        let rest = cache.reapStalePending(now: clock.now().advanced(by: .seconds(1)))
        let allReturned = returned.withLock { $0 } + rest
        let allJoined = joined.withLock { $0 }
        #expect(overBound.load(ordering: .relaxed) == 0)
        #expect(cache.count <= maxEntries)
        #expect(cache.statistics.pending == 0)
        #expect(Set(allReturned).count == allReturned.count, "a waiter was returned twice")
        #expect(allReturned.sorted() == allJoined.sorted())
        #expect(allJoined.count > 100, "the run should exercise joining")
        #expect(cache.statistics.takeovers > 0, "the run should exercise takeovers")
        #expect(cache.invariantViolationsForTest() == [])
    }
}
