import PEPCore
import Synchronization

/// The decision cache (SPEC A7: a grant by service, rule, condition, method and token; SECURITY.md case 23) kept
/// in two places: a token's first grant inside its introspection record (``InlineGrant``, 24 bytes), the others
/// in an `LRUTTLCache` of their own, which also keeps the single-flight markers of check-access calls.
///
/// Per cached token that saves a decision-cache slot, its index and its key (docs/benchmarks.md, "Memory with
/// 100 000 tokens"), and a cached-grant request that misses the worker cache reads one record instead of two
/// entries. A grant kept inline leaves with its record (the token's introspection expires, is evicted or
/// flushed): the next request asks again, as after any eviction.
///
/// **Statistics** (the admin API's `decision` cache, `uma_pep_cache_*{cache="decision"}`): hits are the overflow
/// cache's plus the inline hits; misses, evictions, expirations and the rest are the overflow cache's. An inline
/// grant that leaves with its record (evicted, expired, flushed, replaced by a new introspection) or is replaced
/// inline by a later grant is not counted as a decision eviction or expiration. ``statistics`` (the admin API)
/// adds to the entries the records holding a grant, counted one stripe at a time (O(records)), so `entries` can
/// exceed `cache.max_entries`, which bounds each cache on its own; ``counters`` (the `/metrics` scrape, which
/// exports no entries) does not walk the records.
///
/// Generic over the two caches' waiters (``IntrospectionWaiter``, ``CheckAccessWaiter`` in the driver) so that
/// tests can drive it without tasks. Thread rules: every method may be called from any thread (the caches' stripe
/// locks).
final class GrantCache<RecordWaiter: Sendable, Waiter: Sendable>: Sendable {
    typealias Overflow = LRUTTLCache<DecisionCacheKey, CachedGrant, Waiter>
    typealias Records = LRUTTLCache<IntrospectionCacheKey, IntrospectionRecord, RecordWaiter>

    /// Grants that do not fit inline, and the check-access markers.
    let overflow: Overflow
    /// The records the inline grants live in.
    let introspections: Records
    private let inlineHits = Atomic<Int>(0)

    init(limits: CacheLimits, introspections: Records) {
        self.overflow = Overflow(limits: limits)
        self.introspections = introspections
    }

    /// The record a key's grant may be kept in: the same authorization server and token.
    static func recordKey(_ key: DecisionCacheKey) -> IntrospectionCacheKey {
        IntrospectionCacheKey(authorizationServer: key.authorizationServer, token: key.token)
    }

    /// The live grant for a request and its expiry (nanoseconds on the caches' clock), or nil. `record` is the
    /// token's introspection-cache hit, already read by the caller: its inline grant is checked first, and the
    /// overflow cache is read (its key built by `key`) only when there is none, it is another request's or it
    /// has expired.
    /// - Parameter now: epoch seconds.
    @inline(__always)
    func valueAndExpiry(
        scope: DecisionCacheKey.Scope, ruleIndex: Int, conditionIndex: Int, method: String,
        record: (value: IntrospectionRecord, expiresAt: Int64)?, now: Int64, instant: CacheInstant,
        key: () -> DecisionCacheKey
    ) -> (value: CachedGrant, expiresAt: Int64)? {
        if let record, let inline = record.value.grant,
            inline.answers(scope: scope, ruleIndex: ruleIndex, conditionIndex: conditionIndex, method: method),
            let grant = inline.grant(at: now)
        {
            self.inlineHits.add(1, ordering: .relaxed)
            return (grant, inline.expiresAt(now: now, instant: instant, recordExpiresAt: record.expiresAt))
        }
        return self.overflow.valueAndExpiry(forKey: key(), now: instant)
    }

