import Testing

@testable import PEPCore

@Suite struct CacheTTLTests {
    static let now: Int64 = 1_000

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let introspection: IntrospectionResult
        let maxTTL: Duration
        var ttlWithoutExp: Duration = .seconds(60)
        let expected: Duration?
        var testDescription: String { self.label }
    }

    static func result(exp: Int64?, permissionExps: [Int64?] = [], active: Bool = true) -> IntrospectionResult {
        IntrospectionResult(
            active: active,
            exp: exp,
            permissions: permissionExps.map { IntrospectionResult.Permission(resourceId: "r", scopes: ["s"], exp: $0) }
        )
    }

    static let cases: [Case] = [
        Case(
            label: "token exp minus 5 s",
            introspection: result(exp: now + 300),
            maxTTL: .seconds(3600),
            expected: .seconds(295)
        ),
        Case(
            label: "earliest permission exp wins",
            introspection: result(exp: now + 300, permissionExps: [now + 100, nil, now + 200]),
            maxTTL: .seconds(3600),
            expected: .seconds(95)
        ),
        Case(
            label: "max_ttl caps",
            introspection: result(exp: now + 300),
            maxTTL: .seconds(60),
            expected: .seconds(60)
        ),
        Case(
            label: "exactly 5 s left is not cached",
            introspection: result(exp: now + 5),
            maxTTL: .seconds(60),
            expected: nil
        ),
        Case(label: "expired token", introspection: result(exp: now - 10), maxTTL: .seconds(60), expected: nil),
        Case(
            label: "expired permission",
            introspection: result(exp: now + 300, permissionExps: [now]),
            maxTTL: .seconds(60),
            expected: nil
        ),
        Case(
            label: "no exp: ttl_without_exp", introspection: result(exp: nil), maxTTL: .seconds(300),
            expected: .seconds(60)),
        Case(
            label: "no exp: max_ttl caps", introspection: result(exp: nil), maxTTL: .seconds(30), expected: .seconds(30)
        ),
        Case(
            label: "no exp: earliest permission exp wins",
            introspection: result(exp: nil, permissionExps: [now + 20]),
            maxTTL: .seconds(300),
            expected: .seconds(15)
        ),
        Case(
            label: "no exp: ttl_without_exp 0 disables",
            introspection: result(exp: nil),
            maxTTL: .seconds(300),
            ttlWithoutExp: .zero,
            expected: nil
        ),
        Case(
            label: "inactive",
            introspection: result(exp: now + 300, active: false),
            maxTTL: .seconds(60),
            expected: nil
        ),
        Case(label: "zero max_ttl disables", introspection: result(exp: now + 300), maxTTL: .zero, expected: nil),
        Case(
            label: "hostile minimum exp saturates",
            introspection: result(exp: Int64.min),
            maxTTL: .seconds(60),
            expected: nil
        ),
        Case(
            label: "hostile maximum exp saturates",
            introspection: result(exp: Int64.max),
            maxTTL: .seconds(60),
            expected: .seconds(60)
        ),
    ]

    /// TTL = min(exp − 5 s or ttl_without_exp, earliest permission exp − 5 s, max_ttl); nil when ≤ 0 (SPEC A7).
    @Test(arguments: Self.cases)
    func computesTTL(_ testCase: Case) {
        #expect(
            CacheTTL.compute(
                introspection: testCase.introspection, now: Self.now, maxTTL: testCase.maxTTL,
                ttlWithoutExp: testCase.ttlWithoutExp) == testCase.expected
        )
    }

    /// A cached active result is usable only while `now < exp − 5 s`; negative entries and results without
    /// `exp` always are (their cache TTL bounds them).
    @Test func usability() {
        #expect(CacheTTL.isUsable(Self.result(exp: Self.now + 6), now: Self.now))
        #expect(!CacheTTL.isUsable(Self.result(exp: Self.now + 5), now: Self.now))
        #expect(CacheTTL.isUsable(Self.result(exp: nil), now: Self.now))
        #expect(CacheTTL.isUsable(Self.result(exp: nil, active: false), now: Self.now))
    }

    /// A cached grant is valid strictly before `validUntil`.
    @Test func grantValidity() {
        #expect(CachedGrant(validUntil: 10).isValid(at: 9))
        #expect(!CachedGrant(validUntil: 10).isValid(at: 10))
    }
}
