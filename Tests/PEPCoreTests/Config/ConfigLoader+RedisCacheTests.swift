import Testing

@testable import PEPCore

@Suite struct ConfigLoaderRedisCacheTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> RedisCacheSettings? {
        try ConfigTestSupport.load(ConfigTestSupport.config(topExtra: yaml), environment: environment).cache.redis
    }

    /// Without `cache.redis` there is no shared cache.
    @Test func absentByDefault() throws {
        #expect(try Self.load("") == nil)
        #expect(try Self.load("cache: {max_ttl: 60s}") == nil)
    }

    /// An empty URL (an unset `${REDIS_URL:-}`) is no shared cache; set, it is one.
    @Test func emptyURLIsNoSharedCache() throws {
        let text = "cache: {redis: {url: '${REDIS_URL:-}'}}"
        #expect(try Self.load(text) == nil)
        #expect(try Self.load(text, environment: ["REDIS_URL": "redis://10.0.0.5"])?.host == "10.0.0.5")
    }

    /// The password comes from the environment, is kept as a secret and never shown.
    @Test func passwordFromEnvironment() throws {
        let settings = try #require(
            try Self.load(
                "cache: {redis: {url: 'redis://pep:${REDIS_PASSWORD}@10.0.0.5:6380/2'}}",
                environment: ["REDIS_PASSWORD": "pa ss"]))
        #expect(settings.host == "10.0.0.5" && settings.port == 6380 && settings.database == 2)
        #expect(settings.username == "pep" && settings.password?.value == "pa ss")
        #expect(settings.description == "redis://pep:REDACTED@10.0.0.5:6380/2")
        #expect(!"\(settings)".contains("pa ss"))
        #expect(settings.timeout == .milliseconds(50) && settings.connectTimeout == .seconds(1))
        #expect(settings.maxBackoff == .seconds(30) && settings.maxPending == 1000)
    }

    @Test func everyField() throws {
        let settings = try #require(
            try Self.load(
                "cache: {redis: {url: 'redis://cache.internal', timeout: 20ms, connect_timeout: 300ms, "
                    + "max_backoff: 5s, max_pending: 64}}"))
        #expect(
            settings
                == RedisCacheSettings(
                    host: "cache.internal", timeout: .milliseconds(20), connectTimeout: .milliseconds(300),
                    maxBackoff: .seconds(5), maxPending: 64))
    }

    @Test(arguments: [
        ("cache: {redis: {}}", "cache.redis.url", "config.missing_field"),
        ("cache: {redis: {url: 'rediss://h:6379'}}", "cache.redis.url", "config.invalid_url"),
        ("cache: {redis: {url: 'http://h:6379'}}", "cache.redis.url", "config.invalid_url"),
        ("cache: {redis: {url: 'redis://h:0'}}", "cache.redis.url", "config.invalid_url"),
        ("cache: {redis: {url: 'redis://h/x'}}", "cache.redis.url", "config.invalid_url"),
        ("cache: {redis: {url: 'redis://h', timeout: 10s}}", "cache.redis.timeout", "config.invalid_duration"),
        ("cache: {redis: {url: 'redis://h', timeout: 0s}}", "cache.redis.timeout", "config.invalid_duration"),
        ("cache: {redis: {url: 'redis://h', max_pending: 0}}", "cache.redis.max_pending", "config.invalid_value"),
        ("cache: {redis: {url: 'redis://h', tls: true}}", "cache.redis.tls", "config.unknown_field"),
    ])
    func refused(yaml: String, field: String, detail: String) throws {
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: yaml)))
        #expect(error.fieldPath == field, "\(error)")
        #expect(error.detail == detail, "\(error)")
    }

    /// A refused URL's message never repeats the URL (it may hold the password); rediss:// names the way out.
    @Test func refusedURLIsNotEchoed() throws {
        let error = try #require(
            ConfigTestSupport.error(
                ConfigTestSupport.config(topExtra: "cache: {redis: {url: 'rediss://:topsecret@h:6379'}}")))
        #expect(!"\(error)".contains("topsecret"))
        #expect("\(error)".contains("stunnel"))
    }
}

@Suite struct RedisCacheReportTests {
    /// `check-config` shows the shared cache with the password redacted.
    @Test func reportRedactsThePassword() throws {
        let configuration = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "cache: {redis: {url: 'redis://:${P}@127.0.0.1:6379/1'}}"),
            environment: ["P": "hunter2"])
        let report = configuration.checkReport()
        #expect(
            report.contains(
                "Shared cache: redis://:REDACTED@127.0.0.1:6379/1, timeout 50ms, connect_timeout 1s, max_backoff 30s, "
                    + "max_pending 1000"), "\(report)")
        #expect(!report.contains("hunter2"))
        #expect(try !ConfigTestSupport.load(ConfigTestSupport.config()).checkReport().contains("Shared cache"))
    }
}
