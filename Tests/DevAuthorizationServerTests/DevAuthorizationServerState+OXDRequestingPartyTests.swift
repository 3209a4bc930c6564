import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// `/uma-rp-get-rpt` and `/uma-rp-get-claims-gathering-url` (SPEC Part B §4.6, §4.7).
@Suite struct OXDRequestingPartyTests {
    /// A blank ticket is 400 `invalid_ticket_parameter`.
    @Test func blankTicketIsInvalidTicketParameter() throws {
        let h = try DevHarness()
        let response = h.getRPT(token: try h.clientToken(), ticket: " ")
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "invalid_ticket_parameter")
    }

    /// An unknown ticket is 400 `invalid_ticket` (oxd keeps 400 for it).
    @Test func unknownTicketIsInvalidTicket() throws {
        let h = try DevHarness()
        let response = h.getRPT(token: try h.clientToken(), ticket: "no-such-ticket")
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "invalid_ticket")
    }

    /// A ticket is single use: the second redemption is 400 `invalid_ticket`.
    @Test func reusedTicketIsInvalidTicket() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let ticket = try h.ticket(token: token, path: "/posts/??")
        #expect(h.getRPT(token: token, ticket: ticket).status == 200)
        let again = h.getRPT(token: token, ticket: ticket)
        #expect(again.status == 400)
        #expect(DevHarness.error(again) == "invalid_ticket")
    }

    /// A ticket past its lifetime is `expired_ticket`, which oxd reports as 403.
    @Test func expiredTicketIsExpiredTicket() throws {
        let h = try DevHarness(ticketLifetime: 30)
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let ticket = try h.ticket(token: token, path: "/posts/??")
        h.clock.advance(30)
        let response = h.getRPT(token: token, ticket: ticket)
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "expired_ticket")
    }

    /// `claim_token` without `claim_token_format` (or the reverse) is 400 `invalid_claim_token_or_claim_token_form`.
    @Test(arguments: ["claim_token", "claim_token_format"])
    func halfAClaimTokenIsRejected(field: String) throws {
        let h = try DevHarness()
        let response = h.getRPT(token: try h.clientToken(), ticket: "t", extra: [field: .string("x")])
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "invalid_claim_token_or_claim_token_form")
    }

    /// An unsupported claim token format is 400 `invalid_claim_token_format`; a non-JWT claim token 403
    /// `invalid_claim_token`.
    @Test func badClaimTokensAreRejected() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let format = h.getRPT(
            token: token, ticket: try h.ticket(token: token, path: "/photos/??"),
            extra: ["claim_token": .string("a.b.c"), "claim_token_format": .string("urn:other")])
        #expect(format.status == 400)
        #expect(DevHarness.error(format) == "invalid_claim_token_format")
        let claimToken = h.getRPT(
            token: token, ticket: try h.ticket(token: token, path: "/photos/??"),
            extra: [
                "claim_token": .string("not-a-jwt"),
                "claim_token_format": .string(DevAuthorizationServerState.claimTokenFormats[1]),
            ])
        #expect(claimToken.status == 403)
        #expect(DevHarness.error(claimToken) == "invalid_claim_token")
    }

    /// A `deny` policy gives 403 `forbidden_by_policy`.
    @Test func denyPolicyIsForbidden() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        _ = h.oxd(
            "uma-rs-protect",
            .object([
                "oxd_id": .string("demo-oxd-id"),
                "resources": JSONText.parse(
                    #"[{"path":"/n","conditions":[{"httpMethods":["GET"],"scopes":["never"]}]}]"#)
                    ?? .null,
            ]), token: token)
        let response = h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/n"))
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "forbidden_by_policy")
    }

    /// get-rp shows the last RPT and PCT (but get-rpt never returns it for another ticket).
    @Test func getRPShowsLastRPT() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let rpt = DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/posts/??")))[
            "access_token"]
        let node = DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string("demo-oxd-id")])))["node"]
        #expect(node?["rpt"] == rpt)
        #expect(node?["rpt_pct"]?.stringValue != nil)
    }

    /// The claims-gathering URL has client_id, ticket, claims_redirect_uri, state and custom parameters
    /// (reserved names dropped), all percent-encoded.
    @Test func claimsGatheringURLShape() throws {
        let h = try DevHarness()
        let response = h.oxd(
            "uma-rp-get-claims-gathering-url",
            .object([
                "oxd_id": .string("demo-oxd-id"), "ticket": .string("t 1"),
                "claims_redirect_uri": .string(DevHarness.callback),
                "state": .string("a&b"),
                "custom_parameters": .object(["pct": .string("p"), "ticket": .string("evil")]),
            ]), token: try h.clientToken())
        #expect(response.status == 200)
        let body = DevHarness.json(response)
        #expect(body["state"] == .string("a&b"))
        let url = try #require(body["url"]?.stringValue)
        #expect(url.hasPrefix(DevHarness.issuer + "/gather_claims?client_id=demo-client&ticket=t%201&"))
        let items = DevHarness.queryItems(url)
        #expect(items.map(\.name) == ["client_id", "ticket", "claims_redirect_uri", "state", "pct"])
        #expect(items.first("claims_redirect_uri") == DevHarness.callback)
        #expect(items.first("state") == "a&b")
    }

    /// Missing ticket / redirect URI, or an unregistered redirect URI, are 400 with oxd's codes.
    @Test(arguments: [
        (["claims_redirect_uri": JSONValue.string(DevHarness.callback)], "invalid_ticket_parameter"),
        (["ticket": JSONValue.string("t")], "invalid_claims_redirect_uri_parameter"),
        (
            ["ticket": JSONValue.string("t"), "claims_redirect_uri": .string("https://evil.example/")],
            "invalid_claims_redirect_uri"
        ),
    ])
    func claimsGatheringURLValidates(fields: [String: JSONValue], code: String) throws {
        let h = try DevHarness()
        var body = fields
        body["oxd_id"] = .string("demo-oxd-id")
        let response = h.oxd("uma-rp-get-claims-gathering-url", .object(body), token: try h.clientToken())
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
    }
}
