import Testing

@testable import PEPCore

@Suite struct HostPatternTests {
    /// Valid host entries parse into host, wildcard flag and port, normalised.
    @Test(arguments: [
        ("api.example.com", "api.example.com", false, nil as UInt16?),
        ("API.Example.COM", "api.example.com", false, nil),
        ("api.example.com:8000", "api.example.com", false, 8000),
        ("*.example.com", "example.com", true, nil),
        ("*.example.com:443", "example.com", true, 443),
        ("localhost", "localhost", false, nil),
        ("203.0.113.7:80", "203.0.113.7", false, 80),
        ("[2001:db8::1]:8080", "2001:db8::1", false, 8080),
        ("[::1]", "::1", false, nil),
        ("::1", "::1", false, nil),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", false, nil),
    ])
    func parses(_ text: String, _ host: String, _ wildcard: Bool, _ port: UInt16?) throws {
        let pattern = try #require(HostPattern(text))
        #expect(pattern.host == host)
        #expect(pattern.isWildcard == wildcard)
        #expect(pattern.port == port)
        #expect(HostPattern(pattern.description) == pattern)
    }

    /// Invalid entries are refused: inner or bare wildcards, bad labels, bad ports, URLs.
    @Test(arguments: [
        "", "*", "*.", "a.*.com", "*example.com", "**.example.com", "-a.example.com", "a-.example.com",
        "a..example.com", "a_b.example.com", "api.example.com:0", "api.example.com:65536", "api.example.com:",
        ":80", "http://api.example.com", "api.example.com/", "1.2.3", "[::1", "[nothex]:80", "a b.com",
        "api.example.com:08", String(repeating: "a", count: 64) + ".com",
    ])
    func rejects(_ text: String) {
        #expect(HostPattern(text) == nil)
    }

    /// In a configuration a bad host names its entry; the same host in two services is a conflict, while the
    /// same name with a different port is not.
    @Test func validatedInConfiguration() throws {
        let bad = ConfigTestSupport.config().replacingOccurrences(
            of: "[api.example.com]", with: "[ok.example.com, \"*.*.com\"]")
        let error = try #require(ConfigTestSupport.error(bad))
        #expect(error.fieldPath == "services[0].hosts[1]")
        #expect(error.detail == "config.invalid_host")
        let second = """

              - name: other
                url: http://127.0.0.1:9001
                hosts: [%HOSTS%]
                uma_scope_expression: '[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]'
            """
        let clash = ConfigTestSupport.config() + second.replacingOccurrences(of: "%HOSTS%", with: "API.example.com")
        let clashError = try #require(ConfigTestSupport.error(clash))
        #expect(clashError.fieldPath == "services[1].hosts[0]")
        #expect(clashError.detail == "config.duplicate_host")
        #expect(clashError.message.contains("'api'"))
        let ported =
            ConfigTestSupport.config() + second.replacingOccurrences(of: "%HOSTS%", with: "api.example.com:8443")
        #expect(try ConfigTestSupport.load(ported).services.count == 2)
    }
}
