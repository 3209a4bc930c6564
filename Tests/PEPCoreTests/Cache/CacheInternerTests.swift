import Testing

@testable import PEPCore

/// The address of a string's UTF-8 storage (nil for small, inline strings).
private func storage(_ value: String) -> UnsafeRawPointer? {
    value.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
}

/// A fresh heap copy of `text` (not sharing storage with the literal).
private func fresh(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
}

@Suite struct CacheInternerTests {
    static let resource = "7f1c2b3a-1111-4222-8333-944455566677"

    /// Equal long strings come back as one storage; short ones (inline) come back unchanged.
    @Test func sharesEqualStrings() {
        let interner = CacheInterner()
        let first = interner.intern(fresh(Self.resource))
        let second = interner.intern(fresh(Self.resource))
        #expect(first == second)
        #expect(storage(first) != nil && storage(first) == storage(second))
        #expect(interner.intern("read") == "read")
        #expect(interner.counts.strings == 1)
    }

    /// Arrays are shared whole, and their long elements with the strings.
    @Test func sharesEqualArrays() {
        let interner = CacheInterner()
        let element = interner.intern(fresh(Self.resource))
        let first = interner.intern([fresh(Self.resource), "view"])
        let second = interner.intern([fresh(Self.resource), "view"])
        #expect(first == second && first == [Self.resource, "view"])
        #expect(first.withUnsafeBufferPointer { $0.baseAddress } == second.withUnsafeBufferPointer { $0.baseAddress })
        #expect(storage(first[0]) == storage(element))
        #expect(interner.intern([String]()) == [])
        #expect(interner.counts == (1, 1, 0))
    }

    /// Past `limit` distinct values nothing more is held; values are still returned unchanged.
    @Test func staysWithinItsLimit() {
        let interner = CacheInterner(limit: 3)
        for index in 0..<10 {
            let value = "resource-number-\(index)-of-ten"
            #expect(interner.intern(value) == value)
            #expect(interner.intern([value]) == [value])
        }
        #expect(interner.counts.strings == 3)
        #expect(interner.counts.arrays == 3)
        // Permission lists too; a held one is still shared past the limit, a new one is not.
        let held = interner.intern([IntrospectionResult.Permission(resourceId: "resource-number-0-of-ten", scopes: [])])
        for index in 1..<10 {
            let list = [IntrospectionResult.Permission(resourceId: "resource-number-\(index)-of-ten", scopes: [])]
            #expect(interner.intern(list) == list)
        }
        #expect(interner.counts.permissionLists == 3)
        let again = interner.intern([IntrospectionResult.Permission(resourceId: fresh(held[0].resourceId), scopes: [])])
        #expect(again.withUnsafeBufferPointer { $0.baseAddress } == held.withUnsafeBufferPointer { $0.baseAddress })
        let late = (
            interner.intern(fresh("resource-number-9-of-ten")), interner.intern(fresh("resource-number-9-of-ten"))
        )
        #expect(late.0 == late.1 && storage(late.0) != storage(late.1))
    }

    /// The runtime's interner (`CacheInterner()`) holds at most 4 096 of each kind, however many results pass.
    @Test func defaultLimitIs4096() {
        let interner = CacheInterner()
        #expect(interner.limit == 4096)
        for index in 0..<4200 {
            let resource = "resource-\(index)-0123456789"
            _ = IntrospectionResult(
                active: true, exp: 100, iat: 1, clientId: "c",
                permissions: [.init(resourceId: resource, scopes: [resource])]
            ).interned(interner)
        }
        #expect(interner.counts == (4096, 4096, 4096))
    }

