import Testing

@testable import PEPCore

@Suite struct RouteTableTests {
    /// A table shared by the routing cases below.
    static func makeTable() throws -> RouteTable<String> {
        func patterns(_ texts: String...) throws -> [HostPattern] { try texts.map { try HostPattern(parsing: $0) } }
        return try RouteTable([
            (patterns: try patterns("api.test", "API2.test"), value: "api"),
            (patterns: try patterns("api.test:8443"), value: "api-internal"),
            (patterns: try patterns("*.example.com"), value: "wild"),
            (patterns: try patterns("*.eu.example.com"), value: "wild-eu"),
            (patterns: try patterns("*.eu.example.com:9000"), value: "wild-eu-9000"),
            (patterns: try patterns("example.com", "[::1]"), value: "apex"),
            (patterns: try patterns("only.test:8443"), value: "only-8443"),
        ])
    }

    /// Exact beats wildcard, port-specific beats any-port, longest wildcard suffix wins, apex is not a
    /// wildcard match, and the header's own port is ignored in favour of the listener port.
    @Test(
        arguments: [
            ("api.test", 8080, "api"), ("API.TEST.", 8080, "api"), ("api2.test:1234", 8080, "api"),
            ("api.test", 8443, "api-internal"), ("api.test:8443", 8080, "api"),
            ("x.example.com", 8080, "wild"), ("a.b.c.example.com", 8080, "wild"),
            ("x.eu.example.com", 8080, "wild-eu"), ("x.y.eu.example.com:9000", 8080, "wild-eu"),
            ("x.eu.example.com", 9000, "wild-eu-9000"), ("eu.example.com", 8080, "wild"),
            ("example.com", 8080, "apex"), ("[::1]:8080", 8080, "apex"),
            ("only.test", 8443, "only-8443"), ("only.test", 8080, nil), ("only.test:8443", 8080, nil),
            ("other.test", 8080, nil), ("com", 8080, nil), ("", 8080, nil), ("api.test:bad", 8080, nil),
            ("[::2]", 8080, nil),
        ] as [(String, Int, String?)])
    func routesByHost(hostHeader: String, listenerPort: Int, expected: String?) throws {
        let table = try Self.makeTable()
        #expect(table.route(hostHeader: hostHeader, listenerPort: listenerPort) == expected)
    }

    /// An exact duplicate (same name and port) is a typed error naming both entries.
    @Test func duplicateHostIsRejected() throws {
        let first = try HostPattern(parsing: "api.test")
        let again = try HostPattern(parsing: "API.test.")
        let expected = RouteTableError.duplicateHost(
            pattern: again, entryIndex: 1, patternIndex: 1, existingEntryIndex: 0)
        #expect(throws: expected) {
            try RouteTable([
                (patterns: [first], value: 1), (patterns: [try HostPattern(parsing: "b.test"), again], value: 2),
            ])
        }
        #expect(expected.detail == "route.duplicate_host")
        let wildcard = try HostPattern(parsing: "*.test:81")
        #expect(
            throws: RouteTableError.duplicateHost(
                pattern: wildcard, entryIndex: 0, patternIndex: 1, existingEntryIndex: 0)
        ) { try RouteTable([(patterns: [wildcard, wildcard], value: 1)]) }
    }

    /// Same name with different ports, or exact vs wildcard of the same text, are not duplicates.
    @Test func distinctPortsAndKindsCoexist() throws {
        let table = try RouteTable([
            (patterns: [try HostPattern(parsing: "a.test:1"), try HostPattern(parsing: "*.a.test")], value: 1),
            (patterns: [try HostPattern(parsing: "a.test:2"), try HostPattern(parsing: "a.test")], value: 2),
        ])
        #expect(table.route(hostHeader: "a.test", listenerPort: 1) == 1)
        #expect(table.route(hostHeader: "a.test", listenerPort: 3) == 2)
        #expect(table.route(hostHeader: "x.a.test", listenerPort: 3) == 1)
        #expect(table.values == [1, 2])
    }

    /// An empty table routes nothing.
    @Test func emptyTableRoutesNothing() throws {
        let table = try RouteTable<Int>([])
        #expect(table.route(hostHeader: "api.test", listenerPort: 80) == nil)
    }
}
