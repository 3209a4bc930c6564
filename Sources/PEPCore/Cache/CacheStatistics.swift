/// Counters and gauges of one ``LRUTTLCache``, summed over its stripes (SPEC A10 `uma_pep_cache_*`).
///
/// Counters only grow for the life of the cache. Each stripe counts under its own lock; ``LRUTTLCache/statistics``
/// takes the stripes' locks one after the other, so the sum is not one atomic snapshot (fine for metrics).
public struct CacheStatistics: Sendable, Equatable {
    /// Lookups that returned a live value.
    public var hits: Int = 0
    /// Lookups that found no live value (absent, expired, or in flight).
    public var misses: Int = 0
    /// Live values evicted to make room (LRU).
    public var evictions: Int = 0
    /// Values dropped because their expiry had passed (found on read, or at the LRU tail when making room).
    public var expirations: Int = 0
    /// Single-flight lookups queued behind a leader.
    public var joins: Int = 0
    /// Stale in-flight markers taken over by a new leader.
    public var takeovers: Int = 0
    /// Stale in-flight markers removed by ``LRUTTLCache/reapStalePending(now:)``.
    public var reaped: Int = 0
    /// Single-flight lookups refused with ``CacheRejection/waitersFull``.
    public var waiterOverflows: Int = 0
    /// Single-flight lookups refused with ``CacheRejection/pendingFull``.
    public var pendingRejections: Int = 0
    /// Values not stored because their stripe held only in-flight markers.
    public var droppedInserts: Int = 0
    /// Gauge: values currently stored (live or not yet noticed as expired).
    public var entries: Int = 0
    /// Gauge: in-flight markers currently stored.
    public var pending: Int = 0

    /// All zero.
    public init() {}

    /// The field-wise sum of two statistics.
    public static func + (lhs: CacheStatistics, rhs: CacheStatistics) -> CacheStatistics {
        var sum = lhs
        sum.hits += rhs.hits
        sum.misses += rhs.misses
        sum.evictions += rhs.evictions
        sum.expirations += rhs.expirations
        sum.joins += rhs.joins
        sum.takeovers += rhs.takeovers
        sum.reaped += rhs.reaped
        sum.waiterOverflows += rhs.waiterOverflows
        sum.pendingRejections += rhs.pendingRejections
        sum.droppedInserts += rhs.droppedInserts
        sum.entries += rhs.entries
        sum.pending += rhs.pending
        return sum
    }
}