    /// An interned result equals the original, and two results' repeating members share storage.
    @Test func internsIntrospectionResults() {
        func result() -> IntrospectionResult {
            IntrospectionResult(
                active: true, exp: 100, iat: 1, clientId: fresh("@!1736.ABCD.EF01.2345"),
                sub: fresh("inum=0af4-5c1e-77aa-9d3e"),
                iss: fresh("https://as.example.test"),
                permissions: [.init(resourceId: fresh(Self.resource), scopes: [fresh("https://scopes.test/read")])])
        }
        let interner = CacheInterner()
        let original = result()
        let one = original.interned(interner)
        let two = result().interned(interner)
        #expect(one == original)
        #expect(storage(one.iss!) == storage(two.iss!))
        #expect(storage(one.clientId!) == storage(two.clientId!))
        // A user's `sub` is not interned (it would crowd the bounded string table).
        #expect(storage(one.sub!) != nil && storage(one.sub!) != storage(two.sub!))
        #expect(storage(one.permissions[0].resourceId) == storage(two.permissions[0].resourceId))
        #expect(
            one.permissions[0].scopes.withUnsafeBufferPointer { $0.baseAddress }
                == two.permissions[0].scopes.withUnsafeBufferPointer { $0.baseAddress })
        // `client_id`, `iss` and the flags are one shared object; a result with other flags gets its own.
        #expect(one.descriptor != nil && one.descriptor === two.descriptor)
        var inactive = result()
        inactive.active = false
        let three = inactive.interned(interner)
        #expect(three.descriptor !== one.descriptor)
        #expect(!three.active && three.clientId == one.clientId && three == inactive)
        #expect(storage(three.clientId!) == storage(one.clientId!))
    }

    /// Permission expiries at or after the token's `exp` are dropped (they cannot decide while the result is
    /// cached); earlier ones stay; without a token `exp` nothing changes. Then equal lists are shared.
    @Test func sharesPermissionListsWithoutRedundantExpiries() {
        func result(exp: Int64?, permissionExp: [Int64?]) -> IntrospectionResult {
            IntrospectionResult(
                active: true, exp: exp, iat: 1, clientId: "c",
                permissions: permissionExp.enumerated().map {
                    .init(resourceId: fresh("resource-\($0.offset)-0123456789"), scopes: ["read"], exp: $0.element)
                })
        }
        let trimmed = result(exp: 1_000, permissionExp: [1_000, 2_000, 900, nil]).withoutRedundantPermissionExpiries
        #expect(trimmed.permissions.map(\.exp) == [nil, nil, 900, nil])
        #expect(trimmed.exp == 1_000)
        let noExp = result(exp: nil, permissionExp: [1_000, nil])
        #expect(noExp.withoutRedundantPermissionExpiries == noExp)
        // The decisions and the cache bounds read from a cached result do not change while it is usable (up to
        // exp − 5 s; the permission expiring at 900 lapses within that time).
        let original = result(exp: 1_000, permissionExp: [1_000, 2_000, 900, nil])
        let usable = (0...1_100).map(Int64.init).filter { CacheTTL.isUsable(original, now: $0) }
        #expect(usable.contains(899) && usable.contains(900) && usable.contains(994))
        #expect(!CacheTTL.isUsable(trimmed, now: 995))
        for now in usable {
            for index in 0..<4 {
                let resource = original.permissions[index].resourceId
                #expect(
                    UMA2Decision.isGranted(original, resourceId: resource, requiredScopes: ["read"], now: now)
                        == UMA2Decision.isGranted(trimmed, resourceId: resource, requiredScopes: ["read"], now: now))
            }
            #expect(
                CacheTTL.compute(introspection: original, now: now, maxTTL: .seconds(3600), ttlWithoutExp: .seconds(60))
                    == CacheTTL.compute(
                        introspection: trimmed, now: now, maxTTL: .seconds(3600), ttlWithoutExp: .seconds(60)))
        }
        let interner = CacheInterner()
        let one = result(exp: 1_000, permissionExp: [1_000, 1_000]).withoutRedundantPermissionExpiries.interned(
            interner)
        let two = result(exp: 1_003, permissionExp: [1_003, 1_003]).withoutRedundantPermissionExpiries.interned(
            interner)
        #expect(one.permissions == two.permissions)
        #expect(
            one.permissions.withUnsafeBufferPointer { $0.baseAddress }
                == two.permissions.withUnsafeBufferPointer { $0.baseAddress })
        #expect(interner.counts.permissionLists == 1)
    }
}
