import PEPCore
import Testing

@testable import DevAuthorizationServer

/// Reading the configuration from JSON.
@Suite struct DevAuthorizationServerConfigurationJSONTests {
    /// Every documented key is read; claim policies in both spellings.
    @Test func readsAllKeys() throws {
        let json = try #require(
            JSONText.parse(
                #"""
                {"issuer": "http://127.0.0.1:9443/", "rpt_lifetime": 60, "ticket_lifetime": 30, "rpt_as_jwt": true,
                 "clients": [{"client_id": "c", "client_secret": "s", "oxd_id": "o",
                              "claims_redirect_uri": ["http://127.0.0.1:9000/cb"]}],
                 "policies": {"with-claims": {"claims": {"country": "US", "city": "NY"}}, "admin": "deny",
                              "geo": [{"name": "country", "friendly_name": "Land", "value": "DE"}]},
                 "default_policy": "deny"}
                """#))
        let configuration = try DevAuthorizationServerConfiguration(json: json)
        #expect(configuration.issuer == "http://127.0.0.1:9443")
        #expect(configuration.rptLifetimeSeconds == 60)
        #expect(configuration.ticketLifetimeSeconds == 30)
        #expect(configuration.rptAsJWT)
        #expect(
            configuration.clients == [
                DevClient(
                    clientId: "c", clientSecret: "s", oxdId: "o", claimsRedirectURIs: ["http://127.0.0.1:9000/cb"])
            ])
        #expect(configuration.policy(for: "with-claims").requiredClaims.map(\.name) == ["city", "country"])
        #expect(configuration.policy(for: "admin") == .deny)
        #expect(configuration.policy(for: "geo").requiredClaims.first?.friendlyName == "Land")
        #expect(configuration.policy(for: "other") == .deny)
    }

    /// An empty object gives the tutorial defaults.
    @Test func emptyObjectIsDefaults() throws {
        #expect(try DevAuthorizationServerConfiguration(json: .object([:])) == DevAuthorizationServerConfiguration())
    }

    /// Wrong types are reported with the field path.
    @Test(arguments: [
        (#"{"clients": [{"client_id": 5}]}"#, "clients[0].client_id"),
        (#"{"policies": {"x": "maybe"}}"#, "policies.x"),
        (#"{"rpt_lifetime": -1}"#, "rpt_lifetime"),
        (#"{"rpt_as_jwt": "true"}"#, "rpt_as_jwt"),
        (#"{"clients": [{"claims_redirect_uri": ["ftp://x"]}]}"#, "clients[0].claims_redirect_uri"),
        ("[]", "$"),
    ])
    func rejectsWrongTypes(text: String, field: String) throws {
        let json = try #require(JSONText.parse(text))
        #expect {
            try DevAuthorizationServerConfiguration(json: json)
        } throws: { error in
            guard case .invalidConfiguration(let reported, _) = error as? DevAuthorizationServerError else {
                return false
            }
            return reported == field
        }
    }
}
