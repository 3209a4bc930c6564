import Testing

@testable import PEPCore

@Suite struct UpstreamMutationsTests {
    static let reserved = ReservedHeaderNames(customHeaders: [
        CustomHeader(headerName: "x_consumer_name", expression: .consumer(["username"])),
        CustomHeader(headerName: "X-Claim-{*}", expression: .introspectData(["claims"]), iterate: true),
        CustomHeader(headerName: "{*}-Scope", expression: .introspectData(["s"]), iterate: true),
    ])

    /// Client copies of PEP-owned names are removed whatever their case (SECURITY.md case 18).
    @Test(arguments: [
        "X-Consumer-Name", "x-consumer-name", "X-ANONYMOUS-CONSUMER", "x-consumer-id", "X-Authenticated-Scope",
        "x-oauth-client-id", "X-Forwarded-Client-Cert", "x-rpt-expiration", "x-claim-city", "X-CLAIM-", "Admin-Scope",
    ])
    func removesReservedNames(_ name: String) {
        let mutations = UpstreamMutations(
            removeAuthorization: false,
            reservedHeaders: Self.reserved,
            setHeaders: [],
            reason: .granted
        )
        #expect(mutations.removes(headerNamed: name))
    }

    /// Other headers, and `Authorization` unless asked, pass.
    @Test(arguments: ["Accept", "X-Claim", "Scope", "Authorization", "X-Consumer-Name-2", "X-Forwarded-For"])
    func keepsOtherNames(_ name: String) {
        let mutations = UpstreamMutations(
            removeAuthorization: false,
            reservedHeaders: Self.reserved,
            setHeaders: [],
            reason: .granted
        )
        #expect(!mutations.removes(headerNamed: name))
    }

    /// `removeAuthorization` removes `Authorization` in any case.
    @Test func removesAuthorizationWhenAsked() {
        let mutations = UpstreamMutations(
            removeAuthorization: true,
            reservedHeaders: Self.reserved,
            setHeaders: [],
            reason: .granted
        )
        #expect(mutations.removes(headerNamed: "authorization"))
        #expect(mutations.removes(headerNamed: "AUTHORIZATION"))
        #expect(!mutations.removes(headerNamed: "Proxy-Authorization"))
    }
}
