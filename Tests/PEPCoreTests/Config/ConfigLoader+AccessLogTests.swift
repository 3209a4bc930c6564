import Testing

@testable import PEPCore

@Suite struct ConfigLoaderAccessLogTests {
    static func load(_ yaml: String) throws -> AccessLogSettings {
        try ConfigTestSupport.load(ConfigTestSupport.config(topExtra: yaml)).accessLog
    }

    /// Without `access_log` the log is on, to stderr, as text, 64 KiB buffers flushed every second.
    @Test func defaults() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.config()).accessLog
        #expect(settings == AccessLogSettings())
        #expect(settings.enabled && settings.destination == .standardError && settings.format == .text)
        #expect(settings.bufferBytes == 65_536 && settings.flushInterval == .seconds(1))
    }

    @Test(arguments: ["access_log: off", "access_log: false", "access_log: {enabled: false}"])
    func off(yaml: String) throws {
        #expect(try Self.load(yaml).enabled == false)
    }

    @Test func everyField() throws {
        let settings = try Self.load(
            "access_log: {destination: /var/log/uma-pep/access.log, format: json, buffer: 8KiB, flush: 250ms}")
        #expect(
            settings
                == AccessLogSettings(
                    enabled: true, destination: .file("/var/log/uma-pep/access.log"), format: .json, bufferBytes: 8192,
                    flushInterval: .milliseconds(250)))
        #expect(try Self.load("access_log: {destination: stderr, buffer: 0}").bufferBytes == 0)
    }

    @Test(arguments: [
        ("access_log: {format: xml}", "access_log.format", "config.invalid_value"),
        ("access_log: {destination: logs/access.log}", "access_log.destination", "config.invalid_value"),
        ("access_log: {destination: /var/log/}", "access_log.destination", "config.invalid_value"),
        ("access_log: {buffer: 32MiB}", "access_log.buffer", "config.invalid_size"),
        ("access_log: {flush: 0s}", "access_log.flush", "config.invalid_duration"),
        ("access_log: {path: /x}", "access_log.path", "config.unknown_field"),
        ("access_log: 3", "access_log", "config.type_mismatch"),
    ])
    func refused(yaml: String, field: String, detail: String) throws {
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: yaml)))
        #expect(error.fieldPath == field, "\(error)")
        #expect(error.detail == detail, "\(error)")
    }
}
