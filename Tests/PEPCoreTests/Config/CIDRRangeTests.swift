import Testing

@testable import PEPCore

@Suite struct CIDRRangeTests {
    /// Ranges contain exactly their addresses; mapped IPv6 peers count as IPv4; host bits are cleared.
    @Test func containment() throws {
        let v4 = try #require(CIDRRange("10.1.2.3/8"))
        #expect(v4.description == "10.0.0.0/8")
        #expect(v4.contains(try #require(IPAddress("10.255.0.1"))))
        #expect(!v4.contains(try #require(IPAddress("11.0.0.1"))))
        #expect(v4.contains(try #require(IPAddress("::ffff:10.0.0.9"))))
        let host = try #require(CIDRRange("192.0.2.1"))
        #expect(host.prefixLength == 32)
        #expect(!host.contains(try #require(IPAddress("192.0.2.2"))))
        let v6 = try #require(CIDRRange("fd00::/8"))
        #expect(v6.contains(try #require(IPAddress("fd12::1"))))
        #expect(!v6.contains(try #require(IPAddress("10.0.0.1"))))
        #expect(try #require(CIDRRange("0.0.0.0/0")).contains(try #require(IPAddress("8.8.8.8"))))
        #expect(try #require(CIDRRange("10.0.0.0/12")).contains(try #require(IPAddress("10.15.255.255"))))
        #expect(!(try #require(CIDRRange("10.0.0.0/12")).contains(try #require(IPAddress("10.16.0.0")))))
    }

    /// Malformed ranges are refused, and in a configuration the entry is named.
    @Test func rejectsMalformed() throws {
        for text in ["10.0.0.0/33", "10.0.0.0/", "fd00::/129", "10.0.0/8", "10.0.0.0/-1", "any"] {
            #expect(CIDRRange(text) == nil, "\(text)")
        }
        let error = try #require(
            ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "trusted_proxies: [10.0.0.0/8, nope]")))
        #expect(error.fieldPath == "trusted_proxies[1]")
        #expect(error.detail == "config.invalid_cidr")
    }
}
