/// The knobs of one ``LRUTTLCache`` (SPEC A7; SECURITY.md case 24). Config: `cache.*`.
///
/// Out-of-range values are clamped by the cache (it never traps on configuration); ``LRUTTLCache/limits``
/// reports the values in effect.
public struct CacheLimits: Sendable, Equatable {
    /// Maximum number of entries (values plus in-flight markers) across all stripes. Default 100 000
    /// (`cache.max_entries`). Clamped to 1…2^28. When a stripe is full the least recently used value is evicted
    /// (stat `evictions`, or `expirations` when the evicted value had already expired).
    public var maxEntries: Int

    /// Number of independently locked stripes. Rounded up to a power of two, clamped to 1…256 and to at most
    /// `maxEntries`. Default 32. More stripes mean less lock contention between worker threads and a coarser
    /// LRU (LRU order holds per stripe, not globally).
    public var stripeCount: Int

    /// How long an in-flight (single-flight) marker protects its key. A marker older than this is taken over by
    /// the next lookup (stat `takeovers`) so a lost leader cannot wedge a key, and is removed by
    /// ``LRUTTLCache/reapStalePending(now:)``. Default 6 s: the authorization server's total timeout (SPEC A8,
    /// default 5 s) plus slack, so a slow but live leader is not duplicated. The reference used 0.2 s (SPEC Part B
    /// §2.7). Zero or negative means every marker is stale at once (joining is disabled).
    public var pendingTimeout: Duration

    /// Maximum number of requests queued behind one in-flight key. Default 1024 (SECURITY.md case 24b needs at
    /// least 200). A lookup over the bound gets ``CacheLookup/rejected(_:)`` with ``CacheRejection/waitersFull``
    /// (stat `waiterOverflows`) and the shell answers `503` at once (SECURITY.md case 24c). 0 disables joining.
    public var maxWaitersPerKey: Int

    /// Creates limits; every parameter defaults to the documented default.
    public init(
        maxEntries: Int = 100_000, stripeCount: Int = 32, pendingTimeout: Duration = .seconds(6),
        maxWaitersPerKey: Int = 1024
    ) {
        self.maxEntries = maxEntries
        self.stripeCount = stripeCount
        self.pendingTimeout = pendingTimeout
        self.maxWaitersPerKey = maxWaitersPerKey
    }

    /// These limits with every knob clamped to its documented range.
    public var normalized: CacheLimits {
        let entries = min(max(self.maxEntries, 1), 1 << 28)
        var stripes = 1
        let wanted = min(max(self.stripeCount, 1), 256)
        while stripes < wanted { stripes <<= 1 }
        while stripes > entries { stripes >>= 1 }
        return CacheLimits(
            maxEntries: entries, stripeCount: stripes, pendingTimeout: self.pendingTimeout,
            maxWaitersPerKey: max(self.maxWaitersPerKey, 0))
    }
}
