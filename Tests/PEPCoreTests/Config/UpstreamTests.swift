import Testing

@testable import PEPCore

@Suite struct UpstreamTests {
    /// URLs parse into scheme, host, port (default per scheme) and base path without trailing slash.
    @Test(arguments: [
        ("http://127.0.0.1:9000", Upstream.Scheme.http, "127.0.0.1", UInt16(9000), "", "127.0.0.1:9000"),
        ("https://API.internal", .https, "api.internal", 443, "", "api.internal"),
        ("HTTP://api.internal:80/", .http, "api.internal", 80, "", "api.internal"),
        ("http://api.internal/v1/", .http, "api.internal", 80, "/v1", "api.internal"),
        ("https://[2001:db8::1]:8443/base/path", .https, "2001:db8::1", 8443, "/base/path", "[2001:db8::1]:8443"),
    ])
    func parses(
        _ text: String, _ scheme: Upstream.Scheme, _ host: String, _ port: UInt16, _ basePath: String,
        _ authority: String
    ) throws {
        let upstream = try #require(Upstream(text))
        #expect(upstream.scheme == scheme)
        #expect(upstream.host == host)
        #expect(upstream.port == port)
        #expect(upstream.basePath == basePath)
        #expect(upstream.authority == authority)
    }

    /// Other schemes, user info, queries, fragments, bad hosts and ports are refused with a reason.
    @Test(arguments: [
        "ftp://a.example", "127.0.0.1:9000", "http://", "http://user:pw@a.example", "http://a.example/?x=1",
        "http://a.example/#f", "http://a.example:0", "http://a.example:99999", "http://a b.example",
        "http://a.example//x", "http://[::1/x", "http://bad_host.example", "http://a.example/p q",
    ])
    func rejects(_ text: String) {
        guard case .failure(let error) = Upstream.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(!error.message.isEmpty)
    }

    /// A bad service url names the field.
    @Test func validatedInConfiguration() throws {
        let text = ConfigTestSupport.config().replacingOccurrences(of: "http://127.0.0.1:9000", with: "tcp://x")
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.fieldPath == "services[0].url")
        #expect(error.detail == "config.invalid_url")
    }
}
