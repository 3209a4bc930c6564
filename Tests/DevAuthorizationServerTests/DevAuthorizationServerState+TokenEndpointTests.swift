import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// `POST /token` (SPEC Part B §5.2, §5.6, §5.7).
@Suite struct TokenEndpointTests {
    private let grant = DevAuthorizationServerState.umaTicketGrant
    private let basic = [(name: "Authorization", value: DevHarness.basic("demo-client", "demo-secret"))]

    /// A ticket registered at the permission endpoint for a `read` resource.
    private func ticket(_ h: DevHarness, scope: String = "read") throws -> String {
        let pat = try h.pat()
        let created = h.send(
            "POST", "/resource_set", headers: [("Authorization", "Bearer " + pat)],
            body: #"{"name":"r","resource_scopes":["\#(scope)"]}"#)
        let id = try #require(DevHarness.json(created)["_id"]?.stringValue)
        let permission = h.send(
            "POST", "/permission", headers: [("Authorization", "Bearer " + pat)],
            body: #"{"resource_id":"\#(id)","resource_scopes":["\#(scope)"]}"#)
        return try #require(DevHarness.json(permission)["ticket"]?.stringValue)
    }

    /// client_credentials gives a PAT with scope `uma_protection` by default.
    @Test func clientCredentialsGivesAPAT() throws {
        let h = try DevHarness()
        let response = h.form("/token", [("grant_type", "client_credentials")], headers: self.basic)
        #expect(response.status == 200)
        let body = DevHarness.json(response)
        #expect(body["scope"] == .string("uma_protection"))
        #expect(body["token_type"] == .string("Bearer"))
        #expect(body["expires_in"] == .int(3600))
    }

    /// client_secret_post works like Basic.
    @Test func clientSecretPostAuthenticates() throws {
        let h = try DevHarness()
        let response = h.form(
            "/token",
            [("grant_type", "client_credentials"), ("client_id", "demo-client"), ("client_secret", "demo-secret")])
        #expect(response.status == 200)
    }

    /// Unknown client, wrong secret and no credentials are 401 `invalid_client`.
    @Test(arguments: [
        [(name: "Authorization", value: DevHarness.basic("ghost", "demo-secret"))],
        [(name: "Authorization", value: DevHarness.basic("demo-client", "wrong"))],
        [],
    ])
    func badClientAuthenticationIs401(headers: [(name: String, value: String)]) throws {
        let h = try DevHarness()
        let response = h.form("/token", [("grant_type", "client_credentials")], headers: headers)
        #expect(response.status == 401)
        #expect(DevHarness.error(response) == "invalid_client")
        #expect(DevHarness.header(response, "WWW-Authenticate")?.hasPrefix("Basic") == true)
    }

    /// Basic credentials work both raw (`curl -u`) and form-encoded (RFC 6749 §2.3.1).
    @Test(arguments: ["a+b%c", "a%2Bb%25c"])
    func basicAcceptsRawAndEncodedSecrets(sent: String) throws {
        let server = try DevAuthorizationServer(
            configuration: DevAuthorizationServerConfiguration(clients: [DevClient(clientSecret: "a+b%c")]),
            clock: { 1_700_000_000 })
        let response = server.handle(
            .init(
                method: "POST", path: "/token", headers: [("Authorization", DevHarness.basic("demo-client", sent))],
                body: Array("grant_type=client_credentials".utf8)))
        #expect(response.status == 200)
    }

    /// A wrong `client_secret_post` secret is 401 `invalid_client`.
    @Test func wrongPostedSecretIs401() throws {
        let h = try DevHarness()
        let response = h.form(
            "/token", [("grant_type", "client_credentials"), ("client_id", "demo-client"), ("client_secret", "x")])
        #expect(response.status == 401)
        #expect(DevHarness.error(response) == "invalid_client")
    }

    /// The UMA grant accepts a live bearer access token of a registered client; a dead one is 401.
    @Test func umaGrantAcceptsClientBearer() throws {
        let h = try DevHarness()
        let ticket = try self.ticket(h)
        let pat = try h.pat()
        let dead = h.form(
            "/token", [("grant_type", self.grant), ("ticket", ticket)], headers: [("Authorization", "Bearer x")])
        #expect(dead.status == 401)
        let response = h.form(
            "/token", [("grant_type", self.grant), ("ticket", ticket)], headers: [("Authorization", "Bearer " + pat)])
        #expect(response.status == 200)
    }

    /// Missing grant_type / ticket are 400 `invalid_request`; an unknown grant type `invalid_grant_type`;
    /// an unknown client_credentials scope `invalid_scope`.
    @Test(arguments: [
        ([("ticket", "t")], "invalid_request"),
        ([("grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket")], "invalid_request"),
        ([("grant_type", "password")], "invalid_grant_type"),
        ([("grant_type", "client_credentials"), ("scope", "admin")], "invalid_scope"),
        (
            [("grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket"), ("ticket", "t"), ("claim_token", "x")],
            "invalid_request"
        ),
    ])
    func malformedRequestsAre400(pairs: [(String, String)], code: String) throws {
        let h = try DevHarness()
        let response = h.form("/token", pairs, headers: self.basic)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
    }

    /// Unknown and reused tickets are 400 `invalid_ticket`.
    @Test func reusedTicketIsInvalidTicket() throws {
        let h = try DevHarness()
        let ticket = try self.ticket(h)
        #expect(h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic).status == 200)
        let again = h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic)
        #expect(again.status == 400)
        #expect(DevHarness.error(again) == "invalid_ticket")
    }

    /// A ticket used after its lifetime is 400 `expired_ticket`.
    @Test func expiredTicketIsExpiredTicket() throws {
        let h = try DevHarness(ticketLifetime: 10)
        let ticket = try self.ticket(h)
        h.clock.advance(11)
        let response = h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "expired_ticket")
    }

