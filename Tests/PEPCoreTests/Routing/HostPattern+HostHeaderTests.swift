import Testing

@testable import PEPCore

@Suite struct HostHeaderTests {
    /// Valid `Host` values normalize to (name, port, IPv6?) (RFC 9110 §7.2).
    @Test(
        arguments: [
            ("api.test", "api.test", nil, false),
            ("API.Test", "api.test", nil, false),
            ("api.test.", "api.test", nil, false),
            ("api.test:8080", "api.test", 8080, false),
            ("api.test.:8080", "api.test", 8080, false),
            ("api.test:", "api.test", nil, false),
            ("api.test:0", "api.test", 0, false),
            ("127.0.0.1:80", "127.0.0.1", 80, false),
            ("[::1]", "::1", nil, true),
            ("[::1]:8443", "::1", 8443, true),
            ("[2001:DB8::A]:1", "2001:db8::a", 1, true),
            ("[::ffff:10.0.0.1]", "::ffff:10.0.0.1", nil, true),
        ] as [(String, String, Int?, Bool)])
    func parsesValidHost(value: String, name: String, port: Int?, isIPv6: Bool) throws {
        let host = try #require(HostPattern.HostHeader(parsing: value))
        #expect(host.name == name)
        #expect(host.port == port)
        #expect(host.isIPv6Literal == isIPv6)
    }

    /// Malformed `Host` values are rejected (routing then fails closed).
    @Test(arguments: [
        "", " api.test", "api.test ", "api test", "api.test:80:80", "::1", "[::1", "[::1]80", "[::1]:x",
        "[fe80::1%25eth0]", "[v1.future]", "[]", "api..test", ".", "..", "user@api.test", "api.test:65536",
        "api.test:-1", "api%2Etest", "api.test/x", "api.test\r", "api.test,other.test", "*.api.test",
        // A combining mark after ':' or ']' (one Character with it): the parser works on bytes, so the mark is
        // part of the port and rejected, not skipped.
        "api.test:\u{301}", "api.test:\u{301}80", "[::1]\u{301}", "[::1]:\u{301}", "\u{301}api.test",
    ])
    func rejectsInvalidHost(value: String) {
        #expect(HostPattern.HostHeader(parsing: value) == nil)
    }

    /// `uriHost` brackets IPv6 literals for building URLs.
    @Test func uriHostBracketsIPv6() throws {
        #expect(try #require(HostPattern.HostHeader(parsing: "[::1]:80")).uriHost == "[::1]")
        #expect(try #require(HostPattern.HostHeader(parsing: "API.test:80")).uriHost == "api.test")
    }
}
