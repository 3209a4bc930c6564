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

    @Test(arguments: [("0", 0), ("1", 1), ("64", 64), ("1000000", 1_000_000)])
    func perTurnLoaded(text: String, value: Int) throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {uncached_requests_per_turn: \(text)}"))
        #expect(config.limits == ProxyLimits(uncachedRequestsPerTurn: value))
        #expect(config.checkReport().contains("uncached_requests_per_turn \(value)"))
    }

    @Test(arguments: [("0", 0), ("1", 1), ("2000", 2000), ("1000000", 1_000_000)])
    func perSecondLoaded(text: String, value: Int) throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {uncached_requests_per_second: \(text)}"))
        #expect(config.limits == ProxyLimits(uncachedRequestsPerSecond: value))
        #expect(config.checkReport().contains("uncached_requests_per_second \(value)"))
    }

    @Test(arguments: [("0", 0), ("5", 5), ("19", 19)])
    func niceLoaded(text: String, value: Int) throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {control_plane_nice: \(text)}"))
        #expect(config.limits == ProxyLimits(controlPlaneNice: value))
        #expect(config.checkReport().contains("control_plane_nice \(value)"))
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
