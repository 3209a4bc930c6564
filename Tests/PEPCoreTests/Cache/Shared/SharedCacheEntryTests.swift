import Testing

@testable import PEPCore

@Suite struct SharedCacheEntryTests {
    static let now: Int64 = 1_700_000_000
    static let active = IntrospectionResult(
        active: true, exp: now + 600, iat: now,
        clientId: "c", permissions: [.init(resourceId: "r", scopes: ["view"])],
        raw: .object([
            "active": .bool(true), "exp": .int(now + 600), "iat": .int(now), "client_id": .string("c"),
            "permissions": .array([
                .object(["resource_id": .string("r"), "resource_scopes": .array([.string("view")])])
            ]),
        ]))
    static let inactive = IntrospectionResult(active: false, raw: .object(["active": .bool(false)]))

    /// `result` written as a Redis entry (live for 60 s) and read back, or `nil` (recorded as an issue) when the
    /// entry does not read back as an introspection hit.
    static func readBack(
        _ result: IntrospectionResult, sourceLocation: SourceLocation = #_sourceLocation
    ) -> IntrospectionResult? {
        let bytes = SharedCacheEntry.introspection(result).encoded(expiresAt: Self.now + 60)
        guard
            case .hit(.introspection(let read), _) = SharedCacheEntry.decode(
                bytes, expectingGrant: false, now: Self.now)
        else {
            Issue.record("not read back", sourceLocation: sourceLocation)
            return nil
        }
        return read
    }

    /// A result cached without its received object (`withoutRaw`) is written as its typed members, which decode
    /// back to the same enforcement-relevant result.
    @Test func compactedResultIsWrittenAsTypedMembers() throws {
        for result in [Self.active, Self.inactive] {
            guard let read = Self.readBack(result.withoutRaw) else { continue }
            #expect(read.active == result.active && read.exp == result.exp && read.clientId == result.clientId)
            #expect(read.permissions == result.permissions)
            #expect(read.hasRequiredMembers == result.hasRequiredMembers)
        }
    }

