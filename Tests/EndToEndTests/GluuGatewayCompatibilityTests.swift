import Foundation
import Testing

extension EndToEnd {
    /// Gluu Gateway configurations that move over without edits: protection-document conditions without scopes.
    @Suite struct GluuGatewayCompatibility {
        /// `/status/??` GET with only `httpMethods` (the form of Gluu Gateway's own uma-pep test documents), next
        /// to `/photos/??` GET `view`.
        static let scopeLessService = """
              - name: api
                url: ${UPSTREAM_URL}/_echo
                hosts: [api.test]
                uma_scope_expression:
                  - path: /status/??
                    conditions:
                      - httpMethods: [GET]
                  - path: /photos/??
                    conditions:
                      - httpMethods: [GET]
                        scopes: [view]
            """

        /// A condition without scopes, in both modes, registered with the development authorization server at
        /// start: no token → 401 + ticket; the ticket redeems (oxd `/uma-rp-get-rpt` or the UMA token endpoint)
        /// to an RPT that gets 200; an RPT holding any permission on the resource gets 200; an RPT with a
        /// permission on another resource only gets 403.
        @Test(arguments: TutorialClient.Style.allCases)
        func scopeLessCondition(_ mode: TutorialClient.Style) async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(mode: mode.rawValue, services: Self.scopeLessService), resetCalls: false)
                let registration = try env.devAS.counts()
                if mode == .oxd {
                    #expect(registration["/uma-rs-protect"] == 1)
                } else {
                    #expect(registration["/resource_set"] == 2)
                }
                try env.devAS.resetCalls()

                let challenged = try env.send("GET", "/status/1")
                #expect(challenged.status == 401)
                #expect(challenged.bodyText == Body.unauthorized)
                let challenge = try #require(challenged.header("WWW-Authenticate"))
                #expect(Challenge.matches(challenge, asURI: env.devAS.url))
                #expect(try env.devAS.calls() == [mode == .oxd ? "/uma-rs-check-access" : "/permission"])
                let ticket = try #require(Challenge.ticket(challenge))
                let client = TutorialFlow.client(env, mode, claims: false)
                guard case .rpt(let rpt) = try client.requestRPT(ticket: ticket) else {
                    Issue.record("the ticket for a resource without scopes gave no RPT")
                    return
                }
                let granted = try env.send("GET", "/status/1?x=1", token: rpt)
                #expect(granted.status == 200, "\(granted.bodyText)")
                #expect(EchoedRequest(granted)?.path == "/_echo/status/1")

                let minted = try env.devAS.mintToken([DevASProcess.Permission(path: "/status/??", method: "GET")])
                #expect(try env.send("GET", "/status/2", token: minted).status == 200)
                let other = try env.devAS.mintToken([Fixture.view])
                let refused = try env.send("GET", "/status/2", token: other)
                #expect(refused.status == 403)
                #expect(refused.bodyText == Body.notAuthorized)
                #expect(try env.send("GET", "/photos/2", token: other).status == 200)
            }
        }
    }
}
