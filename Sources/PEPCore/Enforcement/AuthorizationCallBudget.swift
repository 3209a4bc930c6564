import Synchronization

/// How many introspection, check-access and permission-ticket calls may be in flight at once in one process
/// (`limits.max_pending_authorization_calls`, docs/security.md "Authorization-server call amplification").
///
/// A request that needs a new call takes a slot with ``acquire()`` and gives it back when the call completes,
/// however it completes. Single-flight joiners wait on the leader's call and take no slot. Beyond the limit
/// ``acquire()`` answers `nil` at once: the caller answers `503` instead of queueing.
///
/// Safe to share across threads: one atomic counter, no lock.
public final class AuthorizationCallBudget: Sendable {
    /// The most calls in flight at once (≥ 1).
    public let limit: Int
    private let pendingCalls = Atomic<Int>(0)

    /// A budget of `limit` concurrent calls (values below 1 count as 1).
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Calls in flight now.
    public var pending: Int { self.pendingCalls.load(ordering: .relaxed) }

    /// Takes one slot, or returns `nil` when `limit` calls are already in flight. The slot is released by
    /// ``AuthorizationCallSlot/release()`` (once; later calls do nothing) or, failing that, when it is freed.
    public func acquire() -> AuthorizationCallSlot? {
        var current = self.pendingCalls.load(ordering: .relaxed)
        while current < self.limit {
            let (exchanged, original) = self.pendingCalls.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return AuthorizationCallSlot(budget: self) }
            current = original
        }
        return nil
    }

    fileprivate func giveBack() {
        self.pendingCalls.subtract(1, ordering: .acquiringAndReleasing)
    }
}

/// One slot of an ``AuthorizationCallBudget``, held for the life of one authorization-server call.
///
/// ``release()`` gives the slot back exactly once, whichever completion path calls it first (success, failure,
/// timeout, cancellation); a slot that is dropped without being released (a completion that is never called)
/// is released when it is freed, so the budget cannot leak.
public final class AuthorizationCallSlot: Sendable {
    private let budget: AuthorizationCallBudget
    private let released = Atomic<Bool>(false)

    fileprivate init(budget: AuthorizationCallBudget) {
        self.budget = budget
    }

    /// Gives the slot back; only the first call has an effect.
    public func release() {
        if !self.released.exchange(true, ordering: .acquiringAndReleasing) {
            self.budget.giveBack()
        }
    }

    deinit {
        self.release()
    }
}

/// Lets a repeated warning through at most once per interval (default one second), and counts what it held
/// back in between, so a flood logs one line a second instead of one per request. Time is a parameter
/// (monotonic nanoseconds). Safe to share across threads.
public final class WarningThrottle: Sendable {
    /// The shortest time between two warnings, in nanoseconds.
    public let intervalNanoseconds: Int64
    /// When the last warning was let through; `Int64.min` before the first.
    private let lastWarning = Atomic<Int64>(Int64.min)
    private let suppressedCount = Atomic<Int>(0)

    /// A throttle letting one warning through per `interval`.
    public init(interval: Duration = .seconds(1)) {
        self.intervalNanoseconds = max(0, CacheInstant.saturatingNanoseconds(interval))
    }

    /// `nil` when the warning at `now` must be held back (it is counted); otherwise how many warnings were held
    /// back since the last one let through (the caller logs now).
    public func admit(now: Int64) -> Int? {
        let last = self.lastWarning.load(ordering: .relaxed)
        if last != Int64.min, now &- last < self.intervalNanoseconds {
            self.suppressedCount.add(1, ordering: .relaxed)
            return nil
        }
        let (exchanged, _) = self.lastWarning.compareExchange(
            expected: last, desired: now, ordering: .acquiringAndReleasing)
        guard exchanged else {
            self.suppressedCount.add(1, ordering: .relaxed)
            return nil
        }
        return self.suppressedCount.exchange(0, ordering: .relaxed)
    }
}
