import Testing

@testable import PEPCore

/// `InlineGrant`: the grant a token's introspection record keeps, which must answer exactly the decision key it
/// was made from (SECURITY.md case 23) and never outlive the grant or the cache TTL.
@Suite struct InlineGrantTests {
    static let scope = DecisionCacheKey.Scope(service: "photos", authorizationServer: "https://as")

    static func key(
        scope: DecisionCacheKey.Scope = scope, rule: Int = 1, condition: Int = 0, method: String = "GET",
        token: String = "rpt"
    ) -> DecisionCacheKey {
        DecisionCacheKey(scope: scope, ruleIndex: rule, conditionIndex: condition, method: method, token: token)
    }

    static let standardMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    /// RFC 9110's nine methods are kept inline, each under a code of its own: a grant answers its own method and
    /// none of the other eight.
    @Test(arguments: standardMethods)
    func standardMethodsHaveCodesOfTheirOwn(method: String) throws {
        let key = Self.key(method: method)
        let grant = try #require(
            InlineGrant(key: key, grant: CachedGrant(validUntil: 200), ttl: .seconds(50), now: 100))
        #expect(grant.answers(key))
        for other in Self.standardMethods where other != method {
            #expect(!grant.answers(Self.key(method: other)), "\(method) answers \(other)")
        }
    }

    @Test(arguments: ["get", "LOCK", "", "GETX", "PROPFIND", "G\u{0301}ET"])
    func otherMethodsAreNotKeptInline(method: String) {
        #expect(
            InlineGrant(key: Self.key(method: method), grant: CachedGrant(validUntil: 200), ttl: .seconds(50), now: 100)
                == nil)
    }

    /// Condition indexes beyond 16 bits and TTLs under a second are not kept inline.
    @Test func outOfRangeIndexesAndShortTTLsAreNotKeptInline() {
        let grant = CachedGrant(validUntil: 200)
        #expect(InlineGrant(key: Self.key(condition: 70_000), grant: grant, ttl: .seconds(50), now: 100) == nil)
        #expect(InlineGrant(key: Self.key(rule: Int(Int32.max)), grant: grant, ttl: .seconds(50), now: 100) != nil)
        #expect(InlineGrant(key: Self.key(), grant: grant, ttl: .milliseconds(999), now: 100) == nil)
        #expect(InlineGrant(key: Self.key(), grant: grant, ttl: .zero, now: 100) == nil)
        #expect(InlineGrant(key: Self.key(condition: 65_535), grant: grant, ttl: .seconds(1), now: 100) != nil)
    }

    /// The deadline is the grant's `validUntil`, capped by the TTL (whole seconds, rounded down).
    @Test(arguments: [
        (validUntil: Int64(200), ttl: Duration.seconds(100), deadline: Int64(200)),
        (validUntil: 200, ttl: .seconds(50), deadline: 150),
        (validUntil: 200, ttl: .milliseconds(50_900), deadline: 150),
        (validUntil: Int64.max, ttl: .seconds(30), deadline: 130),
        (validUntil: 120, ttl: .seconds(Int64.max), deadline: 120),
    ])
    func deadlineIsTheEarlierOfGrantAndTTL(validUntil: Int64, ttl: Duration, deadline: Int64) throws {
        let grant = try #require(
            InlineGrant(key: Self.key(), grant: CachedGrant(validUntil: validUntil), ttl: ttl, now: 100))
        #expect(grant.deadline == deadline)
        #expect(grant.grant(at: deadline - 1) == CachedGrant(validUntil: deadline))
        #expect(grant.grant(at: deadline) == nil)
    }

    /// A grant answers only its own scope, rule, condition and method; an equal scope built apart is the same.
    @Test func answersOnlyItsOwnKey() throws {
        let grant = try #require(
            InlineGrant(key: Self.key(), grant: CachedGrant(validUntil: 200), ttl: .seconds(50), now: 100))
        #expect(grant.answers(Self.key(scope: .init(service: "photos", authorizationServer: "https://as"))))
        let others = [
            Self.key(scope: .init(service: "admin", authorizationServer: "https://as")),
            Self.key(scope: .init(service: "photos", authorizationServer: "https://other")),
            Self.key(rule: 2), Self.key(condition: 1), Self.key(method: "POST"), Self.key(method: "LOCK"),
        ]
        for other in others { #expect(!grant.answers(other), "\(other)") }
    }

    /// The expiry on the cache clock is the seconds left after `instant`, never past the record's expiry.
    @Test func expiryOnTheCacheClockNeverOutlivesTheRecord() throws {
        let grant = try #require(
            InlineGrant(key: Self.key(), grant: CachedGrant(validUntil: 200), ttl: .seconds(100), now: 100))
        let instant = CacheInstant(nanoseconds: 5_000)
        #expect(grant.expiresAt(now: 190, instant: instant, recordExpiresAt: .max) == 5_000 + 10_000_000_000)
        #expect(grant.expiresAt(now: 190, instant: instant, recordExpiresAt: 7_000) == 7_000)
        #expect(grant.expiresAt(now: 250, instant: instant, recordExpiresAt: .max) == 5_000)
        #expect(grant.expiresAt(now: 190, instant: CacheInstant(nanoseconds: .max - 1), recordExpiresAt: 9) == 9)
    }
}
