import PEPCore
import Testing

@testable import PEPProxy

/// `ProxyOptions.trustedProxies.trusts(peerHost:)`: the one check behind forwarded-header trust and the pace's
/// exemption.
@Suite struct ProxyOptionsTrustTests {
    @Test(
        arguments: [
            ([], "10.0.0.1", false),
            (["10.0.0.0/8"], "10.1.2.3", true),
            (["10.0.0.0/8"], "11.0.0.1", false),
            (["127.0.0.1"], "127.0.0.1", true),
            (["127.0.0.1"], "127.0.0.2", false),
            (["fd00::/8"], "fd12::1", true),
            (["fd00::/8"], "fe80::1", false),
            (["10.0.0.0/8"], "localhost", false),
            (["10.0.0.0/8"], nil, false),
        ] as [([String], String?, Bool)])
    func trusts(ranges: [String], host: String?, expected: Bool) throws {
        var options = ProxyOptions()
        options.trustedProxies = try ranges.map { try #require(CIDRRange($0)) }
        #expect(options.trustedProxies.trusts(peerHost: host) == expected)
    }
}
