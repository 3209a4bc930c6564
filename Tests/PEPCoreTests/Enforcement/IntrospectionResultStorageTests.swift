import Testing

@testable import PEPCore

/// `IntrospectionResult` keeps its members in a compact layout (flags for the optional times, one shared
/// descriptor for `client_id`, `iss` and the flags, a box for the received object): every member must read back
/// as written, whatever else is set, and the layout must stay at the size docs/benchmarks.md counts per cached
/// token ("Memory with 100 000 tokens").
@Suite struct IntrospectionResultStorageTests {
    static let times: [Int64?] = [nil, 0, -1, 1_700_000_000, Int64.min, Int64.max]

    /// Each optional time reads back as written, for every combination with the other two.
    @Test(arguments: times)
    func timesReadBackAsWritten(exp: Int64?) {
        for iat in Self.times {
            for nbf in [nil, Int64(5), Int64.min] {
                for active in [true, false] {
                    let result = IntrospectionResult(active: active, exp: exp, iat: iat, nbf: nbf)
                    #expect(result.exp == exp && result.iat == iat && result.nbf == nbf && result.active == active)
                }
            }
        }
    }

    /// A setter changes its member only; clearing a member makes it nil again.
    @Test func settersChangeOnlyTheirMember() {
        let raw: JSONValue = .object(["active": .bool(true), "permissions": .array([])])
        let full = IntrospectionResult(
            active: true, exp: 300, iat: 100, nbf: 90, clientId: "client", sub: "alice", iss: "https://as",
            permissions: [.init(resourceId: "r", scopes: ["read"])], raw: raw)
        var changed = full
        changed.exp = nil
        #expect(changed.exp == nil && changed.iat == 100 && changed.nbf == 90 && changed.active)
        changed.exp = Int64.min
        #expect(changed.exp == Int64.min)
        changed.clientId = nil
        #expect(changed.clientId == nil && changed.iss == "https://as" && changed.active && changed.iat == 100)
        changed.iss = nil
        #expect(changed.iss == nil && changed.active && changed.iat == 100 && changed.nbf == 90)
        changed.active = false
        #expect(!changed.active && changed.iat == 100 && changed.sub == "alice" && changed.raw == raw)
        changed.raw = .null
        #expect(changed.raw == .null && changed.rawBox == nil)
        #expect(changed != full)
        #expect(full.exp == 300 && full.clientId == "client" && full.iss == "https://as" && full.active)
    }

    /// Equality compares members, not storage: two separately built equal results are equal, and a difference in
    /// any one member (a time's presence included) makes them unequal.
    @Test func equalityComparesMembers() {
        func make() -> IntrospectionResult {
            IntrospectionResult(
                active: true, exp: 300, iat: 100, clientId: "client", sub: "alice", iss: "https://as",
                raw: .object(["active": .bool(true)]))
        }
        #expect(make() == make())
        var variants: [IntrospectionResult] = []
        for index in 0..<8 {
            var variant = make()
            switch index {
            case 0: variant.active = false
            case 1: variant.exp = 301
            case 2: variant.iat = nil
            case 3: variant.nbf = 0
            case 4: variant.clientId = "other"
            case 5: variant.sub = nil
            case 6: variant.iss = "https://as2"
            default: variant.raw = .object(["active": .bool(false)])
            }
            variants.append(variant)
        }
        for variant in variants { #expect(variant != make()) }
        #expect(make().withoutRaw != make())
        #expect(make().withoutRaw == make().withoutRaw)
    }

    /// ``IntrospectionResult/withoutRaw`` still answers `hasRequiredMembers` as the original did.
    @Test func withoutRawRemembersThePermissionsArray() {
        let with = IntrospectionResult(
            active: true, iat: 1, clientId: "c", raw: .object(["permissions": .array([])]))
        let without = IntrospectionResult(active: true, iat: 1, clientId: "c", raw: .object(["iat": .int(1)]))
        #expect(with.hasRequiredMembers && with.withoutRaw.hasRequiredMembers)
        #expect(!without.hasRequiredMembers && !without.withoutRaw.hasRequiredMembers)
        #expect(with.withoutRaw.receivedPermissionsArray == true)
        #expect(without.withoutRaw.receivedPermissionsArray == false)
        #expect(with.receivedPermissionsArray == nil)
    }

    /// The sizes docs/benchmarks.md counts per cached token: a result in 64 bytes, an inline grant in 24, an
    /// introspection key (its token inline) in 72, an introspection-cache slot (key, result and inline grant) in
    /// 184, a decision key in 56 and a decision-cache slot (a token's further grants) in 96 (64-bit platforms). A
    /// new stored member shows up here first.
    @Test func layoutStaysCompact() {
        typealias Introspections = LRUTTLCache<IntrospectionCacheKey, IntrospectionRecord, Int>
        typealias Decisions = LRUTTLCache<DecisionCacheKey, CachedGrant, Int>
        #expect(MemoryLayout<IntrospectionResult>.stride == 64)
        #expect(MemoryLayout<InlineGrant?>.size == 24)
        #expect(MemoryLayout<CacheTokenBytes>.size == 48)
        #expect(MemoryLayout<IntrospectionCacheKey>.size == 72)
        #expect(MemoryLayout<Introspections.Slot>.stride == 184)
        #expect(MemoryLayout<DecisionCacheKey>.size == 56)
        #expect(MemoryLayout<Decisions.Slot>.stride == 96)
    }
}
