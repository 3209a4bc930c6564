import Foundation
import PEPCore
import Testing

@testable import UMAClient

@Suite("UMA2Client")
struct UMA2ClientTests {
    /// A fake UMA 2.0 AS. Discovery points at itself; `/token` issues PATs `PAT1`, `PAT2`, … for client credentials;
    /// every other endpoint answers via `reply`.
    static func authorizationServer(
        discoveryExtras: String = ",\"claims_interaction_endpoint\":\"https://as.example/gather\"",
        patReply: (@Sendable (Int) -> ScriptedHTTPServer.Reply)? = nil,
        _ reply: @escaping @Sendable (ScriptedHTTPServer.Request, Int) -> ScriptedHTTPServer.Reply
    ) throws -> ScriptedHTTPServer {
        let counter = Counter()
        return try ScriptedHTTPServer { request in
            let base = "http://\(request.header("Host") ?? "")"
            if request.target == "/.well-known/uma2-configuration" {
                _ = counter.next("discovery")
                return .json(
                    200,
                    """
                    {"issuer":"https://as.example","token_endpoint":"\(base)/token",
                     "introspection_endpoint":"\(base)/introspect","permission_endpoint":"\(base)/perm",
                     "resource_registration_endpoint":"\(base)/rsrc"\(discoveryExtras)}
                    """)
            }
            if request.target == "/token", UMA2ClientTests.form(request)["grant_type"] == "client_credentials" {
                let count = counter.next("pat")
                return patReply?(count)
                    ?? .json(
                        200,
                        "{\"access_token\":\"PAT\(count)\",\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"uma_protection\"}"
                    )
            }
            return reply(request, counter.next(request.target))
        }
    }

    static func client(
        _ server: ScriptedHTTPServer, _ fixture: ControlPlaneFixture,
        introspection: UMA2ClientConfiguration.IntrospectionAuthentication = .protectionToken
    ) -> UMA2Client {
        UMA2Client(
            configuration: UMA2ClientConfiguration(
                issuer: server.baseURL, clientId: "rs-client", clientSecret: "rs secret",
                introspectionAuthentication: introspection,
                http: HTTPCallOptions(connectTimeout: .seconds(2), totalTimeout: .seconds(5))),
            controlPlane: fixture.controlPlane, tokens: fixture.tokens)
    }

