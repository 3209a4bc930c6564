import Synchronization

/// A bounded, lock-striped LRU cache with per-entry expiry and single-flight, shared by all worker threads and
/// the control-plane thread (SPEC A7, Part B §2.7; DESIGN "Threads and state"; SECURITY.md case 24).
///
/// Used for the introspection cache (``IntrospectionCacheKey`` → ``IntrospectionRecord``: the introspection result,
/// inactive results included for `cache.negative_ttl`, and the token's first grant) and the decision cache
/// (``DecisionCacheKey`` → grant: a token's further grants, and the check-access markers).
///
/// **Shape.** `maxEntries` is split over a power-of-two number of stripes; the stripe is picked by the top bits
/// of `key.hashValue`. Each stripe is a `Synchronization.Mutex` around a fixed-capacity slot array with an
/// open-addressing index and intrusive LRU / in-flight lists, so get, set, remove, lookup and complete are O(1)
/// and a stored entry costs no heap allocation of its own (the slot array grows to the stripe's capacity once
/// and is then recycled). LRU order holds per stripe.
///
/// **Hot path cost** (a cached grant): one `hashValue` of the key (the typed keys hash their strings once, at
/// construction), one uncontended stripe lock, one index probe with one key comparison, an LRU relink, the
/// value copied out; no allocation, no global lock (checked under valgrind: 20 000 hits, no allocations). The
/// public methods are `@inlinable` so callers in other modules get code specialized for their key and value
/// types. Copying a large struct out (an `IntrospectionResult`: several retains) costs more than the lookup
/// itself; store a final class when that matters, so a hit is one retain.
///
/// **Time.** No clock is read: every call takes `now` (see ``CacheInstant``) and TTLs become absolute expiries
/// on the caller's clock. A value is live while `now < expiry`; it is dropped lazily on the first read at or after
/// its expiry, or when it reaches the LRU tail. Nothing is cached when the TTL is ≤ 0 (SPEC A7). Values that
/// carry their own expiry (a token's `exp`) must still be re-checked by the caller on every hit (SPEC A7).
///
/// **Single-flight.** ``lookupOrBegin(_:now:waiter:)`` makes the first miss the leader and stores an in-flight
/// marker; later lookups for the key queue their `Waiter` (the shell decides what one is, e.g. worker id +
/// request id) up to ``CacheLimits/maxWaitersPerKey``. The leader ends the flight with
/// ``complete(_:value:ttl:now:)`` or ``fail(_:)``, which return the waiters to notify, each exactly once.
/// A marker older than ``CacheLimits/pendingTimeout`` is taken over by the next lookup, so a lost leader cannot
/// wedge a key; ``reapStalePending(now:)`` (called periodically by the shell) hands back the waiters of lost
/// leaders so they can be answered.
///
/// **Markers and eviction.** Markers are not values (``value(forKey:now:)`` misses on them) but they occupy
/// capacity, so memory stays bounded. Making room evicts the least recently used value; a marker is never
/// evicted while its leader may be live or while it has waiters, because that would strand the waiters or
/// duplicate the authorization-server call. When a stripe holds only such markers, a new leader gets
/// ``CacheLookup/rejected(_:)`` with ``CacheRejection/pendingFull`` and a plain insert is dropped: the stripe's
/// capacity doubles as a cap on in-flight calls (SECURITY.md case 24c). A stale marker without waiters is
/// reclaimed when room is needed.
///
/// `Waiter` can be `Never` for a cache that does not use single-flight.
public final class LRUTTLCache<Key: Hashable & Sendable, Value: Sendable, Waiter: Sendable>: Sendable {
    /// A stripe and its lock, boxed because `Mutex` is not copyable and so cannot be an array element.
    @usableFromInline
    final class StripeBox: Sendable {
        @usableFromInline let mutex: Mutex<Stripe>

        init(_ stripe: sending Stripe) {
            self.mutex = Mutex(stripe)
        }
    }

    /// The limits in effect (``CacheLimits/normalized``).
    public let limits: CacheLimits
    @usableFromInline let stripes: [StripeBox]
    @usableFromInline let stripeShift: Int

    /// Creates an empty cache: per stripe a slot array and an index for 64 entries; both grow as entries arrive
    /// (the index keeps 8–16 bytes per slot), up to `limits.maxEntries` in all.
    public init(limits: CacheLimits = CacheLimits()) {
        let limits = limits.normalized
        self.limits = limits
        let stripeCount = limits.stripeCount
        let base = limits.maxEntries / stripeCount
        let extra = limits.maxEntries % stripeCount
        let timeout = CacheInstant.saturatingNanoseconds(limits.pendingTimeout)
        self.stripes = (0..<stripeCount).map { index in
            StripeBox(
                Stripe(
                    capacity: base + (index < extra ? 1 : 0), pendingTimeout: timeout,
                    maxWaitersPerKey: limits.maxWaitersPerKey))
        }
        self.stripeShift = Int.bitWidth - stripeCount.trailingZeroBitCount
    }

    @inlinable
    func stripe(for hash: Int) -> StripeBox {
        // Top bits pick the stripe; the stripe's index uses the low bits, so the two stay independent.
        self.stripes[Int(UInt(bitPattern: hash) >> UInt(self.stripeShift))]
    }

