import Testing

@testable import PEPCore

/// `limits.cache_misses_per_ip_per_second`: off by default, loaded and reported when set, refused naming the
/// field when out of range.
@Suite struct CacheMissRateConfigTests {
    @Test func offByDefault() throws {
        #expect(ProxyLimits().cacheMissesPerIPPerSecond == 0)
        let config = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(config.limits.cacheMissesPerIPPerSecond == 0)
        #expect(config.checkReport().contains("cache_misses_per_ip_per_second 0"))
    }

    @Test(arguments: [("1", 1), ("20", 20), ("1000000", 1_000_000), ("0", 0)])
    func loaded(text: String, value: Int) throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {cache_misses_per_ip_per_second: \(text)}"))
        #expect(config.limits.cacheMissesPerIPPerSecond == value)
        #expect(config.limits == ProxyLimits(cacheMissesPerIPPerSecond: value))
        #expect(config.checkReport().contains("cache_misses_per_ip_per_second \(value)"))
    }

    @Test(arguments: ["-1", "1000001", "lots", "2.5"])
    func refusedNamingTheField(text: String) throws {
        let error = try #require(
            ConfigTestSupport.error(
                ConfigTestSupport.config(topExtra: "limits: {cache_misses_per_ip_per_second: \(text)}")))
        #expect(error.fieldPath == "limits.cache_misses_per_ip_per_second")
    }
}