    /// The decoded form fields of a request.
    static func form(_ request: ScriptedHTTPServer.Request) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in request.bodyText.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            fields[parts[0].removingPercentEncoding ?? ""] = parts[1].removingPercentEncoding
        }
        return fields
    }

    static func requests(_ server: ScriptedHTTPServer, _ target: String) -> [ScriptedHTTPServer.Request] {
        server.requests.filter { $0.target == target }
    }

    /// Introspection: one discovery, one PAT (client_secret_basic, `client_credentials` + `uma_protection`), then the
    /// form with the odd token encoded on its own and the PAT as bearer; Keycloak spellings normalized.
    @Test func introspectsWithPAT() async throws {
        let server = try UMA2ClientTests.authorizationServer { _, _ in
            .json(200, "{\"active\":true,\"exp\":99,\"permissions\":[{\"rsid\":\"r1\",\"scopes\":[\"view\"]}]}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = UMA2ClientTests.client(server, fixture)
        let oddToken = "a&token=b+c d%\u{e9}\r\n"
        let first = await awaitResult { client.introspect(rpt: oddToken, completion: $0) }
        _ = await awaitResult { client.introspect(rpt: "second", completion: $0) }
        let result = try first.get()
        #expect(result.active && result.exp == 99)
        #expect(result.permissions == [.init(resourceId: "r1", scopes: ["view"])])
        #expect(UMA2ClientTests.requests(server, "/.well-known/uma2-configuration").count == 1)
        let pat = try #require(UMA2ClientTests.requests(server, "/token").first)
        #expect(pat.bodyText == "grant_type=client_credentials&scope=uma_protection")
        #expect(
            pat.header("Authorization")
                == FormEncoding.basicAuthorization(clientId: "rs-client", clientSecret: "rs secret"))
        #expect(pat.header("Content-Type") == "application/x-www-form-urlencoded")
        let calls = UMA2ClientTests.requests(server, "/introspect")
        #expect(calls.count == 2)
        #expect(
            calls.first?.bodyText == "token=a%26token%3Db%2Bc%20d%25%C3%A9%0D%0A&token_type_hint=requesting_party_token"
        )
        #expect(UMA2ClientTests.form(calls[0])["token"] == oddToken)
        #expect(calls.map { $0.header("Authorization") } == ["Bearer PAT1", "Bearer PAT1"])
    }

    /// Keycloak-style introspection authenticates with the client credentials instead of a PAT.
    @Test func introspectsWithClientCredentials() async throws {
        let server = try UMA2ClientTests.authorizationServer { _, _ in .json(200, "{\"active\":false}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = UMA2ClientTests.client(server, fixture, introspection: .clientCredentials)
        let result = await awaitResult { client.introspect(rpt: "R", completion: $0) }
        #expect((try? result.get())?.active == false)
        #expect(UMA2ClientTests.requests(server, "/token").isEmpty)
        #expect(
            UMA2ClientTests.requests(server, "/introspect").first?.header("Authorization")
                == FormEncoding.basicAuthorization(clientId: "rs-client", clientSecret: "rs secret"))
    }

    /// A 401 from the protection API drops the PAT, fetches a new one and retries once.
    @Test func rejectedPATIsRefetchedOnce() async throws {
        let server = try UMA2ClientTests.authorizationServer { _, count in
            count == 1 ? .json(401, "{\"error\":\"invalid_token\"}") : .json(201, "{\"ticket\":\"TK\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = UMA2ClientTests.client(server, fixture)
        let result = await awaitResult {
            client.requestPermissionTicket([UMA2PermissionRequest(resourceId: "r1", scopes: ["view"])], completion: $0)
        }
        #expect(result == .success("TK"))
        let calls = UMA2ClientTests.requests(server, "/perm")
        #expect(calls.map { $0.header("Authorization") } == ["Bearer PAT1", "Bearer PAT2"])
        #expect(
            calls.first?.json
                == .array([.object(["resource_id": .string("r1"), "resource_scopes": .array([.string("view")])])]))
    }

    /// The PAT is reused until five seconds before expiry, then re-fetched.
    @Test func patIsRefreshedBeforeExpiry() async throws {
        let server = try UMA2ClientTests.authorizationServer(patReply: { count in
            .json(200, "{\"access_token\":\"PAT\(count)\",\"expires_in\":30,\"scope\":\"uma_protection\"}")
        }) { _, _ in .json(200, "{\"active\":false}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = UMA2ClientTests.client(server, fixture)
        _ = await awaitResult { client.introspect(rpt: "R", completion: $0) }
        fixture.clock.advance(by: 24)
        _ = await awaitResult { client.introspect(rpt: "R", completion: $0) }
        fixture.clock.advance(by: 1)
        _ = await awaitResult { client.introspect(rpt: "R", completion: $0) }
        #expect(
            UMA2ClientTests.requests(server, "/introspect").map { $0.header("Authorization") }
                == ["Bearer PAT1", "Bearer PAT1", "Bearer PAT2"])
    }

    /// A PAT whose scope lacks `uma_protection` is refused, and the protected call is not made.
    @Test func patWithoutProtectionScopeIsRefused() async throws {
        let server = try UMA2ClientTests.authorizationServer(patReply: { _ in
            .json(200, "{\"access_token\":\"P\",\"expires_in\":30,\"scope\":\"openid\"}")
        }) { _, _ in .json(200, "{\"active\":true}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult { UMA2ClientTests.client(server, fixture).introspect(rpt: "R", completion: $0) }
        guard case .failure(.protectionToken(let error)) = result else {
            Issue.record("expected a PAT error, got \(result)")
            return
        }
        #expect(error.detail == "uma2.invalid_field")
        #expect(UMA2ClientTests.requests(server, "/introspect").isEmpty)
    }

    /// Introspection failures are errors: `"active":"true"`, non-JSON, 500, truncated.
    @Test(arguments: [
        (ScriptedHTTPServer.Reply.json(200, "{\"active\":\"true\"}"), "uma2.invalid_field"),
        (.respond(status: 200, headers: [:], body: Array("not json".utf8)), "uma2.invalid_json"),
        (.json(500, "{\"error\":\"server_error\"}"), "uma2.unexpected_status"),
        (.json(200, "{\"active\":tr"), "uma2.invalid_json"),
    ])
    func badIntrospectionAnswersAreErrors(reply: ScriptedHTTPServer.Reply, detail: String) async throws {
        let server = try UMA2ClientTests.authorizationServer { _, _ in reply }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult { UMA2ClientTests.client(server, fixture).introspect(rpt: "R", completion: $0) }
        guard case .failure(let error) = result else {
            Issue.record("expected an error, got \(result)")
            return
        }
        #expect(error.detail == detail)
    }

    /// A discovery document missing a required endpoint is an error.
    @Test func incompleteDiscoveryIsAnError() throws {
        let json = try JSONCodec.parse(
            "{\"issuer\":\"https://as\",\"token_endpoint\":\"https://as/t\",\"introspection_endpoint\":\"https://as/i\"}"
        )
        #expect(throws: UMA2Error.missingField(operation: "discovery", field: "permission_endpoint")) {
            try UMA2ServerMetadata(discoveryDocument: json)
        }
    }

    /// Resource registration posts the description and returns `_id`.
    @Test func registersResource() async throws {
        let server = try UMA2ClientTests.authorizationServer { _, _ in .json(201, "{\"_id\":\"res-1\"}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let expression = try JSONCodec.parse("{\"rule\":{\"or\":[{\"var\":0}]},\"data\":[\"view\"]}")
        let result = await awaitResult {
            UMA2ClientTests.client(server, fixture).registerResource(
                UMA2ResourceDescription(name: "/photos GET", scopes: ["view"], scopeExpression: expression),
                completion: $0)
        }
        #expect(result == .success("res-1"))
        let request = try #require(UMA2ClientTests.requests(server, "/rsrc").first)
        #expect(request.header("Authorization") == "Bearer PAT1")
        #expect(
            request.json
                == .object([
                    "name": .string("/photos GET"), "resource_scopes": .array([.string("view")]),
                    "scope_expression": .string(JSONCodec.serializeToString(expression)),
                ]))
    }

    /// The UMA grant: RPT on 200, need_info on 403, other denials as errors; fields form-encoded.
    @Test func requestsRPT() async throws {
        let server = try UMA2ClientTests.authorizationServer { request, _ in
            switch UMA2ClientTests.form(request)["ticket"] {
            case "T-ok": return .json(200, "{\"access_token\":\"RPT\",\"token_type\":\"Bearer\",\"upgraded\":true}")
            case "T-need":
                return .json(403, "{\"error\":\"need_info\",\"ticket\":\"T2\",\"redirect_user\":\"https://as/g\"}")
            default: return .json(403, "{\"error\":\"request_denied\"}")
            }
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = UMA2ClientTests.client(server, fixture)
        let ok = await awaitResult {
            client.requestRPT(ticket: "T-ok", claimToken: "a.b.", claimTokenFormat: "urn:x", completion: $0)
        }
        #expect(ok == .success(.rpt(RequestingPartyToken(accessToken: "RPT", tokenType: "Bearer", upgraded: true))))
        let need = await awaitResult { client.requestRPT(ticket: "T-need", completion: $0) }
        #expect(
            (try? need.get())
                == .needInfo(
                    NeedInfo(
                        ticket: "T2", redirectUser: "https://as/g",
                        raw: try JSONCodec.parse(
                            "{\"error\":\"need_info\",\"ticket\":\"T2\",\"redirect_user\":\"https://as/g\"}"))))
        let denied = await awaitResult { client.requestRPT(ticket: "T-x", completion: $0) }
        #expect(denied == .failure(.unexpectedStatus(operation: "token", status: 403, error: "request_denied")))
        let first = try #require(UMA2ClientTests.requests(server, "/token").first)
        #expect(
            UMA2ClientTests.form(first) == [
                "grant_type": "urn:ietf:params:oauth:grant-type:uma-ticket", "ticket": "T-ok", "claim_token": "a.b.",
                "claim_token_format": "urn:x",
            ])
    }

    /// The claims-gathering URL is built from discovery with every parameter percent-encoded.
    @Test func buildsClaimsGatheringURL() async throws {
        let server = try UMA2ClientTests.authorizationServer { _, _ in .json(500, "{}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            UMA2ClientTests.client(server, fixture).claimsGatheringURL(
                ticket: "T 1", claimsRedirectURI: "http://rp/cb?x=1", state: "S", completion: $0)
        }
        #expect(
            result
                == .success(
                    ClaimsGatheringURL(
                        url:
                            "https://as.example/gather?client_id=rs-client&ticket=T%201&claims_redirect_uri=http%3A%2F%2Frp%2Fcb%3Fx%3D1&state=S",
                        state: "S")))
    }
}
