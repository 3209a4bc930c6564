import Foundation
import Testing

extension EndToEnd {
    /// Issue 5 "Done when": the Gluu Gateway UMA tutorial through the real proxy running `Config/tutorial.yaml`,
    /// with curl-equivalent raw requests, in oxd style and in UMA 2.0 style (SPEC Part B §4.10, §5.6–5.8).
    @Suite struct TutorialFlow {
        /// `serve` on the shipped tutorial config, pointed at this test's dev AS and upstream.
        static func tutorialEnvironment() throws -> E2EEnvironment {
            try E2EEnvironment(
                configFile: Repository.path("Config/tutorial.yaml"),
                environment: [
                    "UMA_PEP_LISTEN": "127.0.0.1:0", "UMA_PEP_ADMIN_LISTEN": "127.0.0.1:0",
                    "OP_URL": "{OXD_URL}", "DEMO_UPSTREAM_URL": "{UPSTREAM_URL}",
                ])
        }

        static let plainHost = "non-claim-gathering.example.com"
        static let claimsHost = "claim-gathering.example.com"

        static func client(_ env: E2EEnvironment, _ style: TutorialClient.Style, claims: Bool) -> TutorialClient {
            TutorialClient(
                asPort: env.devAS.port, asURL: env.devAS.url,
                clientId: claims ? "demo-claims-client" : "demo-client",
                clientSecret: claims ? "demo-claims-secret" : "demo-secret",
                oxdId: claims ? "demo-claims-oxd-id" : "demo-oxd-id", style: style)
        }

        /// Step 1: the protected resource without a token → 401, the ticket taken as the tutorial client does.
        static func ticket(_ env: E2EEnvironment, host: String) throws -> String {
            let response = try env.send("GET", "/posts/1", host: host)
            #expect(response.status == 401)
            #expect(response.bodyText == Body.unauthorized)
            let challenge = try #require(response.header("WWW-Authenticate"))
            #expect(Challenge.matches(challenge, asURI: env.devAS.url))
            return try #require(Challenge.ticket(challenge))
        }

        /// The resource with the RPT → 200 and the demo API's post 1.
        static func expectAccess(_ env: E2EEnvironment, host: String, rpt: String) throws {
            let response = try env.send("GET", "/posts/1", host: host, token: rpt)
            #expect(response.status == 200)
            #expect(response.json?["id"] as? Int == 1)
            #expect(response.json?["title"] as? String == "post 1")
        }

        /// Without claims gathering: ticket → client token → RPT → 200.
        @Test(arguments: TutorialClient.Style.allCases)
        func withoutClaimsGathering(_ style: TutorialClient.Style) async throws {
            try await offPool {
                let env = try Self.tutorialEnvironment()
                let client = Self.client(env, style, claims: false)
                let ticket = try Self.ticket(env, host: Self.plainHost)
                guard case .rpt(let rpt) = try client.requestRPT(ticket: ticket) else {
                    Issue.record("no RPT for the ticket")
                    return
                }
                try Self.expectAccess(env, host: Self.plainHost, rpt: rpt)
                // The ticket was single-use.
                guard case .error(let status, _) = try client.requestRPT(ticket: ticket) else {
                    Issue.record("a spent ticket gave an RPT again")
                    return
                }
                #expect(status == 400 || status == 403)
            }
        }

        /// With claims gathering: ticket → need_info (country, city) → claims form with US/NY → new ticket
        /// → RPT → 200.
        @Test(arguments: TutorialClient.Style.allCases)
        func withClaimsGathering(_ style: TutorialClient.Style) async throws {
            try await offPool {
                let env = try Self.tutorialEnvironment()
                let client = Self.client(env, style, claims: true)
                let ticket = try Self.ticket(env, host: Self.claimsHost)
                let answer = try client.requestRPT(ticket: ticket)
                guard case .needInfo(let needTicket, let redirectUser, let required) = answer
                else {
                    Issue.record("expected need_info")
                    return
                }
                #expect(Set(required) == ["country", "city"])
                let state = UUID().uuidString
                let page = try client.claimsGatheringURL(ticket: needTicket, redirectUser: redirectUser, state: state)
                let redirect = try client.submitClaims(pageURL: page, claims: [("country", "US"), ("city", "NY")])
                #expect(redirect["state"] == state)
                let newTicket = try #require(redirect["ticket"])
                #expect(newTicket != needTicket)
                guard case .rpt(let rpt) = try client.requestRPT(ticket: newTicket) else {
                    Issue.record("no RPT after claims gathering")
                    return
                }
                try Self.expectAccess(env, host: Self.claimsHost, rpt: rpt)
                // That RPT is for the claims service only: the other service's rule needs `read`.
                #expect(try env.send("GET", "/posts/1", host: Self.plainHost, token: rpt).status == 403)
            }
        }

        /// A wrong city: the form still redirects with a new ticket, but the policy refuses it — no RPT
        /// (`forbidden_by_policy`), and the resource stays closed.
        @Test(arguments: TutorialClient.Style.allCases)
        func wrongCityGetsNoRPT(_ style: TutorialClient.Style) async throws {
            try await offPool {
                let env = try Self.tutorialEnvironment()
                let client = Self.client(env, style, claims: true)
                let ticket = try Self.ticket(env, host: Self.claimsHost)
                guard case .needInfo(let needTicket, let redirectUser, _) = try client.requestRPT(ticket: ticket) else {
                    Issue.record("expected need_info")
                    return
                }
                let page = try client.claimsGatheringURL(ticket: needTicket, redirectUser: redirectUser, state: "s1")
                let redirect = try client.submitClaims(pageURL: page, claims: [("country", "US"), ("city", "LA")])
                let newTicket = try #require(redirect["ticket"])
                guard case .error(let status, let code) = try client.requestRPT(ticket: newTicket) else {
                    Issue.record("a wrong city got an RPT or need_info")
                    return
                }
                #expect(status == 403)
                #expect(code == "forbidden_by_policy")
                #expect(try env.send("GET", "/posts/1", host: Self.claimsHost).status == 401)
            }
        }
    }
}