    /// Single-flight lookup of a check-access (``LRUTTLCache/lookupOrBegin(_:now:waiter:)``): a live inline grant
    /// is a hit; otherwise the overflow cache answers (a hit, leadership, a place in the queue, or a refusal).
    ///
    /// When the token has a record, the overflow lookup runs under the record's stripe lock, as ``complete`` moves
    /// a grant inline and drops the flight's marker under it: a lookup sees either the marker or the grant, never
    /// neither (which would make a second leader and a second check-access call). The locks are always taken in
    /// that order (record, then overflow).
    func lookupOrBegin(_ key: DecisionCacheKey, now: Int64, instant: CacheInstant, waiter: Waiter)
        -> CacheLookup<CachedGrant>
    {
        let overflow = self.overflow
        let found = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) {
            record -> (CacheLookup<CachedGrant>, inline: Bool) in
            if let kept = record.grant, kept.answers(key), let grant = kept.grant(at: now) {
                return (.hit(grant), true)
            }
            return (overflow.lookupOrBegin(key, now: instant, waiter: waiter), false)
        }
        guard let found else { return self.overflow.lookupOrBegin(key, now: instant, waiter: waiter) }
        if found.inline { self.inlineHits.add(1, ordering: .relaxed) }
        return found.0
    }

    /// Ends a check-access flight with a grant (``LRUTTLCache/complete(_:value:ttl:now:)``): the grant goes
    /// inline when it can (dropping the flight's marker and any overflow copy of the key under the record's lock,
    /// see ``lookupOrBegin(_:now:instant:waiter:)``), else to the overflow cache; returns the flight's waiters.
    func complete(_ key: DecisionCacheKey, value: CachedGrant, ttl: Duration, now: Int64, instant: CacheInstant)
        -> [Waiter]
    {
        let overflow = self.overflow
        let inline = self.storeInline(key, value, ttl: ttl, now: now, instant: instant) {
            let waiters = overflow.fail(key)
            overflow.removeValue(forKey: key)
            return waiters
        }
        return inline ?? self.overflow.complete(key, value: value, ttl: ttl, now: instant)
    }

    /// Ends a check-access flight without a grant (``LRUTTLCache/fail(_:)``).
    func fail(_ key: DecisionCacheKey) -> [Waiter] {
        self.overflow.fail(key)
    }

    /// Stores a grant (inline when it can) for `ttl`; nothing when `ttl` is under a second inline or ≤ 0.
    func setValue(_ grant: CachedGrant, forKey key: DecisionCacheKey, ttl: Duration, now: Int64, instant: CacheInstant)
    {
        let overflow = self.overflow
        let inline = self.storeInline(key, grant, ttl: ttl, now: now, instant: instant) {
            overflow.removeValue(forKey: key)
        }
        if inline == nil { self.overflow.setValue(grant, forKey: key, ttl: ttl, now: instant) }
    }

    /// Keeps the grant in its token's record when the record is live and its grant slot is free, expired or
    /// already this key's, then runs `then` under the record's lock. Returns `then`'s result, or nil when the
    /// grant was not kept inline.
    private func storeInline<Result: Sendable>(
        _ key: DecisionCacheKey, _ grant: CachedGrant, ttl: Duration, now: Int64, instant: CacheInstant,
        then: @escaping @Sendable () -> Result
    ) -> Result? {
        guard let inline = InlineGrant(key: key, grant: grant, ttl: ttl, now: now) else { return nil }
        let stored = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) { record -> Result? in
            if let kept = record.grant, kept.grant(at: now) != nil, !kept.answers(key) { return nil }
            record.grant = inline
            return then()
        }
        return stored ?? nil
    }

    /// Removes the grant for `key`, inline and in the overflow cache.
    func removeValue(forKey key: DecisionCacheKey, now: Int64, instant: CacheInstant) {
        _ = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) { record in
            if let kept = record.grant, kept.answers(key) { record.grant = nil }
        }
        self.overflow.removeValue(forKey: key)
    }

    /// Which grants an admin flush removes.
    enum Selection: Sendable {
        case all
        /// The grants of one service (its configuration id).
        case service(String)
        /// The grants of one token.
        case token(String)

        /// Whether a decision-cache key is selected (tokens compared by bytes, like the inline grants').
        func matches(_ key: DecisionCacheKey) -> Bool {
            switch self {
            case .all: true
            case .service(let name): key.service == name
            case .token(let token): key.token.utf8.elementsEqual(token.utf8)
            }
        }

        /// Whether an inline grant in the record of `recordKey` is selected (no key is built).
        func matches(_ grant: InlineGrant, recordKey: IntrospectionCacheKey) -> Bool {
            switch self {
            case .all: true
            case .service(let name): grant.scope.service == name
            case .token(let token): recordKey.holds(token: token)
            }
        }
    }

    /// Removes the selected grants, inline and in the overflow cache (the admin flushes); returns how many.
    func removeValues(_ selection: Selection) -> Int {
        let inline = self.introspections.updateValues { recordKey, record in
            guard let kept = record.grant, selection.matches(kept, recordKey: recordKey) else { return 0 }
            record.grant = nil
            return 1
        }
        return inline + self.overflow.removeValues { selection.matches($0) }
    }

    /// Removes every grant (the resources they were granted on are being registered again).
    func removeAllValues() {
        _ = self.removeValues(.all)
    }

    /// The decision cache's counters and entries, the records holding a grant included (O(records): for the
    /// admin API; see the type's documentation).
    var statistics: CacheStatistics {
        var statistics = self.counters
        statistics.entries += self.introspections.updateValues { _, record in record.grant == nil ? 0 : 1 }
        return statistics
    }

    /// The decision cache's counters without the walk over the records: `entries` counts only the overflow
    /// cache's values (for the `/metrics` scrape).
    var counters: CacheStatistics {
        var statistics = self.overflow.statistics
        statistics.hits += self.inlineHits.load(ordering: .relaxed)
        return statistics
    }
}
