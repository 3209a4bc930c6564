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
/// **Statistics** (`uma_pep_cache_*{cache="decision"}`, the admin API's `decision`): hits are the overflow cache's
/// plus the inline hits; entries are the overflow cache's values plus the records holding a grant (counted at
/// each read, one stripe at a time); misses, evictions and the rest are the overflow cache's. Inline grants
/// dropped with their record count as that record's eviction or expiry (`cache="introspection"`).
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
    /// overflow cache is read (its key built by `key`) only when that is not the request's.
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

    /// The live inline grant for `key`, if its record holds one.
    private func inlineGrant(_ key: DecisionCacheKey, now: Int64, instant: CacheInstant) -> CachedGrant? {
        let found = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) { record in
            record.grant.flatMap { $0.answers(key) ? $0.grant(at: now) : nil }
        }
        guard let found, let grant = found else { return nil }
        self.inlineHits.add(1, ordering: .relaxed)
        return grant
    }

    /// Single-flight lookup of a check-access (``LRUTTLCache/lookupOrBegin(_:now:waiter:)``): a live inline grant
    /// is a hit; otherwise the overflow cache answers (a hit, leadership, a place in the queue, or a refusal).
    func lookupOrBegin(_ key: DecisionCacheKey, now: Int64, instant: CacheInstant, waiter: Waiter)
        -> CacheLookup<CachedGrant>
    {
        if let grant = self.inlineGrant(key, now: now, instant: instant) { return .hit(grant) }
        return self.overflow.lookupOrBegin(key, now: instant, waiter: waiter)
    }

    /// Ends a check-access flight with a grant (``LRUTTLCache/complete(_:value:ttl:now:)``): the grant goes
    /// inline when it can, else to the overflow cache; returns the flight's waiters.
    func complete(_ key: DecisionCacheKey, value: CachedGrant, ttl: Duration, now: Int64, instant: CacheInstant)
        -> [Waiter]
    {
        guard self.storeInline(key, value, ttl: ttl, now: now, instant: instant) else {
            return self.overflow.complete(key, value: value, ttl: ttl, now: instant)
        }
        let waiters = self.overflow.fail(key)
        self.overflow.removeValue(forKey: key)
        return waiters
    }

    /// Ends a check-access flight without a grant (``LRUTTLCache/fail(_:)``).
    func fail(_ key: DecisionCacheKey) -> [Waiter] {
        self.overflow.fail(key)
    }

    /// Stores a grant (inline when it can) for `ttl`; nothing when `ttl` is under a second inline or ≤ 0.
    func setValue(_ grant: CachedGrant, forKey key: DecisionCacheKey, ttl: Duration, now: Int64, instant: CacheInstant)
    {
        if self.storeInline(key, grant, ttl: ttl, now: now, instant: instant) {
            self.overflow.removeValue(forKey: key)
        } else {
            self.overflow.setValue(grant, forKey: key, ttl: ttl, now: instant)
        }
    }

    /// Keeps the grant in its token's record when the record is live and its grant slot is free, expired or
    /// already this key's. Returns whether it did.
    private func storeInline(
        _ key: DecisionCacheKey, _ grant: CachedGrant, ttl: Duration, now: Int64, instant: CacheInstant
    ) -> Bool {
        guard let inline = InlineGrant(key: key, grant: grant, ttl: ttl, now: now) else { return false }
        let stored = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) { record -> Bool in
            if let kept = record.grant, kept.grant(at: now) != nil, !kept.answers(key) { return false }
            record.grant = inline
            return true
        }
        return stored ?? false
    }

    /// Removes the grant for `key`, inline and in the overflow cache.
    func removeValue(forKey key: DecisionCacheKey, now: Int64, instant: CacheInstant) {
        _ = self.introspections.withValue(forKey: Self.recordKey(key), now: instant) { record in
            if let kept = record.grant, kept.answers(key) { record.grant = nil }
        }
        self.overflow.removeValue(forKey: key)
    }

    /// Removes every grant whose key satisfies `predicate` (the admin flushes); returns how many.
    /// - Parameter predicate: called under a stripe's lock: keep it short.
    func removeValues(where predicate: @escaping @Sendable (DecisionCacheKey) -> Bool) -> Int {
        let inline = self.introspections.updateValues { recordKey, record in
            guard let kept = record.grant, predicate(kept.key(token: recordKey.token)) else { return 0 }
            record.grant = nil
            return 1
        }
        return inline + self.overflow.removeValues(where: predicate)
    }

    /// Removes every grant (the resources they were granted on are being registered again, or a flush).
    func removeAllValues() {
        self.introspections.updateValues { _, record in
            guard record.grant != nil else { return 0 }
            record.grant = nil
            return 1
        }
        self.overflow.removeAllValues()
    }

    /// The decision cache's counters: see the type's documentation.
    var statistics: CacheStatistics {
        var statistics = self.overflow.statistics
        statistics.hits += self.inlineHits.load(ordering: .relaxed)
        statistics.entries += self.introspections.updateValues { _, record in record.grant == nil ? 0 : 1 }
        return statistics
    }

}
