import Synchronization

/// A ``CacheClock`` that only moves when told to: for tests and simulations (no system clock is read).
///
/// Safe to share across threads; reads and advances are atomic.
public final class ManualCacheClock: CacheClock {
    private let current: Atomic<Int64>

    /// A clock standing at `start` (default: the origin).
    public init(start: CacheInstant = CacheInstant(nanoseconds: 0)) {
        self.current = Atomic(start.nanoseconds)
    }

    /// The instant the clock stands at.
    public func now() -> CacheInstant {
        CacheInstant(nanoseconds: self.current.load(ordering: .acquiring))
    }

    /// Moves the clock forward (or backward, for a negative `duration`; saturating).
    public func advance(by duration: Duration) {
        let delta = CacheInstant.saturatingNanoseconds(duration)
        var old = self.current.load(ordering: .relaxed)
        while true {
            let new = CacheInstant(nanoseconds: old).advanced(by: .nanoseconds(delta)).nanoseconds
            let (exchanged, original) = self.current.compareExchange(
                expected: old, desired: new, ordering: .acquiringAndReleasing)
            if exchanged { return }
            old = original
        }
    }

    /// Sets the clock to `instant`.
    public func set(_ instant: CacheInstant) {
        self.current.store(instant.nanoseconds, ordering: .releasing)
    }
}
