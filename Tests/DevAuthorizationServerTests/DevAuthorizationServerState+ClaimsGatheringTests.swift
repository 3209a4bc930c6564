import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// `GET|POST /gather_claims` (SPEC Part B §5.8; SECURITY.md open redirect, reflected input).
@Suite struct ClaimsGatheringTests {
    private func needInfoTicket(_ h: DevHarness) throws -> String {
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let response = h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/photos/??"))
        return try #require(DevHarness.json(response)["ticket"]?.stringValue)
    }

    private func pageQuery(ticket: String, redirect: String = DevHarness.callback, state: String = "s") -> String {
        FormURLEncoding.query([
            ("client_id", "demo-client"), ("ticket", ticket), ("claims_redirect_uri", redirect), ("state", state),
        ])
    }

    /// A registered loopback URI without a port matches the same URI on any port (RFC 8252 §7.3), and nothing
    /// else: another host, scheme, path, a userinfo trick or a suffix never matches.
    @Test(arguments: [
        ("http://127.0.0.1:8000/uma/cb", true), ("http://127.0.0.1:1/uma/cb", true), ("http://127.0.0.1/uma/cb", true),
        ("http://localhost:65535/uma/cb", true), ("http://[::1]:8080/uma/cb", true),
        ("https://127.0.0.1:8000/uma/cb", false), ("http://127.0.0.1:8000/uma/cb/x", false),
        ("http://127.0.0.1:8000/uma/cb?x=1", false), ("http://127.0.0.1:80a/uma/cb", false),
        ("http://127.0.0.1:/uma/cb", false), ("http://127.0.0.1:123456/uma/cb", false),
        ("http://127.0.0.1:8000@evil.example/uma/cb", false), ("http://127.0.0.2:8000/uma/cb", false),
        ("http://evil.example:8000/uma/cb", false), ("http://gw.example:8000/uma/cb", false),
        ("http://gw.example/uma/cb", true),
    ])
    func loopbackRedirectURIsMatchAnyPort(_ requested: String, _ expected: Bool) {
        let registered = [
            "http://127.0.0.1/uma/cb", "http://localhost/uma/cb", "http://[::1]/uma/cb", "http://gw.example/uma/cb",
        ]
        #expect(DevAuthorizationServerState.isRegisteredClaimsRedirect(requested, registered: registered) == expected)
    }

    /// Everything reflected into the page is HTML-escaped.
    @Test func pageEscapesReflectedInput() throws {
        let h = try DevHarness()
        let ticket = try self.needInfoTicket(h)
        let page = h.send(
            "GET", "/gather_claims", query: self.pageQuery(ticket: ticket, state: "\"><script>alert(1)</script>"))
        #expect(page.status == 200)
        let html = DevHarness.text(page)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("name=\"country\""))
        #expect(html.contains("name=\"city\""))
        #expect(DevHarness.header(page, "Content-Type") == "text/html; charset=utf-8")
    }

    /// An unregistered claims_redirect_uri or unknown client is a 400 page, never a redirect.
    @Test(arguments: [
        ("demo-client", "https://evil.example/cb"), ("demo-client", DevHarness.callback + "/extra"),
        ("ghost", DevHarness.callback), ("other-client", DevHarness.callback),
    ])
    func noOpenRedirect(clientId: String, redirect: String) throws {
        let h = try DevHarness()
        let ticket = try self.needInfoTicket(h)
        let fields = [
            ("client_id", clientId), ("ticket", ticket), ("claims_redirect_uri", redirect), ("country", "US"),
        ]
        let page = h.send("GET", "/gather_claims", query: FormURLEncoding.query(fields))
        let submit = h.form("/gather_claims", fields)
        for response in [page, submit] {
            #expect(response.status == 400)
            #expect(DevHarness.header(response, "Location") == nil)
        }
    }

    /// The redirect percent-encodes `state`, and the submitted ticket is spent (a second POST gets
    /// `error=invalid_ticket`).
    @Test func submitEncodesStateAndSpendsTheTicket() throws {
        let h = try DevHarness()
        let ticket = try self.needInfoTicket(h)
        let first = h.gatherClaims(ticket: ticket, country: "US", city: "NY", state: "a b&c=d")
        let location = try #require(DevHarness.header(first, "Location"))
        #expect(location.contains("&state=a%20b%26c%3Dd&"))
        #expect(DevHarness.queryItems(location).first("state") == "a b&c=d")
        let second = h.gatherClaims(ticket: ticket, country: "US", city: "NY")
        let again = try #require(DevHarness.header(second, "Location"))
        #expect(DevHarness.queryItems(again).first("error") == "invalid_ticket")
        #expect(DevHarness.queryItems(again).first("ticket") == nil)
    }

    /// An expired ticket redirects with `error=expired_ticket`.
    @Test func expiredTicketRedirectsWithError() throws {
        let h = try DevHarness(ticketLifetime: 5)
        let ticket = try self.needInfoTicket(h)
        h.clock.advance(5)
        let page = h.send("GET", "/gather_claims", query: self.pageQuery(ticket: ticket))
        #expect(page.status == 302)
        let location = try #require(DevHarness.header(page, "Location"))
        #expect(DevHarness.queryItems(location).first("error") == "expired_ticket")
        #expect(DevHarness.queryItems(location).first("state") == "s")
    }

    /// A redirect URI that already has a query gets `&` parameters appended.
    @Test func redirectURIWithQueryKeepsIt() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        _ = h.oxd(
            "update-site",
            .object([
                "oxd_id": .string("demo-oxd-id"), "claims_redirect_uri": .array([.string("https://c.example/cb?x=1")]),
            ]))
        try h.protectTutorial(token: token)
        let ticket = try #require(
            DevHarness.json(h.getRPT(token: token, ticket: try h.ticket(token: token, path: "/photos/??")))["ticket"]?
                .stringValue)
        let response = h.form(
            "/gather_claims",
            [("client_id", "demo-client"), ("ticket", ticket), ("claims_redirect_uri", "https://c.example/cb?x=1")])
        #expect(DevHarness.header(response, "Location")?.hasPrefix("https://c.example/cb?x=1&ticket=") == true)
    }
}
