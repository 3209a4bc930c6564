import Testing

@testable import DevAuthorizationServer

/// Configuration defaults (the tutorial's).
@Suite struct DevAuthorizationServerConfigurationTests {
    /// Defaults: demo-client / demo-secret / demo-oxd-id, 3600 s lifetimes, opaque RPTs, allow by default.
    @Test func tutorialDefaults() {
        let configuration = DevAuthorizationServerConfiguration(issuer: "http://127.0.0.1:8443///")
        #expect(configuration.issuer == "http://127.0.0.1:8443")
        #expect(
            configuration.clients == [
                DevClient(clientId: "demo-client", clientSecret: "demo-secret", oxdId: "demo-oxd-id")
            ])
        #expect(configuration.ticketLifetimeSeconds == 3600)
        #expect(configuration.rptLifetimeSeconds == 3600)
        #expect(configuration.rptAsJWT == false)
        #expect(configuration.policy(for: "anything") == .allow)
        #expect(DevScopePolicy.tutorialCountryCity.requiredClaims.map(\.expectedValue) == ["US", "NY"])
    }
}
