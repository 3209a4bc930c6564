import Testing

@testable import PEPCore

@Suite struct IPAddressTests {
    /// Valid literals parse and print canonically (RFC 5952 for IPv6).
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("::1", "::1"), ("::", "::"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("fe80::1:0:0:1", "fe80::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func parsesAndPrints(_ text: String, _ canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    /// Malformed literals are refused.
    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "::1::", "1:2:3:4:5:6:7:8:9", "12345::",
        "fe80::1%eth0", "[::1]", "g::1", ":::", "1:2:3:4:5:6:7::8:9", "localhost",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// IPv4-mapped IPv6 addresses unmap to IPv4.
    @Test func unmapsIPv4Mapped() throws {
        #expect(try #require(IPAddress("::ffff:10.1.2.3")).unmapped == IPAddress("10.1.2.3"))
        #expect(try #require(IPAddress("::1")).unmapped == IPAddress("::1"))
    }
}
