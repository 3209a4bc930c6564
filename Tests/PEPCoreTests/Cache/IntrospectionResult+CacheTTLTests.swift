import Testing

@testable import PEPCore

private let now: Int64 = 1_700_000_000

@Suite struct IntrospectionResultCacheTTLTests {
    static let cases: [(String, IntrospectionResult, Duration)] = [
        ("exp bounds", IntrospectionResult(active: true, exp: now + 60), .seconds(55)),
        ("max_ttl bounds", IntrospectionResult(active: true, exp: now + 10_000), .seconds(300)),
        ("no exp: max_ttl", IntrospectionResult(active: true), .seconds(300)),
        (
            "permission exp bounds",
            IntrospectionResult(
                active: true, exp: now + 60,
                permissions: [
                    .init(resourceId: "r1", scopes: ["view"], exp: now + 100),
                    .init(resourceId: "r2", scopes: ["view"], exp: now + 20),
                    .init(resourceId: "r3", scopes: ["view"]),
                ]),
            .seconds(15)
        ),
        ("expires within the margin: not cached", IntrospectionResult(active: true, exp: now + 3), .seconds(-2)),
        ("inactive: negative TTL", IntrospectionResult(active: false, exp: now + 60), .seconds(10)),
        (
            "hostile exp does not overflow", IntrospectionResult(active: true, exp: Int64.min),
            Duration.seconds(Int64.min) - .seconds(5) - .seconds(now)
        ),
        ("far-future exp: max_ttl", IntrospectionResult(active: true, exp: Int64.max), .seconds(300)),
    ]

    /// TTL = min(exp − 5 s, earliest permission exp − 5 s, max_ttl); inactive results get the negative TTL
    /// (SPEC A7).
    @Test(arguments: IntrospectionResultCacheTTLTests.cases)
    func computesTTL(label: String, result: IntrospectionResult, expected: Duration) {
        let ttl = result.cacheTTL(nowEpochSeconds: now, maxTTL: .seconds(300), negativeTTL: .seconds(10))
        #expect(ttl == expected, "\(label)")
    }
}