    /// need_info carries a new ticket, required_claims and redirect_user; the old ticket is spent.
    @Test func needInfoShape() throws {
        let h = try DevHarness()
        let ticket = try self.ticket(h, scope: "with-claims")
        let response = h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic)
        #expect(response.status == 403)
        let body = DevHarness.json(response)
        #expect(body["error"] == .string("need_info"))
        let next = try #require(body["ticket"]?.stringValue)
        let claim = try #require(body["required_claims"]?.arrayValue?.first)
        #expect(claim["name"] == .string("country"))
        #expect(claim["friendly_name"] == .string("Country"))
        #expect(claim["issuer"] == .array([.string(DevHarness.issuer)]))
        let redirect = try #require(body["redirect_user"]?.stringValue)
        #expect(DevHarness.queryItems(redirect).first("ticket") == next)
        #expect(DevHarness.queryItems(redirect).first("client_id") == "demo-client")
        #expect(
            DevHarness.error(h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic))
                == "invalid_ticket")
    }

    /// A foreign or unknown `pct` and a scope not on the ticket's resources are 400; the ticket survives.
    @Test(arguments: [("pct", "invalid_pct"), ("scope", "invalid_scope")])
    func invalidExtrasAreRejectedBeforeTheTicketIsSpent(field: String, code: String) throws {
        let h = try DevHarness()
        let ticket = try self.ticket(h)
        let response = h.form(
            "/token", [("grant_type", self.grant), ("ticket", ticket), (field, "bogus")], headers: self.basic)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
        #expect(h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic).status == 200)
    }

    /// An `rpt` that is no live RPT is treated as absent (UMA 2.0 Grant §3.3.1): an unknown value, an expired
    /// RPT, and the client's own access token — what an off-the-shelf UMA client sends as `rpt` on its first
    /// exchange, authenticated by that same token as bearer — each get a new RPT with `upgraded: false`.
    @Test func rptThatIsNoLiveRPTIsIgnored() throws {
        let h = try DevHarness()
        let expired = try #require(
            DevHarness.json(
                h.send(
                    "POST", "/_dev/tokens", body: #"{"permissions":[{"resource_id":"r0","scopes":["v"]}],"lifetime":1}"#
                )
            )["access_token"]?.stringValue)
        h.clock.advance(2)
        let clientToken = try h.clientToken()
        let cases: [(rpt: String, headers: [(name: String, value: String)])] = [
            ("bogus", self.basic), (expired, self.basic), (clientToken, [("Authorization", "Bearer " + clientToken)]),
        ]
        for (rpt, headers) in cases {
            let ticket = try self.ticket(h)
            let response = h.form(
                "/token", [("grant_type", self.grant), ("ticket", ticket), ("rpt", rpt)], headers: headers)
            #expect(response.status == 200, "rpt \(rpt)")
            let body = DevHarness.json(response)
            #expect(body["upgraded"] == .bool(false))
            let issued = try #require(body["access_token"]?.stringValue)
            let introspection = DevHarness.json(h.form("/introspect", [("token", issued)], headers: self.basic))
            #expect(introspection["permissions"]?.arrayValue?.count == 1)
        }
    }

    /// A live RPT of another client is refused as `rpt` (400 `invalid_rpt`), and the ticket survives; the client's
    /// own live RPT is upgraded.
    @Test func foreignRPTIsRefusedOwnRPTIsUpgraded() throws {
        let h = try DevHarness()
        let mint = { (client: String) throws -> String in
            try #require(
                DevHarness.json(
                    h.send(
                        "POST", "/_dev/tokens",
                        body: #"{"client_id":"\#(client)","permissions":[{"resource_id":"r0","scopes":["v"]}]}"#))[
                        "access_token"]?.stringValue)
        }
        let ticket = try self.ticket(h)
        let foreign = h.form(
            "/token", [("grant_type", self.grant), ("ticket", ticket), ("rpt", try mint("other-client"))],
            headers: self.basic)
        #expect(foreign.status == 400)
        #expect(DevHarness.error(foreign) == "invalid_rpt")
        let own = h.form(
            "/token", [("grant_type", self.grant), ("ticket", ticket), ("rpt", try mint("demo-client"))],
            headers: self.basic)
        #expect(own.status == 200)
        #expect(DevHarness.json(own)["upgraded"] == .bool(true))
    }

    /// The refresh_token grant rotates; a reused refresh token is 400 `invalid_grant`.
    @Test func refreshTokenGrant() throws {
        let h = try DevHarness()
        let issued = DevHarness.json(h.form("/token", [("grant_type", "client_credentials")], headers: self.basic))
        let refresh = try #require(issued["refresh_token"]?.stringValue)
        let first = h.form(
            "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: self.basic)
        #expect(first.status == 200)
        let second = h.form(
            "/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: self.basic)
        #expect(DevHarness.error(second) == "invalid_grant")
    }

    /// With `rptAsJWT` the RPT is an RS256 JWT whose signature verifies with the published key and whose
    /// payload carries client_id, exp and permissions; it still introspects.
    @Test func jwtRPTIsSignedAndIntrospectable() throws {
        let h = try DevHarness(rptAsJWT: true)
        let ticket = try self.ticket(h)
        let response = h.form("/token", [("grant_type", self.grant), ("ticket", ticket)], headers: self.basic)
        let rpt = try #require(DevHarness.json(response)["access_token"]?.stringValue)
        let parts = rpt.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = JSONText.parse(FormURLEncoding.decodeBase64(parts[0]) ?? [])
        let payload = JSONText.parse(FormURLEncoding.decodeBase64(parts[1]) ?? [])
        #expect(header?["alg"] == .string("RS256"))
        let jwk = DevHarness.json(h.send("GET", "/jwks"))["keys"]?.arrayValue?.first
        #expect(header?["kid"] == jwk?["kid"])
        let certificate = try #require(jwk?["x5c"]?.arrayValue?.first?.stringValue)
        let signature = try #require(FormURLEncoding.decodeBase64(parts[2]))
        let input = Array((parts[0] + "." + parts[1]).utf8)
        #expect(RSASigningKey.verify(signature, over: input, certificateBase64: certificate))
        #expect(!RSASigningKey.verify(signature, over: input + [0x20], certificateBase64: certificate))
        #expect(payload?["client_id"] == .string("demo-client"))
        #expect(payload?["exp"] == .int(h.clock.now + 3600))
        #expect(payload?["permissions"]?.arrayValue?.count == 1)
        let pat = try h.pat()
        let introspection = DevHarness.json(
            h.form("/introspect", [("token", rpt)], headers: [("Authorization", "Bearer " + pat)]))
        #expect(introspection["active"] == .bool(true))
    }
}
