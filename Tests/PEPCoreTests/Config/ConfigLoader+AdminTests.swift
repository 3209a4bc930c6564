import Testing

@testable import PEPCore

/// `admin.token`, `readiness`, `services[].enforcement` and the redacted document `GET /config` serves.
@Suite struct ConfigLoaderAdminTests {
    static let token = "0123456789abcdef"

    @Test func tokenIsOptionalOnLoopbackAndASecret() throws {
        let none = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(none.admin.token == nil)
        for listen in ["127.0.0.1:8001", "127.9.9.9:1", "[::1]:8001", "0.0.0.0:8001", "[::]:8001", "10.0.0.1:8001"] {
            let text = ConfigTestSupport.config(topExtra: "admin: {listen: \"\(listen)\", token: \"${T}\"}")
            let config = try ConfigTestSupport.load(text, environment: ["T": Self.token])
            #expect(config.admin.token?.value == Self.token, "\(listen)")
            #expect("\(config.admin.token!)" == "REDACTED")
        }
    }

    @Test(arguments: ["0.0.0.0:8001", "[::]:8001", "10.0.0.1:8001", "[::ffff:10.0.0.1]:8001"])
    func nonLoopbackNeedsAToken(listen: String) {
        let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "admin: {listen: \"\(listen)\"}"))
        #expect(error?.fieldPath == "admin.token")
        #expect(error?.detail == "config.missing_field")
    }

    /// An empty token (an unset `${T:-}`, one configuration for hosts and pods) is no token: fine on loopback,
    /// the missing-token error elsewhere.
    @Test func emptyTokenIsNoToken() throws {
        let text = { (listen: String) in
            ConfigTestSupport.config(topExtra: "admin: {listen: \"\(listen)\", token: \"${T:-}\"}")
        }
        #expect(try ConfigTestSupport.load(text("127.0.0.1:8001")).admin.token == nil)
        #expect(ConfigTestSupport.error(text("0.0.0.0:8001"))?.fieldPath == "admin.token")
        let set = try ConfigTestSupport.load(text("0.0.0.0:8001"), environment: ["T": Self.token])
        #expect(set.admin.token?.value == Self.token)
    }

    /// A token written in the file works, with an advisory; one from `${…}` gets none.
    @Test func literalTokenIsAnAdvisory() throws {
        let literal = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "admin: {token: \"\(Self.token)\"}"))
        #expect(literal.admin.token?.value == Self.token)
        #expect(literal.advisories.map(\.fieldPath) == ["admin.token"])
        #expect(!literal.advisories[0].description.contains(Self.token))
        let environment = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "admin: {token: \"${T}\"}"), environment: ["T": Self.token])
        #expect(environment.advisories.isEmpty)
    }

    @Test func shortTokensAndUnknownFieldsAreRefused() {
        let short = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "admin: {token: \"short\"}"))
        #expect(short?.fieldPath == "admin.token")
        #expect(short?.detail == "config.invalid_value")
        #expect(short.map { "\($0)".contains("short") } == false)
        let unknown = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "admin: {tokn: x}"))
        #expect(unknown?.detail == "config.unknown_field")
    }

    @Test func readiness() throws {
        #expect(try !ConfigTestSupport.load(ConfigTestSupport.config()).readiness.requireAuthorizationServer)
        let on = ConfigTestSupport.config(topExtra: "readiness: {require_authorization_server: true}")
        #expect(try ConfigTestSupport.load(on).readiness.requireAuthorizationServer)
        let bad = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "readiness: {require: true}"))
        #expect(bad?.detail == "config.unknown_field")
    }

    @Test func enforcement() throws {
        #expect(try ConfigTestSupport.load(ConfigTestSupport.config()).services[0].enforcement == .enforce)
        let report = ConfigTestSupport.config(serviceExtra: "    enforcement: report_only")
        let config = try ConfigTestSupport.load(report)
        #expect(config.services[0].enforcement == .reportOnly)
        #expect(config.advisories.contains { $0.fieldPath == "services[0].enforcement" })
        #expect(config.checkReport().contains("NOT ENFORCING"))
        #expect(!(try ConfigTestSupport.load(ConfigTestSupport.config())).checkReport().contains("NOT ENFORCING"))
        let bad = ConfigTestSupport.error(ConfigTestSupport.config(serviceExtra: "    enforcement: permissive"))
        #expect(bad?.fieldPath == "services[0].enforcement")
        #expect(bad?.detail == "config.invalid_value")
    }

    @Test func plainServicesCannotReport() {
        let text = """
            services:
              - name: plain
                url: http://127.0.0.1:9000
                hosts: [plain.example.com]
                enforcement: report_only
            """
        let error = ConfigTestSupport.error(text)
        #expect(error?.fieldPath == "services[0].enforcement")
        #expect(error?.detail == "config.field_not_allowed")
    }

    /// Secrets and URL credentials never reach the document; everything else is as substituted.
    @Test func redactedDocument() throws {
        let text = ConfigTestSupport.config(
            topExtra: "admin: {token: \"${T}\"}"
        )
        let config = try ConfigTestSupport.load(text, environment: ["T": Self.token])
        let json = JSONCodec.serializeToString(config.redactedDocument)
        for secret in [Self.token, "s3cr3t-value"] { #expect(!json.contains(secret), "\(secret)") }
        let server = config.redactedDocument["authorization_servers"]?["gluu"]
        #expect(server?["client_secret"] == .string("REDACTED"))
        #expect(server?["client_id"] == .string("client-1"))
        #expect(server?["op_url"] == .string("https://gluu.example.com"))
        #expect(config.redactedDocument["admin"]?["token"] == .string("REDACTED"))
        let url = ConfigNode.string("https://user:pw@as.example.com/x?key=k", substituted: true)
        #expect(url.redactedJSON == .string("https://***@as.example.com/x?***"))
        for key in ["client_secret", "token", "Token", "db_password", "secret_key"] {
            #expect(ConfigNode.isSecretKey(key))
        }
        for key in ["client_id", "tokens_url", "oxd_id"] { #expect(!ConfigNode.isSecretKey(key)) }
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.255.0.1", true), ("::1", true), ("::ffff:127.0.0.1", true), ("0.0.0.0", false),
        ("::", false), ("10.0.0.1", false), ("::2", false), ("128.0.0.1", false), ("1::1", false),
    ])
    func loopback(address: String, loopback: Bool) throws {
        #expect(try #require(IPAddress(address)).isLoopback == loopback)
    }
}

/// `LRUTTLCache.removeValues(where:)` (the admin API's cache flush).
@Suite struct LRUTTLCacheFlushTests {
    @Test func removesMatchingValuesOnly() {
        let cache = LRUTTLCache<String, Int, Never>(limits: CacheLimits(maxEntries: 4096))
        let now = CacheInstant(nanoseconds: 0)
        for index in 0..<20 { cache.setValue(index, forKey: "k\(index)", ttl: .seconds(60), now: now) }
        #expect(cache.removeValues { $0.hasSuffix("1") } == 2)
        #expect(cache.value(forKey: "k1", now: now) == nil)
        #expect(cache.value(forKey: "k11", now: now) == nil)
        #expect(cache.value(forKey: "k2", now: now) == 2)
        #expect(cache.statistics.entries == 18)
        #expect(cache.removeValues { _ in true } == 18)
        #expect(cache.statistics.entries == 0)
        cache.setValue(5, forKey: "k5", ttl: .seconds(60), now: now)
        #expect(cache.value(forKey: "k5", now: now) == 5)
    }
}