    /// What the introspection cache stores when no service reads `introspect_data` (no received object,
    /// permission expiries at or after the token's `exp` dropped, members interned) reads back from Redis equal
    /// in every typed member; written with its received object, the object comes back as it was.
    @Test func cachedResultRoundTrips() throws {
        let json: JSONValue = .object([
            "active": .bool(true), "exp": .int(Self.now + 600), "iat": .int(Self.now), "nbf": .int(Self.now - 5),
            "client_id": .string("@!1736.ABCD.EF01.2345"), "sub": .string("subject-0123456789"),
            "iss": .string("https://as.example.test"), "aud": .string("kept only in the received object"),
            "permissions": .array([
                .object([
                    "resource_id": .string("7f1c2b3a-1111-4222-8333-944455566677"),
                    "resource_scopes": .array([.string("https://scopes.test/read"), .string("view")]),
                    "exp": .int(Self.now + 600),
                ]),
                .object([
                    "resource_id": .string("r2"), "resource_scopes": .array([]), "exp": .int(Self.now + 300),
                ]),
            ]),
        ])
        let received = try IntrospectionResult.decode(json: json).get()
        let cached = received.withoutRedundantPermissionExpiries.interned(CacheInterner()).withoutRaw
        #expect(cached.permissions.map(\.exp) == [nil, Self.now + 300])
        for (stored, expectedRaw) in [(cached, nil), (received, json)] as [(IntrospectionResult, JSONValue?)] {
            guard let read = Self.readBack(stored) else { continue }
            #expect(read.withoutRaw == stored.withoutRaw)
            #expect(read.hasRequiredMembers)
            if let expectedRaw { #expect(read.raw == expectedRaw) } else { #expect(read.raw["aud"] == nil) }
        }
    }

    @Test func keysAreNamespacedAndHoldOnlyDigests() {
        let server = String(repeating: "a", count: 64)
        let token = String(repeating: "b", count: 64)
        #expect(
            SharedCacheEntry.introspectionKey(serverDigest: server, tokenDigest: token)
                == "uma-pep:v1:\(server):intro:\(token)")
        #expect(
            SharedCacheEntry.grantKey(serverDigest: server, tokenDigest: token, requestDigest: "c")
                == "uma-pep:v1:\(server):grant:\(token):c")
        #expect(SharedCacheEntry.grantRequest(method: "GET", pattern: "/photos/??") == "GET /photos/??")
    }

    /// Entries survive the round trip; `remaining` is what is left of `expires_at`.
    @Test(arguments: [
        (SharedCacheEntry.introspection(active), false),
        (SharedCacheEntry.introspection(inactive), false),
        (SharedCacheEntry.grant(CachedGrant(validUntil: now + 100)), true),
    ])
    func roundTrip(entry: SharedCacheEntry, grant: Bool) {
        let bytes = entry.encoded(expiresAt: Self.now + 60)
        #expect(
            SharedCacheEntry.decode(bytes, expectingGrant: grant, now: Self.now) == .hit(entry, remaining: .seconds(60))
        )
        #expect(
            SharedCacheEntry.decode(bytes, expectingGrant: grant, now: Self.now + 59)
                == .hit(entry, remaining: .seconds(1)))
        #expect(SharedCacheEntry.decode(bytes, expectingGrant: grant, now: Self.now + 60) == .lapsed)
        // The other kind's key never yields this entry.
        #expect(SharedCacheEntry.decode(bytes, expectingGrant: !grant, now: Self.now) == .invalid)
    }

    /// A value carries its key: read under another key (a reply delivered to the wrong request) it is invalid,
    /// never another token's answer; a value without its key is invalid where one is expected.
    @Test func valuesAreBoundToTheirKey() {
        let entry = SharedCacheEntry.introspection(Self.active)
        let keyA = SharedCacheEntry.introspectionKey(serverDigest: "s", tokenDigest: "a")
        let keyB = SharedCacheEntry.introspectionKey(serverDigest: "s", tokenDigest: "b")
        let bytes = entry.encoded(expiresAt: Self.now + 60, key: keyA)
        #expect(
            SharedCacheEntry.decode(bytes, expectingGrant: false, now: Self.now, key: keyA)
                == .hit(entry, remaining: .seconds(60)))
        #expect(SharedCacheEntry.decode(bytes, expectingGrant: false, now: Self.now, key: keyB) == .invalid)
        let unbound = entry.encoded(expiresAt: Self.now + 60)
        #expect(SharedCacheEntry.decode(unbound, expectingGrant: false, now: Self.now, key: keyA) == .invalid)
    }

    /// An active introspection lapses 5 s before `exp` (CacheTTL), a grant at `valid_until`, whatever `expires_at`
    /// says (another instance's clock).
    @Test func ownLifetimesWin() {
        let intro = SharedCacheEntry.introspection(Self.active).encoded(expiresAt: Self.now + 10_000)
        #expect(SharedCacheEntry.decode(intro, expectingGrant: false, now: Self.now + 594) != .lapsed)
        #expect(SharedCacheEntry.decode(intro, expectingGrant: false, now: Self.now + 595) == .lapsed)
        let grant = SharedCacheEntry.grant(CachedGrant(validUntil: Self.now + 100)).encoded(
            expiresAt: Self.now + 10_000)
        #expect(SharedCacheEntry.decode(grant, expectingGrant: true, now: Self.now + 99) != .lapsed)
        #expect(SharedCacheEntry.decode(grant, expectingGrant: true, now: Self.now + 100) == .lapsed)
    }

    @Test(arguments: [
        ("", SharedCacheEntry.Read.invalid),
        ("garbage", .invalid),
        ("[1]", .invalid),
        (#"{"expires_at":1700000060,"introspection":{"active":false}}"#, .invalid),
        (#"{"v":"1","expires_at":1700000060,"introspection":{"active":false}}"#, .invalid),
        (#"{"v":2,"expires_at":1700000060,"whatever":true}"#, .otherVersion),
        (#"{"v":1,"introspection":{"active":false}}"#, .invalid),
        (#"{"v":1,"expires_at":1700000060,"introspection":{"active":"true"}}"#, .invalid),
        (#"{"v":1,"expires_at":1700000060,"introspection":[]}"#, .invalid),
        (#"{"v":1,"expires_at":1700000060,"grant":{"valid_until":1700000100}}"#, .invalid),
        (#"{"v":1,"expires_at":1600000000,"introspection":{"active":false}}"#, .lapsed),
        (#"{"v":1,"expires_at":-9223372036854775808,"introspection":{"active":false}}"#, .lapsed),
        (
            #"{"v":1,"expires_at":1700000060,"introspection":{"active":false}}"#,
            .hit(.introspection(inactive), remaining: .seconds(60))
        ),
    ])
    func decodesIntrospectionValues(text: String, expected: SharedCacheEntry.Read) {
        #expect(SharedCacheEntry.decode(Array(text.utf8), expectingGrant: false, now: Self.now) == expected)
    }

    @Test(arguments: [
        (#"{"v":1,"expires_at":1700000060,"grant":{}}"#, SharedCacheEntry.Read.invalid),
        (#"{"v":1,"expires_at":1700000060,"grant":{"valid_until":"soon"}}"#, .invalid),
        (#"{"v":1,"expires_at":1700000060,"grant":{"valid_until":1700000000}}"#, .lapsed),
        (
            #"{"v":1,"expires_at":1700000060,"grant":{"valid_until":1700000001}}"#,
            .hit(.grant(CachedGrant(validUntil: 1_700_000_001)), remaining: .seconds(60))
        ),
    ])
    func decodesGrantValues(text: String, expected: SharedCacheEntry.Read) {
        #expect(SharedCacheEntry.decode(Array(text.utf8), expectingGrant: true, now: Self.now) == expected)
    }

    @Test(arguments: [
        (Duration.seconds(10), Int64(10_000) as Int64?),
        (.milliseconds(1500), 1500),
        (.microseconds(999), nil),
        (.zero, nil),
        (.seconds(-5), nil),
    ])
    func redisTTL(ttl: Duration, expected: Int64?) {
        #expect(SharedCacheEntry.redisTTLMilliseconds(ttl) == expected)
    }

    @Test(arguments: [
        (Int64(100), Duration.seconds(10), Int64(110)),
        (100, .milliseconds(1500), 102),
        (100, .zero, 100),
        (Int64.max - 1, .seconds(10), Int64.max),
    ])
    func expiresAt(now: Int64, ttl: Duration, expected: Int64) {
        #expect(SharedCacheEntry.expiresAt(now: now, ttl: ttl) == expected)
    }

    /// Local entries made from a shared entry never outlive it.
    @Test func cappedUpdates() {
        let key = IntrospectionCacheKey(authorizationServer: "as", token: "t")
        let decision = DecisionCacheKey(
            service: "s", authorizationServer: "as", ruleIndex: 0, conditionIndex: 0, method: "GET", token: "t")
        let headers = UpstreamHeadersCacheKey(service: "s", authorizationServer: "as", token: "t")
        let cases: [(CacheUpdate, CacheUpdate)] = [
            (
                .storeIntrospection(key, Self.active, ttl: .seconds(300)),
                .storeIntrospection(key, Self.active, ttl: .seconds(20))
            ),
            (
                .storeIntrospection(key, Self.active, ttl: .seconds(5)),
                .storeIntrospection(key, Self.active, ttl: .seconds(5))
            ),
            (
                .storeGrant(decision, CachedGrant(validUntil: 1), ttl: .seconds(60)),
                .storeGrant(decision, CachedGrant(validUntil: 1), ttl: .seconds(20))
            ),
            (
                .storeUpstreamHeaders(headers, [], ttl: .seconds(60)),
                .storeUpstreamHeaders(headers, [], ttl: .seconds(20))
            ),
            (.removeGrant(decision), .removeGrant(decision)),
        ]
        for (update, expected) in cases { #expect(update.capped(by: .seconds(20)) == expected) }
    }
}
