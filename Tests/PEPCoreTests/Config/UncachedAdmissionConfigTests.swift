import Testing

@testable import PEPCore

/// `limits.uncached_requests_per_turn`, `limits.uncached_requests_per_second` and `limits.control_plane_nice`: their defaults, loaded and reported when
/// set, refused naming the field when out of range.
@Suite struct UncachedAdmissionConfigTests {
    @Test func defaults() throws {
        let config = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(config.limits.uncachedRequestsPerTurn == 8)
        #expect(config.limits.uncachedRequestsPerSecond == 250)
        #expect(config.checkReport().contains("uncached_requests_per_second 250"))
        #expect(config.limits.controlPlaneNice == 10)
        #expect(config.checkReport().contains("uncached_requests_per_turn 8"))
        #expect(config.checkReport().contains("control_plane_nice 10"))
    }

    /// Each setting loaded as written and reported by check-config (the bounds of each range included).
    @Test(arguments: [
        ("uncached_requests_per_turn", 0, ProxyLimits(uncachedRequestsPerTurn: 0)),
        ("uncached_requests_per_turn", 64, ProxyLimits(uncachedRequestsPerTurn: 64)),
        ("uncached_requests_per_turn", 1_000_000, ProxyLimits(uncachedRequestsPerTurn: 1_000_000)),
        ("uncached_requests_per_second", 0, ProxyLimits(uncachedRequestsPerSecond: 0)),
        ("uncached_requests_per_second", 2000, ProxyLimits(uncachedRequestsPerSecond: 2000)),
        ("uncached_requests_per_second", 1_000_000, ProxyLimits(uncachedRequestsPerSecond: 1_000_000)),
        ("control_plane_nice", 0, ProxyLimits(controlPlaneNice: 0)),
        ("control_plane_nice", 19, ProxyLimits(controlPlaneNice: 19)),
    ])
    func loaded(field: String, value: Int, expected: ProxyLimits) throws {
        let config = try ConfigTestSupport.load(ConfigTestSupport.config(topExtra: "limits: {\(field): \(value)}"))
        #expect(config.limits == expected)
        #expect(config.checkReport().contains("\(field) \(value)"))
    }

    @Test(arguments: [
        ("uncached_requests_per_turn", "-1"), ("uncached_requests_per_turn", "1000001"),
        ("uncached_requests_per_turn", "many"), ("uncached_requests_per_second", "-1"),
        ("uncached_requests_per_second", "1000001"), ("uncached_requests_per_second", "fast"),
        ("control_plane_nice", "-5"), ("control_plane_nice", "20"),
        ("control_plane_nice", "high"),
    ])
    func refusedNamingTheField(field: String, text: String) throws {
        let error = try #require(
            ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "limits: {\(field): \(text)}")))
        #expect(error.fieldPath == "limits.\(field)")
    }
}
