import Foundation
import PEPCore
import Testing

@testable import UMAClient

@Suite("OXDClient")
struct OXDClientTests {
    /// A fake oxd: `/get-client-token` issues AT1, AT2, …; other commands answer via `reply`.
    static func oxd(
        tokenReply: (@Sendable (Int) -> ScriptedHTTPServer.Reply)? = nil,
        _ reply: @escaping @Sendable (ScriptedHTTPServer.Request, Int) -> ScriptedHTTPServer.Reply
    ) throws -> ScriptedHTTPServer {
        let counter = Counter()
        return try ScriptedHTTPServer { request in
            let count = counter.next(request.target)
            if request.target == "/get-client-token" {
                return tokenReply?(count)
                    ?? .json(
                        200,
                        "{\"access_token\":\"AT\(count)\",\"expires_in\":300,\"refresh_token\":null,\"scope\":[\"openid\",\"oxd\"]}"
                    )
            }
            return reply(request, count)
        }
    }

    static func client(_ server: ScriptedHTTPServer, _ fixture: ControlPlaneFixture) -> OXDClient {
        OXDClient(
            configuration: OXDConfiguration(
                oxdURL: server.baseURL + "/", oxdId: "oxd-1", clientId: "client-1", clientSecret: "secret-1",
                opHost: "https://op.example",
                http: HTTPCallOptions(connectTimeout: .seconds(2), totalTimeout: .seconds(5))),
            controlPlane: fixture.controlPlane, tokens: fixture.tokens)
    }

    static func requests(_ server: ScriptedHTTPServer, _ target: String) -> [ScriptedHTTPServer.Request] {
        server.requests.filter { $0.target == target }
    }

    /// `/get-client-token` carries exactly the SPEC §2.8 body, JSON content type and no Authorization.
    @Test func getClientTokenSendsSpecBody() async throws {
        let server = try OXDClientTests.oxd { _, _ in .json(500, "{}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult { OXDClientTests.client(server, fixture).getClientToken(completion: $0) }
        #expect(result == .success(OXDClientToken(accessToken: "AT1", expiresIn: 300, scopes: ["openid", "oxd"])))
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.target == "/get-client-token")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Authorization") == nil)
        #expect(
            request.json
                == .object([
                    "client_id": .string("client-1"), "client_secret": .string("secret-1"),
                    "scope": .array([.string("openid"), .string("oxd")]), "op_host": .string("https://op.example"),
                ]))
    }

