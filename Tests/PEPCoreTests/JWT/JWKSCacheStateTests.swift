import Testing

@testable import PEPCore

/// The JWK Set cache's refetch policy: one fetch per interval for unknown `kid`s, misses during a fetch wait.
@Suite struct JWKSCacheStateTests {
    static let key = JWK(kid: "a", material: .rsa(n: [1], e: [1]), expiresAt: 5000)

    @Test func firstLookupFetchesAndOthersJoin() {
        var state = JWKSCacheState(refetchIntervalMilliseconds: 30_000)
        #expect(state.lookup(kid: "a", instant: 0, epochSeconds: 1000) == .fetch)
        #expect(state.fetching)
        #expect(state.lookup(kid: "a", instant: 1, epochSeconds: 1000) == .join)
        #expect(state.lookup(kid: "zzz", instant: 2, epochSeconds: 1000) == .join)
        state.fetched(["a": Self.key])
        #expect(state.afterFetch(kid: "a", epochSeconds: 1000) == .key(Self.key))
        #expect(state.afterFetch(kid: "zzz", epochSeconds: 1000) == .unknownKid)
        #expect(state.lookup(kid: "a", instant: 3, epochSeconds: 1000) == .key(Self.key))
    }

    /// A flood of random `kid`s: one fetch per interval, every other miss is `unknownKid` at once.
    @Test func kidFloodMakesOneFetchPerInterval() {
        var state = JWKSCacheState(refetchIntervalMilliseconds: 30_000)
        var fetches = 0
        for step in 0..<10_000 {
            let instant = Int64(step) * 10  // 100 s of misses
            let decision = state.lookup(kid: "random-\(step)", instant: instant, epochSeconds: 1000)
            if decision == .fetch {
                fetches += 1
                state.fetched(["a": Self.key])
            } else {
                #expect(decision == .unknownKid)
            }
        }
        #expect(fetches == 4)  // at 0, 30, 60 and 90 s
    }

    /// A failed fetch fails the waiters and, within the interval, every miss (502), keeping the cached keys.
    @Test func failedFetch() {
        var state = JWKSCacheState(refetchIntervalMilliseconds: 1000)
        _ = state.lookup(kid: "a", instant: 0, epochSeconds: 1000)
        state.fetched(["a": Self.key])
        #expect(state.lookup(kid: "b", instant: 2000, epochSeconds: 1000) == .fetch)
        state.fetchFailed(.timeout)
        #expect(state.afterFetch(kid: "b", epochSeconds: 1000) == .failed(.timeout))
        #expect(state.lookup(kid: "b", instant: 2500, epochSeconds: 1000) == .failed(.timeout))
        #expect(state.lookup(kid: "a", instant: 2500, epochSeconds: 1000) == .key(Self.key))
        #expect(state.lookup(kid: "b", instant: 3000, epochSeconds: 1000) == .fetch)
    }

    /// A key past its `exp` counts as unknown: the set is fetched again (rotation).
    @Test func expiredKeyRefetches() {
        var state = JWKSCacheState(refetchIntervalMilliseconds: 1000)
        _ = state.lookup(kid: "a", instant: 0, epochSeconds: 1000)
        state.fetched(["a": Self.key])
        #expect(state.lookup(kid: "a", instant: 5000, epochSeconds: 4999) == .key(Self.key))
        #expect(state.lookup(kid: "a", instant: 5000, epochSeconds: 5000) == .fetch)
    }
}