    /// The absolute expiry for `ttl` from `now`, or nil when `ttl` ≤ 0 (do not cache).
    @inlinable
    static func expiry(ttl: Duration, now: CacheInstant) -> Int64? {
        guard CacheInstant.saturatingNanoseconds(ttl) > 0 else { return nil }
        return now.advanced(by: ttl).nanoseconds
    }

    /// The live value for `key`, or nil when absent, expired (then removed) or only in flight.
    /// Counts a hit or a miss.
    @inlinable
    public func value(forKey key: Key, now: CacheInstant) -> Value? {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock { $0.get(key, hash: hash, now: now.nanoseconds) }
    }

    /// ``value(forKey:now:)`` with the entry's expiry (nanoseconds on the `now` clock): for a cache in front of
    /// this one that must not outlive its entries.
    @inlinable
    public func valueAndExpiry(forKey key: Key, now: CacheInstant) -> (value: Value, expiresAt: Int64)? {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock { $0.getWithExpiry(key, hash: hash, now: now.nanoseconds) }
    }

    /// Stores `value` for `ttl` from `now`, replacing an older value and marking it most recently used.
    ///
    /// - Returns: whether it was stored. Not when `ttl` ≤ 0 (an older value for the key is removed too), not over
    ///   an in-flight marker (use ``complete(_:value:ttl:now:)``), not when the stripe holds only in-flight
    ///   markers (stat `droppedInserts`).
    @inlinable
    @discardableResult
    public func setValue(_ value: Value, forKey key: Key, ttl: Duration, now: CacheInstant) -> Bool {
        let hash = key.hashValue
        let expiresAt = Self.expiry(ttl: ttl, now: now)
        return self.stripe(for: hash).mutex.withLock {
            $0.set(key, hash: hash, value: value, expiresAt: expiresAt, now: now.nanoseconds)
        }
    }

    /// Removes the value for `key` (an in-flight marker is left alone). Returns whether a value was removed.
    @inlinable
    @discardableResult
    public func removeValue(forKey key: Key) -> Bool {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock { $0.removeValue(key, hash: hash) }
    }

    /// Removes every value (admin cache flush). In-flight markers and their waiters stay.
    public func removeAllValues() {
        for box in self.stripes { box.mutex.withLock { $0.removeAllValues() } }
    }

    /// Single-flight lookup: a live value, or leadership of the key's fetch, or a place in its queue.
    ///
    /// - Parameters:
    ///   - key: the cache key.
    ///   - now: the caller's current instant.
    ///   - waiter: queued (and later returned by `complete`/`fail`/`reapStalePending`) only when the result is
    ///     `.joined`.
    /// - Returns: `.hit(value)`; `.leader` when there is no live value and no live in-flight marker (a new
    ///   marker is stored, an expired value's slot is reused, a stale marker is taken over with its waiters);
    ///   `.joined`; or `.rejected` (``CacheRejection/waitersFull``, ``CacheRejection/pendingFull``).
    @inlinable
    public func lookupOrBegin(_ key: Key, now: CacheInstant, waiter: Waiter) -> CacheLookup<Value> {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock {
            $0.lookupOrBegin(key, hash: hash, now: now.nanoseconds, waiter: waiter)
        }
    }

    /// Ends the in-flight call for `key`: stores `value` for `ttl` and returns the waiters to notify.
    ///
    /// - Parameters:
    ///   - value: the result; nil means the call failed (nothing is stored, like ``fail(_:)``). A negative answer
    ///     that should be cached (an inactive token, SPEC A7 `negative_ttl`) is a value.
    ///   - ttl: how long the value stays live; ≤ 0 means it is handed to the waiters but not cached.
    /// - Returns: the queued waiters, each returned exactly once. When there is no marker (reaped, or a leader
    ///   that was taken over and finished late) the call acts like ``setValue(_:forKey:ttl:now:)`` and returns
    ///   no waiters.
    @inlinable
    public func complete(_ key: Key, value: Value?, ttl: Duration, now: CacheInstant) -> [Waiter] {
        let hash = key.hashValue
        let expiresAt = Self.expiry(ttl: ttl, now: now)
        return self.stripe(for: hash).mutex.withLock {
            $0.complete(key, hash: hash, value: value, expiresAt: expiresAt, now: now.nanoseconds)
        }
    }

    /// Ends the in-flight call for `key` as failed: drops the marker and returns its waiters (to be answered
    /// `502`, SPEC A8). A value stored meanwhile is left alone.
    @inlinable
    public func fail(_ key: Key) -> [Waiter] {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock { $0.fail(key, hash: hash) }
    }

    /// Drops every in-flight marker older than ``CacheLimits/pendingTimeout`` and returns their waiters, so the
    /// shell can answer requests whose leader was lost. Takes each stripe's lock in turn; cost O(markers).
    public func reapStalePending(now: CacheInstant) -> [Waiter] {
        var waiters: [Waiter] = []
        for box in self.stripes {
            box.mutex.withLock { $0.reapStalePending(now: now.nanoseconds, into: &waiters) }
        }
        return waiters
    }

    /// Counters and gauges summed over the stripes (takes each stripe's lock in turn).
    public var statistics: CacheStatistics {
        self.stripes.reduce(CacheStatistics()) { sum, box in sum + box.mutex.withLock { $0.stats } }
    }

    /// Entries currently held: values (live or not yet noticed as expired) plus in-flight markers.
    /// Never more than ``CacheLimits/maxEntries``.
    public var count: Int {
        let stats = self.statistics
        return stats.entries + stats.pending
    }
}
