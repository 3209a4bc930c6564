import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// The GG UMA tutorial flows end to end at handler level (SPEC Part B §4.10, §5).
@Suite struct DevAuthorizationServerTests {
    /// oxd style: protect → check-access without RPT → ticket → get-rpt → need_info → claims form (US/NY) → new
    /// ticket → RPT → introspect shows the permission → check-access granted.
    @Test func oxdTutorialFlowWithClaimsGathering() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)

        let denied = h.checkAccess(token: token, rpt: "", path: "/photos/??")
        #expect(denied.status == 200)
        let deniedBody = DevHarness.json(denied)
        #expect(deniedBody["access"] == .string("denied"))
        let ticket = try #require(deniedBody["ticket"]?.stringValue)
        #expect(
            deniedBody["www-authenticate_header"]
                == .string(
                    "UMA realm=\"rs\",as_uri=\"\(DevHarness.issuer)\",error=\"insufficient_scope\",ticket=\"\(ticket)\""
                ))

        let needInfo = h.getRPT(token: token, ticket: ticket)
        #expect(needInfo.status == 403)
        let info = DevHarness.json(needInfo)
        #expect(info["error"] == .string("need_info"))
        let needTicket = try #require(info["ticket"]?.stringValue)
        #expect(needTicket != ticket)
        let claimNames = (info["required_claims"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(claimNames == ["country", "city"])
        let redirectUser = try #require(info["redirect_user"]?.stringValue)
        #expect(redirectUser.hasPrefix(DevHarness.issuer + "/gather_claims?"))

        // The user opens redirect_user + claims_redirect_uri (tutorial step 4).
        let pageQuery =
            String(redirectUser.split(separator: "?", maxSplits: 1)[1])
            + "&claims_redirect_uri=" + FormURLEncoding.encode(DevHarness.callback) + "&state=s1"
        let page = h.send("GET", "/gather_claims", query: pageQuery)
        #expect(page.status == 200)
        #expect(DevHarness.text(page).contains("Country"))
        #expect(DevHarness.text(page).contains("City"))

        let submitted = h.gatherClaims(ticket: needTicket, country: "US", city: "NY")
        #expect(submitted.status == 302)
        let location = try #require(DevHarness.header(submitted, "Location"))
        #expect(location.hasPrefix(DevHarness.callback + "?ticket="))
        let params = DevHarness.queryItems(location)
        #expect(params.map(\.name) == ["ticket", "state", "authorization_state"])
        #expect(params.first("state") == "s1")
        #expect(params.first("authorization_state") == "claims_submitted")
        let newTicket = try #require(params.first("ticket"))
        #expect(newTicket != needTicket)

        let granted = h.getRPT(token: token, ticket: newTicket)
        #expect(granted.status == 200)
        let rpt = try #require(DevHarness.json(granted)["access_token"]?.stringValue)
        #expect(DevHarness.json(granted)["token_type"] == .string("Bearer"))

        let introspection = DevHarness.json(
            h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
        #expect(introspection["active"] == .bool(true))
        #expect(introspection["client_id"] == .string("demo-client"))
        let permission = try #require(introspection["permissions"]?.arrayValue?.first)
        #expect(permission["resource_scopes"] == .array([.string("with-claims")]))
        let rp = DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string("demo-oxd-id")])))
        let photosId = rp["node"]?["uma_protected_resources"]?.arrayValue?
            .first { $0["path"] == .string("/photos/??") }?["id"]
        #expect(permission["resource_id"] == photosId)

        let allowed = h.checkAccess(token: token, rpt: rpt, path: "/photos/??")
        #expect(DevHarness.json(allowed) == .object(["access": .string("granted")]))
    }

    /// The tutorial policy with a wrong city answers `forbidden_by_policy` (403) and issues no RPT.
    @Test func wrongCityIsForbiddenByPolicy() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let ticket = try h.ticket(token: token, path: "/photos/??")
        let needTicket = try #require(DevHarness.json(h.getRPT(token: token, ticket: ticket))["ticket"]?.stringValue)
        let location = try #require(
            DevHarness.header(h.gatherClaims(ticket: needTicket, country: "US", city: "LA"), "Location"))
        let newTicket = try #require(DevHarness.queryItems(location).first("ticket"))
        let response = h.getRPT(token: token, ticket: newTicket)
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "forbidden_by_policy")
        #expect(DevHarness.json(response)["access_token"] == nil)
    }

    /// A scope with no policy is granted straight away; the RPT then passes check-access for that rule only.
    @Test func allowedScopeIsGrantedWithoutClaims() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let ticket = try h.ticket(token: token, path: "/posts/??")
        let response = h.getRPT(token: token, ticket: ticket)
        #expect(response.status == 200)
        let rpt = try #require(DevHarness.json(response)["access_token"]?.stringValue)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??"))["access"] == .string("granted"))
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??", method: "POST"))["access"]
                == .string("denied"))
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/photos/??"))["access"] == .string("denied"))
    }

    /// Every ticket yields a new RPT (oxd's stored-RPT quirk is not reproduced, Appendix A row 16).
    @Test func eachTicketGetsANewRPT() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let first = DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/posts/??")))
        let second = DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/posts/??")))
        #expect(first["access_token"] != nil)
        #expect(first["access_token"] != second["access_token"])
    }

    /// UMA 2.0 style: PAT → resource_set → permission → token endpoint need_info → claims form → token endpoint
    /// RPT with a PCT → /introspect shows the permission.
    @Test func uma2TutorialFlowWithTokenEndpoint() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        let created = h.send(
            "POST", "/resource_set", headers: [("Authorization", "Bearer " + pat)],
            body: #"{"name": "/photos/?? GET", "resource_scopes": ["with-claims"]}"#)
        #expect(created.status == 201)
        let resourceId = try #require(DevHarness.json(created)["_id"]?.stringValue)
        let permission = h.send(
            "POST", "/permission", headers: [("Authorization", "Bearer " + pat)],
            body: #"[{"resource_id": "\#(resourceId)", "resource_scopes": ["with-claims"]}]"#)
        #expect(permission.status == 201)
        let ticket = try #require(DevHarness.json(permission)["ticket"]?.stringValue)

        let basic = [(name: "Authorization", value: DevHarness.basic("demo-client", "demo-secret"))]
        let needInfo = h.form(
            "/token", [("grant_type", DevAuthorizationServerState.umaTicketGrant), ("ticket", ticket)], headers: basic)
        #expect(needInfo.status == 403)
        #expect(DevHarness.error(needInfo) == "need_info")
        let needTicket = try #require(DevHarness.json(needInfo)["ticket"]?.stringValue)

        let location = try #require(
            DevHarness.header(h.gatherClaims(ticket: needTicket, country: "US", city: "NY"), "Location"))
        let newTicket = try #require(DevHarness.queryItems(location).first("ticket"))
        let issued = h.form(
            "/token", [("grant_type", DevAuthorizationServerState.umaTicketGrant), ("ticket", newTicket)],
            headers: basic)
        #expect(issued.status == 200)
        let body = DevHarness.json(issued)
        let rpt = try #require(body["access_token"]?.stringValue)
        #expect(body["pct"]?.stringValue?.isEmpty == false)
        #expect(body["upgraded"] == .bool(false))
        #expect(DevHarness.header(issued, "Cache-Control") == "no-store")

        let introspection = DevHarness.json(
            h.form("/introspect", [("token", rpt)], headers: [("Authorization", "Bearer " + pat)]))
        #expect(introspection["active"] == .bool(true))
        #expect(introspection["iss"] == .string(DevHarness.issuer))
        #expect(introspection["permissions"]?.arrayValue?.first?["resource_id"] == .string(resourceId))
    }

    /// The PCT from a claims-gathered grant carries the claims to the next ticket: no second need_info.
    @Test func pctCarriesGatheredClaims() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let needTicket = try #require(
            DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/photos/??")))["ticket"]?
                .stringValue)
        let location = try #require(
            DevHarness.header(h.gatherClaims(ticket: needTicket, country: "US", city: "NY"), "Location"))
        let first = DevHarness.json(
            h.getRPT(token: token, ticket: try #require(DevHarness.queryItems(location).first("ticket"))))
        let pct = try #require(first["pct"]?.stringValue)
        let again = h.getRPT(
            token: token, ticket: try h.ticket(token: token, path: "/photos/??"), extra: ["pct": .string(pct)])
        #expect(again.status == 200)
        #expect(DevHarness.json(again)["access_token"] != nil)
    }

    /// A pushed claim token (unsigned JWT, standard or url base64) satisfies the policy without the form.
    @Test func pushedClaimTokenSatisfiesPolicy() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let payload = FormURLEncoding.base64URL(Array(#"{"country":"US","city":"NY"}"#.utf8))
        let response = h.getRPT(
            token: token, ticket: try h.ticket(token: token, path: "/photos/??"),
            extra: [
                "claim_token": .string("eyJhbGciOiJub25lIn0." + payload + "."),
                "claim_token_format": .string(DevAuthorizationServerState.claimTokenFormats[0]),
            ])
        #expect(response.status == 200)
    }

    /// Upgrading an RPT keeps its old permissions and adds the new ticket's (`upgraded: true`).
    @Test func rptUpgradeMergesPermissions() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let read = try #require(
            DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/posts/??")))[
                "access_token"]?
                .stringValue)
        let upgraded = h.getRPT(
            token: token, ticket: try h.ticket(token: token, path: "/posts/??", method: "POST"),
            extra: ["rpt": .string(read)])
        #expect(DevHarness.json(upgraded)["updated"] == .bool(true))
        let rpt = try #require(DevHarness.json(upgraded)["access_token"]?.stringValue)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??"))["access"] == .string("granted"))
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??", method: "POST"))["access"]
                == .string("granted"))
    }

    /// Beyond `maxTickets` the oldest tickets are dropped (memory bound under load).
    @Test func ticketCountIsBounded() throws {
        let server = try DevAuthorizationServer(
            configuration: DevAuthorizationServerConfiguration(maxTickets: 3), clock: { 1_700_000_000 })
        let pat = try #require(
            JSONText.parse(
                server.handle(
                    .init(
                        method: "POST", path: "/token",
                        headers: [("Authorization", DevHarness.basic("demo-client", "demo-secret"))],
                        body: Array("grant_type=client_credentials".utf8))
                ).body)?["access_token"]?.stringValue)
        let auth = [(name: "Authorization", value: "Bearer " + pat)]
        let created = server.handle(
            .init(method: "POST", path: "/resource_set", headers: auth, body: Array(#"{"resource_scopes":["v"]}"#.utf8))
        )
        let id = try #require(JSONText.parse(created.body)?["_id"]?.stringValue)
        let tickets = (0..<5).compactMap { _ in
            JSONText.parse(
                server.handle(
                    .init(
                        method: "POST", path: "/permission", headers: auth,
                        body: Array(#"{"resource_id":"\#(id)","resource_scopes":["v"]}"#.utf8))
                ).body)?["ticket"]?.stringValue
        }
        #expect(tickets.count == 5)
        let redeem = { (ticket: String) in
            server.handle(
                .init(
                    method: "POST", path: "/token", headers: auth,
                    body: Array(
                        FormURLEncoding.query([
                            ("grant_type", DevAuthorizationServerState.umaTicketGrant), ("ticket", ticket),
                        ]).utf8)))
        }
        #expect(DevHarness.error(redeem(tickets[0])) == "invalid_ticket")
        #expect(DevHarness.error(redeem(tickets[1])) == "invalid_ticket")
        #expect(redeem(tickets[4]).status == 200)
    }

    /// `prepareSigningKey()` creates the key up front; `/jwks` then serves it.
    @Test func prepareSigningKeyUpFront() throws {
        let server = try DevAuthorizationServer(clock: { 1_700_000_000 })
        try server.prepareSigningKey()
        let kid = JSONText.parse(server.handle(.init(method: "GET", path: "/jwks")).body)?["keys"]?.arrayValue?.first?[
            "kid"]
        try server.prepareSigningKey()
        #expect(kid != nil)
        #expect(
            JSONText.parse(server.handle(.init(method: "GET", path: "/jwks")).body)?["keys"]?.arrayValue?.first?["kid"]
                == kid)
    }

    /// Unknown paths are 404 JSON and the issuer's path prefix is accepted.
    @Test func unknownPathIs404AndIssuerPrefixIsStripped() throws {
        #expect(DevAuthorizationServer.localPath("/oxauth/token", issuer: "http://h/oxauth") == "/token")
        #expect(DevAuthorizationServer.localPath("/token", issuer: "http://h/oxauth") == "/token")
        #expect(DevAuthorizationServer.localPath("/oxauthx", issuer: "http://h/oxauth") == "/oxauthx")
        let h = try DevHarness()
        let response = h.send("GET", "/nothing-here")
        #expect(response.status == 404)
        #expect(DevHarness.error(response) == "not_found")
        #expect(h.send("GET", "/token").status == 405)
    }
}
