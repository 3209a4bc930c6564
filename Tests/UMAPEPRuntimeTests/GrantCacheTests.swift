import PEPCore
import Synchronization
import Testing

@testable import UMAPEPRuntime

/// `GrantCache`: a token's first grant lives in its introspection record, the others (and grants without a record)
/// in the overflow cache; every read, removal and count sees both, and a grant never answers another key.
@Suite struct GrantCacheTests {
    typealias Grants = GrantCache<Int, Int>
    static let scope = DecisionCacheKey.Scope(service: "photos", authorizationServer: "https://as")
    static let instant = CacheInstant(nanoseconds: 1_000_000_000)
    static let now: Int64 = 1_700_000_000

    static func key(rule: Int = 1, method: String = "GET", token: String = "rpt", scope: DecisionCacheKey.Scope = scope)
        -> DecisionCacheKey
    {
        DecisionCacheKey(scope: scope, ruleIndex: rule, conditionIndex: 0, method: method, token: token)
    }

    /// A cache with an active introspection record for each of `tokens`.
    static func grants(tokens: [String] = ["rpt"], maxEntries: Int = 1_000) -> Grants {
        let records = Grants.Records(limits: CacheLimits(maxEntries: maxEntries))
        for token in tokens {
            records.setValue(
                IntrospectionRecord(IntrospectionResult(active: true, exp: now + 600)),
                forKey: IntrospectionCacheKey(authorizationServer: "https://as", token: token), ttl: .seconds(300),
                now: instant)
        }
        return Grants(limits: CacheLimits(maxEntries: maxEntries), introspections: records)
    }

    static func read(_ grants: Grants, _ key: DecisionCacheKey, now: Int64 = now, instant: CacheInstant = instant)
        -> (value: CachedGrant, expiresAt: Int64)?
    {
        let record = grants.introspections.valueAndExpiry(forKey: Grants.recordKey(key), now: instant)
        return grants.valueAndExpiry(
            scope: key.scope, ruleIndex: key.ruleIndex, conditionIndex: key.conditionIndex, method: key.method,
            record: record, now: now, instant: instant, key: { key })
    }

    /// Stores a grant valid until `now + validFor` seconds, for a 60 s TTL.
    static func store(_ grants: Grants, _ key: DecisionCacheKey, validFor: Int64 = 60, now: Int64 = now) {
        grants.setValue(
            CachedGrant(validUntil: Self.now + validFor), forKey: key, ttl: .seconds(60), now: now, instant: instant)
    }

    static func inlineGrant(_ grants: Grants, token: String = "rpt") -> InlineGrant?? {
        grants.introspections.withValue(
            forKey: IntrospectionCacheKey(authorizationServer: "https://as", token: token), now: instant
        ) { $0.grant }
    }

    /// The first grant goes inline, a second one of the same token to the overflow cache; both are read back,
    /// counted and hit, and neither answers a third key.
    @Test func firstGrantInlineOthersInOverflow() throws {
        let grants = Self.grants()
        let first = Self.key(), second = Self.key(rule: 2)
        Self.store(grants, first)
        Self.store(grants, second)
        #expect(try #require(Self.inlineGrant(grants))?.answers(first) == true)
        #expect(grants.overflow.statistics.entries == 1)
        #expect(Self.read(grants, first)?.value == CachedGrant(validUntil: Self.now + 60))
        #expect(Self.read(grants, second)?.value == CachedGrant(validUntil: Self.now + 60))
        #expect(Self.read(grants, Self.key(method: "POST")) == nil)
        #expect(Self.read(grants, Self.key(token: "other")) == nil)
        let statistics = grants.statistics
        #expect(statistics.entries == 2 && statistics.hits == 2 && statistics.misses == 2)
        // The scrape's counters skip the walk over the records: only the overflow entry.
        let counters = grants.counters
        #expect(counters.entries == 1 && counters.hits == 2 && counters.misses == 2)
    }

    /// The inline grant's expiry on the cache clock is its seconds left, within the record's; it is a miss at
    /// its deadline.
    @Test func inlineGrantExpires() {
        let grants = Self.grants()
        let key = Self.key()
        Self.store(grants, key, validFor: 10)
        #expect(Self.read(grants, key)?.expiresAt == Self.instant.nanoseconds + 10_000_000_000)
        #expect(Self.read(grants, key, now: Self.now + 9) != nil)
        #expect(Self.read(grants, key, now: Self.now + 10) == nil)
    }

    /// Without a live record the grant goes to the overflow cache; a new record for the token drops the inline
    /// grant (it left with the old record).
    @Test func grantsFollowTheirRecord() {
        let grants = Self.grants(tokens: [])
        let key = Self.key()
        Self.store(grants, key)
        #expect(grants.overflow.statistics.entries == 1 && Self.read(grants, key) != nil)

        let withRecord = Self.grants()
        Self.store(withRecord, key)
        withRecord.introspections.setValue(
            IntrospectionRecord(IntrospectionResult(active: true)), forKey: Grants.recordKey(key), ttl: .seconds(300),
            now: Self.instant)
        #expect(Self.read(withRecord, key) == nil)
        #expect(withRecord.statistics.entries == 0)
    }

