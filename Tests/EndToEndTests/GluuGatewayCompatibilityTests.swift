import Foundation
import Testing

extension EndToEnd {
    /// Gluu Gateway configurations that move over without edits: protection-document conditions without scopes,
    /// consumers mapped without `consumer_mapping`, and Kong services without the UMA plugins.
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

        /// Consumers are listed but `consumer_mapping` is left at its default: a token whose `client_id` is a
        /// consumer's `custom_id` is mapped (its `consumer.*` headers reach the upstream, the metrics carry its
        /// `custom_id`); a token of another client is forwarded without them. With `consumer_mapping: true` the
        /// other client gets 401 `Unknown consumer`.
        @Test func consumersMapWheneverOneMatches() async throws {
            try await offPool {
                let headers = """
                    custom_headers:
                      - {header_name: x-consumer-id, value_lua_exp: consumer.id}
                      - {header_name: x-consumer-username, value_lua_exp: consumer.username}
                      - {header_name: x-oauth-client-id, value_lua_exp: introspect_data.client_id}
                    """
                let consumers = "consumers:\n  - {id: k-demo, custom_id: demo-client, username: demo}\n"
                let env = try E2EEnvironment(
                    config: Fixture.config(extra: consumers, services: Fixture.service(headers)))
                let mapped = try env.devAS.mintToken([Fixture.view])
                let echoed = try #require(EchoedRequest(try env.send("GET", "/photos/1", token: mapped)))
                #expect(echoed.values("x-consumer-id") == ["k-demo"])
                #expect(echoed.values("x-consumer-username") == ["demo"])
                #expect(echoed.values("x-oauth-client-id") == ["demo-client"])

                let unmapped = try env.devAS.mintToken([Fixture.view], clientId: "demo-claims-client")
                let other = try #require(EchoedRequest(try env.send("GET", "/photos/1", token: unmapped)))
                #expect(other.values("x-consumer-id") == [])
                #expect(other.values("x-oauth-client-id") == ["demo-claims-client"])

                let metrics = try env.pep.metrics()
                #expect(
                    metrics.value("gluu_uma_client_granted", ["consumer": "demo-client", "service": "api"]) == 1)
                #expect(
                    metrics.value(
                        "gluu_uma_client_granted", ["consumer": "openid_connect_authentication", "service": "api"])
                        == 1)

                let required = try E2EEnvironment(
                    config: Fixture.config(
                        extra: consumers + "consumer_mapping: true\n", services: Fixture.service(headers)))
                let refused = try required.send(
                    "GET", "/photos/1",
                    token: try required.devAS.mintToken([Fixture.view], clientId: "demo-claims-client"))
                #expect(refused.status == 401)
                #expect(refused.bodyText == Body.unknownConsumer)
                let allowed = try required.send(
                    "GET", "/photos/1", token: try required.devAS.mintToken([Fixture.view]))
                #expect(EchoedRequest(allowed)?.values("x-consumer-id") == ["k-demo"])
            }
        }

        /// A Kong service without the UMA plugins, in a file with no authorization server at all: every request
        /// is forwarded without a token check — no token, an unknown bearer token, a malformed one, another
        /// scheme — and the authorization server is never called. `pass_credentials` applies (`pass` forwards
        /// `Authorization`, `hide` removes it); client copies of identity headers are still removed, and no
        /// `X-Anonymous-Consumer` is added.
        @Test(arguments: ["pass", "hide"])
        func plainServiceIsForwardedWithoutTokenCheck(_ pass: String) async throws {
            try await offPool {
                let config = """
                    listen: ["127.0.0.1:0"]
                    admin: {listen: "127.0.0.1:0"}
                    workers: 2
                    services:
                      - name: website
                        url: ${UPSTREAM_URL}/_echo
                        hosts: [www.test]
                        pass_credentials: \(pass)
                    """
                let env = try E2EEnvironment(config: config, resetCalls: false)
                let credentials: [String?] = [nil, "Bearer not-a-token", "Bearer a, Bearer b", "Basic ZGVtbzpkZW1v"]
                for value in credentials {
                    var headers: [(String, String)] = [("X-Consumer-ID", "spoofed")]
                    if let value { headers.append(("Authorization", value)) }
                    let response = try env.send("DELETE", "/any/path?q=1", host: "www.test", headers: headers)
                    let echoed = try #require(
                        EchoedRequest(response), "\(value ?? "no credentials"): \(response.status)")
                    #expect(echoed.method == "DELETE")
                    #expect(echoed.path == "/_echo/any/path")
                    #expect(echoed.values("Authorization") == (pass == "pass" ? value.map { [$0] } ?? [] : []))
                    #expect(echoed.values("X-Consumer-ID") == [])
                    #expect(echoed.values("X-Anonymous-Consumer") == [])
                }
                #expect(try env.devAS.calls() == [])
                let metrics = try env.pep.metrics()
                #expect(
                    metrics.value("uma_pep_requests_total", ["service": "website", "decision": "passthrough"])
                        == Double(credentials.count))
                #expect(
                    metrics.value("gluu_endpoint_method", ["service": "website", "endpoint": "unmatched"])
                        == Double(credentials.count))
            }
        }
    }
}
