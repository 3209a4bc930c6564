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
        #expect(interner.counts == (1, 1))
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
    }

    /// An interned result equals the original, and two results' repeating members share storage.
    @Test func internsIntrospectionResults() {
        func result() -> IntrospectionResult {
            IntrospectionResult(
                active: true, exp: 100, iat: 1, clientId: fresh("@!1736.ABCD.EF01.2345"), sub: "s",
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
        #expect(storage(one.permissions[0].resourceId) == storage(two.permissions[0].resourceId))
        #expect(
            one.permissions[0].scopes.withUnsafeBufferPointer { $0.baseAddress }
                == two.permissions[0].scopes.withUnsafeBufferPointer { $0.baseAddress })
    }
}