    /// A live inline grant of another key stays; an expired one is replaced; completing a flight inline removes
    /// the key's overflow copy.
    @Test func inlineSlotReplacement() throws {
        let grants = Self.grants()
        let first = Self.key(), second = Self.key(rule: 2)
        Self.store(grants, first, validFor: 5)
        Self.store(grants, second)
        #expect(try #require(Self.inlineGrant(grants))?.answers(first) == true)
        #expect(grants.overflow.statistics.entries == 1)
        // At now + 5 the first grant is dead: the second one's flight ends inline and its overflow copy goes.
        let waiters = grants.complete(
            second, value: CachedGrant(validUntil: Self.now + 65), ttl: .seconds(60), now: Self.now + 5,
            instant: Self.instant)
        #expect(waiters.isEmpty)
        #expect(try #require(Self.inlineGrant(grants))?.answers(second) == true)
        #expect(grants.overflow.statistics.entries == 0)
        #expect(Self.read(grants, second, now: Self.now + 5)?.value == CachedGrant(validUntil: Self.now + 65))
    }

    /// A flight's waiters are handed back whether the grant went inline or to the overflow cache, and a live
    /// inline grant is a hit for the single-flight lookup.
    @Test func singleFlightSeesInlineGrants() {
        let grants = Self.grants()
        let key = Self.key()
        guard case .leader = grants.lookupOrBegin(key, now: Self.now, instant: Self.instant, waiter: 0) else {
            Issue.record("expected leadership")
            return
        }
        guard case .joined = grants.lookupOrBegin(key, now: Self.now, instant: Self.instant, waiter: 7) else {
            Issue.record("expected to join")
            return
        }
        let waiters = grants.complete(
            key, value: CachedGrant(validUntil: Self.now + 60), ttl: .seconds(60), now: Self.now, instant: Self.instant)
        #expect(waiters == [7])
        guard case .hit(let grant) = grants.lookupOrBegin(key, now: Self.now, instant: Self.instant, waiter: 1) else {
            Issue.record("expected a hit")
            return
        }
        #expect(grant == CachedGrant(validUntil: Self.now + 60))
        #expect(grants.overflow.statistics.pending == 0)
    }

    /// Removals by key, by predicate (the admin flushes) and of everything reach inline and overflow grants, and
    /// count both.
    @Test func removalsReachBothPlaces() {
        let grants = Self.grants(tokens: ["a", "b"])
        let admin = DecisionCacheKey.Scope(service: "admin", authorizationServer: "https://as")
        let keys = [
            Self.key(token: "a"), Self.key(rule: 2, token: "a"), Self.key(token: "b", scope: admin),
            Self.key(rule: 3, token: "b", scope: admin), Self.key(token: "c"),
        ]
        for key in keys {
            Self.store(grants, key)
        }
        #expect(grants.statistics.entries == 5)
        #expect(grants.removeValues(.service("admin")) == 2)
        #expect(Self.read(grants, keys[2]) == nil && Self.read(grants, keys[3]) == nil)
        #expect(grants.removeValues(.token("a")) == 2)
        grants.removeValue(forKey: keys[4], now: Self.now, instant: Self.instant)
        #expect(grants.statistics.entries == 0)
        for key in keys {
            Self.store(grants, key)
        }
        // One key's removal takes its inline grant (a's first) and leaves the token's other grant.
        grants.removeValue(forKey: keys[0], now: Self.now, instant: Self.instant)
        #expect(Self.read(grants, keys[0]) == nil && Self.read(grants, keys[1]) != nil)
        #expect(grants.statistics.entries == 4)
        // A token flush compares bytes: a canonically equivalent spelling selects nothing.
        let kelvin = Self.key(token: "\u{212A}")
        Self.store(grants, kelvin)
        #expect(grants.removeValues(.token("K")) == 0 && Self.read(grants, kelvin) != nil)
        grants.removeAllValues()
        #expect(grants.statistics.entries == 0)
        for key in keys { #expect(Self.read(grants, key) == nil) }
    }

    /// The round the leader thread has begun (its marker stored).
    final class Progress: Sendable {
        let started = Atomic<Int>(-1)
    }

    /// A lookup racing the leader's completion sees the marker (joins) or the inline grant (hit), never neither:
    /// one leader per flight (the completion moves the grant inline and drops the marker under the record's lock,
    /// the lookup reads both under it). Bounded: 20 000 flights on two threads.
    @Test func racingLookupNeverMakesASecondLeader() async {
        let rounds = 20_000
        let leaders = await withTaskGroup(of: Int.self) { group -> Int in
            // Every token has a record, so every flight ends inline (a grant in the overflow cache could be evicted
            // before a lagging lookup reads it, which would rightly make it a leader).
            let grants = Self.grants(tokens: (0..<rounds).map { "t\($0)" }, maxEntries: 4 * rounds)
            let progress = Progress()
            group.addTask {
                var extra = 0
                for round in 0..<rounds {
                    let key = Self.key(token: "t\(round)")
                    guard case .leader = grants.lookupOrBegin(key, now: Self.now, instant: Self.instant, waiter: 0)
                    else {
                        extra += 1
                        continue
                    }
                    progress.started.store(round, ordering: .releasing)
                    _ = grants.complete(
                        key, value: CachedGrant(validUntil: Self.now + 60), ttl: .seconds(60), now: Self.now,
                        instant: Self.instant)
                }
                return extra
            }
            group.addTask {
                var second = 0
                for round in 0..<rounds {
                    while progress.started.load(ordering: .acquiring) < round {}
                    let key = Self.key(token: "t\(round)")
                    if case .leader = grants.lookupOrBegin(key, now: Self.now, instant: Self.instant, waiter: 1) {
                        second += 1
                        _ = grants.fail(key)
                    }
                }
                return second
            }
            return await group.reduce(0, +)
        }
        #expect(leaders == 0)
    }
}
