import Foundation
import Testing

extension EndToEnd {
    /// SPEC A9, Part B §5.11: `mode: uma2` talks to the UMA 2.0 endpoints directly (discovery, PAT, resource
    /// registration, permission endpoint, introspection, local decisions) and answers clients exactly as
    /// `mode: oxd` does.
    @Suite struct UMA2Mode {
        /// Start-up: discovery, a PAT from the token endpoint and one resource per protected condition (3 on
        /// `api`, 1 on `open`); no oxd command is ever used.
        @Test func startUpDiscoversGetsPATAndRegistersResources() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(mode: "uma2"), resetCalls: false)
                let counts = try env.devAS.counts()
                #expect(counts["/.well-known/uma2-configuration"] == 1)
                #expect(counts["/token"] == 1)
                #expect(counts["/resource_set"] == 4)
                #expect(counts.keys.allSatisfy { !$0.hasPrefix("/uma-") && $0 != "/get-client-token" }, "\(counts)")
            }
        }

        /// One scripted request.
        struct Step {
            var method = "GET"
            var path: String
            var host = "api.test"
            var token: OutcomeMatrix.Token
        }

        static let script: [Step] = [
            Step(path: "/photos/1", token: .none),
            Step(path: "/photos/1", token: .basic),
            Step(path: "/photos/1", token: .inactive),
            Step(path: "/photos/1", token: .permitted),
            Step(path: "/photos/2/x?q=1", token: .permitted),
            Step(method: "POST", path: "/photos", token: .permitted),
            Step(path: "/photos/1", token: .unpermitted),
            Step(path: "/elsewhere", token: .none),
            Step(path: "/elsewhere", token: .permitted),
            Step(method: "DELETE", path: "/public/x", token: .none),
            Step(path: "/docs/1", host: "open.test", token: .permitted),
            // The inactive token is still in the negative cache (introspected at step 3).
            Step(path: "/elsewhere", host: "open.test", token: .inactive),
        ]

        /// What a client sees of one response, with the per-run values (ticket, ports, token) abstracted.
        static func clientView(_ response: RawResponse, env: E2EEnvironment, token: String?) -> String {
            var view = "\(response.status) \(response.header("Content-Type") ?? "-")"
            if let challenge = response.header("WWW-Authenticate") {
                let ok = Challenge.matches(challenge, asURI: env.devAS.url)
                view += ok ? " challenge(ok)" : " challenge(\(challenge))"
            }
            if let echoed = EchoedRequest(response) {
                var authorization = echoed.values("Authorization").joined(separator: ",")
                if let token { authorization = authorization.replacingOccurrences(of: token, with: "<token>") }
                view += " upstream \(echoed.method) \(echoed.path)?\(echoed.query ?? "") auth=\(authorization)"
                view += " anonymous=\(echoed.values("X-Anonymous-Consumer"))"
            } else {
                view += " \(response.bodyText)"
            }
            return view
        }

        /// Runs the script and returns the client views and the AS calls of each step.
        static func run(mode: String) throws -> (views: [String], calls: [[String]]) {
            let env = try E2EEnvironment(config: Fixture.config(mode: mode))
            let permitted = try env.devAS.mintToken([Fixture.view, Fixture.read])
            let unpermitted = try env.devAS.mintToken([Fixture.admin])
            var views: [String] = []
            var calls: [[String]] = []
            for step in Self.script {
                var token: String?
                var headers: [(String, String)] = []
                switch step.token {
                case .none: break
                case .basic: headers.append(("Authorization", "Basic ZGVtbzpkZW1v"))
                case .inactive: token = "inactive-token-of-the-script"
                case .permitted: token = permitted
                case .unpermitted: token = unpermitted
                }
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                let body: [UInt8] = step.method == "POST" ? Array("{}".utf8) : []
                let response = try env.send(step.method, step.path, host: step.host, headers: headers, body: body)
                let view = Self.clientView(response, env: env, token: token)
                views.append("\(step.method) \(step.host)\(step.path): " + view)
                calls.append(try env.devAS.calls())
                try env.devAS.resetCalls()
            }
            return (views, calls)
        }

        /// The same script against `mode: oxd` and `mode: uma2` gives the same client-visible responses
        /// (status, content type, body, challenge format, what reaches the upstream); uma2 uses the permission
        /// endpoint and introspection only, and caches introspections like oxd mode.
        @Test func sameClientVisibleResponsesAsOXDMode() async throws {
            try await offPool {
                let oxd = try Self.run(mode: "oxd")
                let uma2 = try Self.run(mode: "uma2")
                #expect(oxd.views == uma2.views)
                #expect(
                    uma2.calls == [
                        ["/permission"], ["/permission"], ["/introspect", "/permission"], ["/introspect"], [], [],
                        ["/introspect"], [], [], [], [], [],
                    ])
                #expect(oxd.views[0].hasPrefix("GET api.test/photos/1: 401"))
                #expect(oxd.views[3].contains("upstream GET /_echo/photos/1"))
            }
        }

        /// `ticket_on_insufficient_scope: true` in uma2 mode: an RPT without the permission gets 401 + a ticket
        /// from the permission endpoint, in oxd's challenge format.
        @Test func ticketOnInsufficientScope() async throws {
            try await offPool {
                let service = Fixture.service("ticket_on_insufficient_scope: true")
                let env = try E2EEnvironment(config: Fixture.config(mode: "uma2", services: service))
                let token = try env.devAS.mintToken([Fixture.admin])
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 401)
                #expect(response.bodyText == Body.unauthorized)
                #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                #expect(try env.devAS.calls() == ["/introspect", "/permission"])
            }
        }

        /// A uma2-mode service behind the tutorial flows: the ticket from the permission endpoint is redeemed
        /// (oxd style and UMA 2.0 style) — with claims gathering for `claims_read` — and the RPT is granted by
        /// the local decision.
        @Test(arguments: TutorialClient.Style.allCases)
        func tutorialFlowsThroughUMA2Mode(_ style: TutorialClient.Style) async throws {
            try await offPool {
                let services = """
                      - name: plain
                        url: ${UPSTREAM_URL}
                        hosts: [plain.test]
                        uma_scope_expression:
                          - path: /posts/??
                            conditions: [{httpMethods: [GET], scopes: [read]}]
                      - name: claims
                        url: ${UPSTREAM_URL}
                        hosts: [claims.test]
                        uma_scope_expression:
                          - path: /posts/??
                            conditions: [{httpMethods: [GET], scopes: [claims_read]}]
                    """
                let env = try E2EEnvironment(config: Fixture.config(mode: "uma2", services: services))
                for (host, claims) in [("plain.test", false), ("claims.test", true)] {
                    let client = TutorialFlow.client(env, style, claims: claims)
                    var ticket = try TutorialFlow.ticket(env, host: host)
                    var answer = try client.requestRPT(ticket: ticket)
                    if claims {
                        guard case .needInfo(let needTicket, let redirectUser, _) = answer else {
                            Issue.record("expected need_info on \(host)")
                            continue
                        }
                        let page = try client.claimsGatheringURL(
                            ticket: needTicket, redirectUser: redirectUser, state: "st")
                        let redirect = try client.submitClaims(
                            pageURL: page, claims: [("country", "US"), ("city", "NY")])
                        ticket = try #require(redirect["ticket"])
                        answer = try client.requestRPT(ticket: ticket)
                    }
                    guard case .rpt(let rpt) = answer else {
                        Issue.record("no RPT on \(host): \(answer)")
                        continue
                    }
                    try TutorialFlow.expectAccess(env, host: host, rpt: rpt)
                }
            }
        }
    }
}
