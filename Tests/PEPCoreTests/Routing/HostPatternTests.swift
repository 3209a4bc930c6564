import Testing

@testable import PEPCore

@Suite struct HostPatternTests {
    /// Valid patterns parse into the normalized name kind and port.
    @Test(
        arguments: [
            ("api.example.com", HostPattern.Name.exact("api.example.com"), nil),
            ("API.Example.COM.", .exact("api.example.com"), nil),
            ("api.example.com:8443", .exact("api.example.com"), 8443),
            ("10.0.0.5:80", .exact("10.0.0.5"), 80),
            ("localhost", .exact("localhost"), nil),
            ("*.example.com", .wildcard(suffix: "example.com"), nil),
            ("*.Example.com:8080", .wildcard(suffix: "example.com"), 8080),
            ("[::1]", .exact("::1"), nil),
            ("[2001:DB8::1]:8443", .exact("2001:db8::1"), 8443),
            ("internal_svc.local", .exact("internal_svc.local"), nil),
        ] as [(String, HostPattern.Name, Int?)])
    func parsesValidPattern(text: String, name: HostPattern.Name, port: Int?) throws {
        let pattern = try HostPattern(parsing: text)
        #expect(pattern.name == name)
        #expect(pattern.port == port)
    }

    /// Malformed patterns are typed errors with stable details.
    @Test(
        arguments: [
            ("", "route.invalid_host"), ("a..b", "route.invalid_host"), (".a", "route.invalid_host"),
            ("api example.com", "route.invalid_host"), ("api.example.com/", "route.invalid_host"),
            ("caf\u{e9}.example", "route.invalid_host"),
            (String(repeating: "a", count: 64) + ".com", "route.invalid_host"),
            ("[::1", "route.invalid_host"), ("[::1]x", "route.invalid_host"),
            ("[fe80::1%25eth0]", "route.invalid_host"),
            ("[v1.x]", "route.invalid_host"), ("a:b:c", "route.invalid_port"),
            ("api:", "route.invalid_port"), ("api:0", "route.invalid_port"), ("api:65536", "route.invalid_port"),
            ("api:+80", "route.invalid_port"), ("api:808080", "route.invalid_port"), ("[::1]:", "route.invalid_port"),
            ("*", "route.invalid_wildcard"), ("*.", "route.invalid_wildcard"), ("a.*.com", "route.invalid_wildcard"),
            ("*example.com", "route.invalid_wildcard"), ("*.*.com", "route.invalid_wildcard"),
            ("*.0.0.1", "route.invalid_wildcard"),
        ] as [(String, String)])
    func rejectsInvalidPattern(text: String, detail: String) {
        #expect {
            try HostPattern(parsing: text)
        } throws: { error in
            (error as? HostPatternError)?.detail == detail
        }
    }

    /// A wildcard matches names below the suffix at any depth, never the apex or a look-alike suffix.
    @Test(
        arguments: [
            ("a.example.com", true), ("a.b.example.com", true), ("example.com", false), ("badexample.com", false),
            ("a.example.com.evil", false), (".example.com", false),
        ] as [(String, Bool)])
    func wildcardMatchesSubdomainsOnly(host: String, expected: Bool) throws {
        let pattern = try HostPattern(parsing: "*.example.com")
        #expect(pattern.matches(hostName: host, listenerPort: 80) == expected)
    }

    /// A pattern with a port matches only that listener port; without, any.
    @Test func portRestrictsListener() throws {
        let restricted = try HostPattern(parsing: "api.test:8443")
        #expect(restricted.matches(hostName: "api.test", listenerPort: 8443))
        #expect(!restricted.matches(hostName: "api.test", listenerPort: 8080))
        #expect(try HostPattern(parsing: "api.test").matches(hostName: "api.test", listenerPort: 1))
    }

    /// `description` is the normalized configuration syntax.
    @Test(arguments: [
        ("API.test.", "api.test"), ("*.Test:81", "*.test:81"), ("[::1]:8080", "[::1]:8080"), ("[FE80::1]", "[fe80::1]"),
    ])
    func descriptionIsNormalized(text: String, expected: String) throws {
        #expect(try HostPattern(parsing: text).description == expected)
    }
}