    /// Introspection sends `{oxd_id, rpt}` with the cached bearer; two commands fetch the token once.
    @Test func introspectRPTUsesCachedToken() async throws {
        let server = try OXDClientTests.oxd { _, _ in
            .json(
                200,
                "{\"active\":true,\"exp\":2000,\"iat\":1000,\"client_id\":\"c\",\"permissions\":[{\"resource_id\":\"r\",\"resource_scopes\":[\"view\"]}]}"
            )
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = OXDClientTests.client(server, fixture)
        let first = await awaitResult { client.introspectRPT("RPT-1", completion: $0) }
        let second = await awaitResult { client.introspectRPT("RPT-2", completion: $0) }
        let result = try first.get()
        #expect(result.active && result.exp == 2000 && result.clientId == "c")
        #expect(result.permissions == [.init(resourceId: "r", scopes: ["view"])])
        #expect((try? second.get())?.active == true)
        #expect(OXDClientTests.requests(server, "/get-client-token").count == 1)
        let calls = OXDClientTests.requests(server, "/introspect-rpt")
        #expect(calls.map { $0.header("Authorization") } == ["Bearer AT1", "Bearer AT1"])
        #expect(calls.first?.json == .object(["oxd_id": .string("oxd-1"), "rpt": .string("RPT-1")]))
    }

    /// Check-access without a token sends `rpt: ""` and returns oxd's header and ticket.
    @Test func checkAccessWithoutTokenReturnsChallenge() async throws {
        let header = "UMA realm=\\\"rs\\\",as_uri=\\\"https://op\\\",error=\\\"insufficient_scope\\\",ticket=\\\"T1\\\""
        let server = try OXDClientTests.oxd { _, _ in
            .json(200, "{\"access\":\"denied\",\"www-authenticate_header\":\"\(header)\",\"ticket\":\"T1\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRSCheckAccess(
                rpt: "", path: "/??", httpMethod: "GET", completion: $0)
        }
        #expect(
            result
                == .success(
                    .denied(
                        wwwAuthenticate:
                            "UMA realm=\"rs\",as_uri=\"https://op\",error=\"insufficient_scope\",ticket=\"T1\"",
                        ticket: "T1")))
        let request = try #require(OXDClientTests.requests(server, "/uma-rs-check-access").first)
        #expect(
            request.json
                == .object([
                    "oxd_id": .string("oxd-1"), "rpt": .string(""), "path": .string("/??"),
                    "http_method": .string("GET"),
                ]))
    }

    /// A 403 `invalid_access_token` drops the token, fetches a new one and retries the command once.
    @Test func rejectedTokenIsRefetchedAndCommandRetried() async throws {
        let server = try OXDClientTests.oxd { request, count in
            count == 1 ? .json(403, "{\"error\":\"invalid_access_token\"}") : .json(200, "{\"access\":\"granted\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRSCheckAccess(
                rpt: "R", path: "/p", httpMethod: "GET", completion: $0)
        }
        #expect(result == .success(.granted))
        #expect(OXDClientTests.requests(server, "/get-client-token").count == 2)
        #expect(
            OXDClientTests.requests(server, "/uma-rs-check-access").map { $0.header("Authorization") }
                == ["Bearer AT1", "Bearer AT2"])
    }

    /// A token rejected twice fails after exactly one retry.
    @Test func persistentRejectionFailsAfterOneRetry() async throws {
        let server = try OXDClientTests.oxd { _, _ in .json(401, "{\"error\":\"inactive_access_token\"}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult { OXDClientTests.client(server, fixture).introspectRPT("R", completion: $0) }
        #expect(
            result
                == .failure(.unexpectedStatus(command: "introspect-rpt", status: 401, error: "inactive_access_token")))
        #expect(OXDClientTests.requests(server, "/introspect-rpt").count == 2)
        #expect(OXDClientTests.requests(server, "/get-client-token").count == 2)
    }

    /// An expired token with a refresh token is refreshed with a bearer (Appendix A row 2), before expiry.
    @Test func expiringTokenIsRefreshedWithBearer() async throws {
        let server = try OXDClientTests.oxd(tokenReply: { _ in
            .json(200, "{\"access_token\":\"AT1\",\"expires_in\":60,\"refresh_token\":\"RT1\"}")
        }) { request, _ in
            request.target == "/get-access-token-by-refresh-token"
                ? .json(200, "{\"access_token\":\"AT-R\",\"expires_in\":60}") : .json(200, "{\"access\":\"granted\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = OXDClientTests.client(server, fixture)
        _ = await awaitResult { client.umaRSCheckAccess(rpt: "R", path: "/p", httpMethod: "GET", completion: $0) }
        fixture.clock.advance(by: 56)
        _ = await awaitResult { client.umaRSCheckAccess(rpt: "R", path: "/p", httpMethod: "GET", completion: $0) }
        let refresh = try #require(OXDClientTests.requests(server, "/get-access-token-by-refresh-token").first)
        #expect(refresh.header("Authorization") == "Bearer AT1")
        #expect(refresh.json == .object(["oxd_id": .string("oxd-1"), "refresh_token": .string("RT1")]))
        #expect(
            OXDClientTests.requests(server, "/uma-rs-check-access").map { $0.header("Authorization") }
                == ["Bearer AT1", "Bearer AT-R"])
        #expect(OXDClientTests.requests(server, "/get-client-token").count == 1)
    }

    /// Bad answers become typed errors (never a grant): statuses, non-JSON, truncated JSON, wrong types.
    @Test(arguments: [
        (ScriptedHTTPServer.Reply.json(500, "{\"error\":\"internal_error\"}"), "oxd.unexpected_status"),
        (.json(400, "{\"error\":\"invalid_request\"}"), "oxd.unexpected_status"),
        (.respond(status: 200, headers: [:], body: Array("not json".utf8)), "oxd.invalid_json"),
        (.json(200, "{\"access\":\"gran"), "oxd.invalid_json"),
        (.json(200, "[\"granted\"]"), "oxd.invalid_field"),
        (.json(200, "{}"), "oxd.missing_field"),
        (.json(200, "{\"access\":\"maybe\"}"), "oxd.invalid_field"),
        (.json(200, "{\"access\":true}"), "oxd.invalid_field"),
        (
            .json(200, "{\"access\":\"denied\",\"www-authenticate_header\":\"UMA a\\r\\nSet-Cookie: x\"}"),
            "oxd.invalid_field"
        ),
        (.json(201, "{\"access\":\"granted\"}"), "oxd.unexpected_status"),
    ])
    func badCheckAccessAnswersAreErrors(reply: ScriptedHTTPServer.Reply, detail: String) async throws {
        let server = try OXDClientTests.oxd { _, _ in reply }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRSCheckAccess(
                rpt: "R", path: "/p", httpMethod: "GET", completion: $0)
        }
        guard case .failure(let error) = result else {
            Issue.record("expected an error, got \(result)")
            return
        }
        #expect(error.detail == detail)
    }

    /// Introspection answers with `active` as a string, or truncated, are errors.
    @Test(arguments: ["{\"active\":\"true\"}", "{\"active\":true,\"exp\":", "{\"active\":true,\"exp\":\"soon\"}"])
    func badIntrospectionAnswersAreErrors(body: String) async throws {
        let server = try OXDClientTests.oxd { _, _ in .json(200, body) }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult { OXDClientTests.client(server, fixture).introspectRPT("R", completion: $0) }
        guard case .failure = result else {
            Issue.record("expected an error, got \(result)")
            return
        }
    }

    /// A failing `/get-client-token` fails the protected command without calling it.
    @Test func tokenFailureFailsCommand() async throws {
        let server = try OXDClientTests.oxd(tokenReply: { _ in .json(200, "{\"expires_in\":300}") }) { _, _ in
            .json(200, "{\"access\":\"granted\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRSCheckAccess(
                rpt: "R", path: "/p", httpMethod: "GET", completion: $0)
        }
        guard case .failure(.protectionToken(let error)) = result else {
            Issue.record("expected a protection-token error, got \(result)")
            return
        }
        #expect(error.detail == "oxd.missing_field")
        #expect(OXDClientTests.requests(server, "/uma-rs-check-access").isEmpty)
    }

    /// `/uma-rs-protect` sends the resources document and `overwrite`.
    @Test func protectSendsResources() async throws {
        let server = try OXDClientTests.oxd { _, _ in .json(200, "{\"oxd_id\":\"oxd-1\"}") }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let resources = try JSONCodec.parse(
            "[{\"path\":\"/photos\",\"conditions\":[{\"httpMethods\":[\"GET\"],\"scopes\":[\"view\"]}]}]")
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRSProtect(resources: resources, overwrite: true, completion: $0)
        }
        #expect((try? result.get()) != nil)
        let request = try #require(OXDClientTests.requests(server, "/uma-rs-protect").first)
        #expect(
            request.json == .object(["oxd_id": .string("oxd-1"), "resources": resources, "overwrite": .bool(true)]))
    }

    /// `/uma-rp-get-rpt`: 200 gives the RPT, 403 need_info gives the ticket and redirect, other 403s are errors
    /// and are not retried as token rejections.
    @Test func getRPTDistinguishesNeedInfo() async throws {
        let server = try OXDClientTests.oxd { request, _ in
            switch request.json?["ticket"]?.stringValue {
            case "T-ok":
                return .json(
                    200, "{\"access_token\":\"RPT\",\"token_type\":\"Bearer\",\"pct\":\"P\",\"updated\":false}")
            case "T-need":
                return .json(
                    403,
                    "{\"error\":\"need_info\",\"ticket\":\"T2\",\"redirect_user\":\"https://as/gather?x=1\",\"required_claims\":[{\"name\":\"country\"}]}"
                )
            default: return .json(403, "{\"error\":\"forbidden_by_policy\"}")
            }
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = OXDClientTests.client(server, fixture)
        let ok = await awaitResult { client.umaRPGetRPT(ticket: "T-ok", completion: $0) }
        #expect(
            ok
                == .success(
                    .rpt(RequestingPartyToken(accessToken: "RPT", tokenType: "Bearer", pct: "P", upgraded: false))))
        let need = await awaitResult { client.umaRPGetRPT(ticket: "T-need", completion: $0) }
        guard case .success(.needInfo(let info)) = need else {
            Issue.record("expected need_info, got \(need)")
            return
        }
        #expect(info.ticket == "T2")
        #expect(info.redirectUser == "https://as/gather?x=1")
        let denied = await awaitResult { client.umaRPGetRPT(ticket: "T-deny", completion: $0) }
        #expect(
            denied == .failure(.unexpectedStatus(command: "uma-rp-get-rpt", status: 403, error: "forbidden_by_policy")))
        #expect(OXDClientTests.requests(server, "/uma-rp-get-rpt").count == 3)
        #expect(OXDClientTests.requests(server, "/get-client-token").count == 1)
        #expect(
            OXDClientTests.requests(server, "/uma-rp-get-rpt").first?.json
                == .object(["oxd_id": .string("oxd-1"), "ticket": .string("T-ok")]))
    }

    /// `/uma-rp-get-claims-gathering-url` sends the §4.7 fields and returns `url` and `state`.
    @Test func claimsGatheringURLRequest() async throws {
        let server = try OXDClientTests.oxd { _, _ in
            .json(200, "{\"url\":\"https://as/gather?ticket=T\",\"state\":\"S\"}")
        }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let result = await awaitResult {
            OXDClientTests.client(server, fixture).umaRPGetClaimsGatheringURL(
                ticket: "T", claimsRedirectURI: "http://backend.com:8000/cb", customParameters: ["pct": "P"],
                completion: $0)
        }
        #expect(result == .success(ClaimsGatheringURL(url: "https://as/gather?ticket=T", state: "S")))
        let request = try #require(OXDClientTests.requests(server, "/uma-rp-get-claims-gathering-url").first)
        #expect(
            request.json
                == .object([
                    "oxd_id": .string("oxd-1"), "ticket": .string("T"),
                    "claims_redirect_uri": .string("http://backend.com:8000/cb"),
                    "custom_parameters": .object(["pct": .string("P")]),
                ]))
    }

    /// An oxd that never answers fails with a timeout within the configured bound.
    @Test func silentOXDTimesOut() async throws {
        let server = try ScriptedHTTPServer { _ in .hang }
        defer { server.stop() }
        let fixture = try ControlPlaneFixture()
        defer { fixture.shutdown() }
        let client = OXDClient(
            configuration: OXDConfiguration(
                oxdURL: server.baseURL, oxdId: "o", clientId: "c", clientSecret: "s", opHost: "https://op",
                http: HTTPCallOptions(connectTimeout: .seconds(1), totalTimeout: .milliseconds(300))),
            controlPlane: fixture.controlPlane, tokens: fixture.tokens)
        let started = ContinuousClock.now
        let result = await awaitResult { client.getClientToken(completion: $0) }
        #expect(result == .failure(.transport(command: "get-client-token", .timeout)))
        // The `.timeout` proves the deadline fired; this bound only rules out a hang (see ControlPlaneTests).
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
