import Testing

@testable import PEPCore

@Suite struct ConfigDurationTests {
    /// Each unit parses to the right `Duration`.
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("0s", .zero),
    ])
    func parsesUnits(_ text: String, _ expected: Duration) {
        #expect(ConfigDuration.parse(text) == expected)
    }

    /// Text outside the grammar is refused.
    @Test(arguments: ["", "10", "1.5s", "-1s", "10 s", "1m30s", "10S", "s", "1d", "9999999999s"])
    func rejectsOtherText(_ text: String) {
        #expect(ConfigDuration.parse(text) == nil)
    }

    /// `format` writes the largest exact unit, and round-trips through `parse`.
    @Test(arguments: [Duration.milliseconds(1500), .seconds(10), .seconds(300), .seconds(7200), .milliseconds(1)])
    func formatRoundTrips(_ duration: Duration) {
        #expect(ConfigDuration.parse(ConfigDuration.format(duration)) == duration)
    }

    /// In a configuration, integers are seconds, strings carry a unit, and bad values name their field.
    @Test func readsDurationsInConfiguration() throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {header_timeout: 3, idle_timeout: 250ms, drain_timeout: 0}"))
        #expect(config.limits.headerTimeout == .seconds(3))
        #expect(config.limits.idleTimeout == .milliseconds(250))
        #expect(config.limits.drainTimeout == .zero)
        for (value, detail) in [
            ("10x", "config.invalid_duration"), ("0", "config.invalid_duration"),
            ("[1]", "config.type_mismatch"), ("8d", "config.invalid_duration"),
        ] {
            let error = ConfigTestSupport.error(
                ConfigTestSupport.config(topExtra: "limits: {header_timeout: \(value)}"))
            #expect(error?.fieldPath == "limits.header_timeout")
            #expect(error?.detail == detail)
        }
    }

    /// Byte sizes accept integers and binary units, and enforce their range.
    @Test func readsByteSizes() throws {
        #expect(ConfigByteSize.parse("16KiB") == 16_384)
        #expect(ConfigByteSize.parse("10MiB") == 10_485_760)
        #expect(ConfigByteSize.parse("1GiB") == 1_073_741_824)
        #expect(ConfigByteSize.parse("10MB") == nil)
        #expect(ConfigByteSize.parse("999999999999GiB") == nil)
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "limits: {max_header_bytes: 32KiB, max_body_bytes: 0}"))
        #expect(config.limits.maxHeaderBytes == 32_768)
        #expect(config.limits.maxBodyBytes == 0)
        let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "limits: {max_header_bytes: 100}"))
        #expect(error?.fieldPath == "limits.max_header_bytes")
        #expect(error?.detail == "config.invalid_size")
    }
}
