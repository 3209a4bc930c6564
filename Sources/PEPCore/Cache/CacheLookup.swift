/// The answer of ``LRUTTLCache/lookupOrBegin(_:now:waiter:)`` (single-flight, SPEC A7 and Part B §2.7).
///
/// The shell handles every case in an exhaustive `switch`:
/// - `hit`: decide now (synchronous completion, STYLE rule 6).
/// - `leader`: this request makes the authorization-server call, then calls ``LRUTTLCache/complete(_:value:ttl:now:)``
///   or ``LRUTTLCache/fail(_:)`` exactly once and notifies the waiters those return.
/// - `joined`: the waiter was queued; it is returned by the leader's `complete`/`fail` (or by
///   ``LRUTTLCache/reapStalePending(now:)`` if the leader is lost).
/// - `rejected`: nothing was queued; answer `503` at once (SECURITY.md case 24c).
public enum CacheLookup<Value: Sendable>: Sendable {
    /// A live value.
    case hit(Value)
    /// No value and no live in-flight call: the caller now owns the key's in-flight marker.
    case leader
    /// Another request is fetching the value; the caller's waiter was queued behind it.
    case joined
    /// The lookup was refused; nothing was stored or queued.
    case rejected(CacheRejection)
}

extension CacheLookup: Equatable where Value: Equatable {}

/// Why a single-flight lookup was refused. Each case has a stable ``detail`` string for logs, stats and tests.
public enum CacheRejection: Sendable, Equatable, CaseIterable {
    /// The key already has ``CacheLimits/maxWaitersPerKey`` waiters.
    case waitersFull
    /// The key's stripe holds only in-flight markers, none of them evictable: too many authorization-server calls
    /// are in flight (SECURITY.md case 24c).
    case pendingFull

    /// Stable machine string: `cache.waiters_full` or `cache.pending_full`.
    public var detail: String {
        switch self {
        case .waitersFull: return "cache.waiters_full"
        case .pendingFull: return "cache.pending_full"
        }
    }
}
