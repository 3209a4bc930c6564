import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// The parameters shared by the page and its submission (UMA 2.0 Grant §3.3.2; SPEC Part B §5.8).
    private struct GatheringParameters {
        var client: Client
        var redirectURI: String
        var ticket: String
        var state: String
    }

    /// `GET /gather_claims?client_id&ticket&claims_redirect_uri&state`: an HTML form asking for the claims the
    /// ticket's policies need (Country and City for the tutorial policy). Unknown client or unregistered
    /// redirect URI → 400 page (never a redirect: no open redirect). Unknown/expired ticket → 302 to the
    /// registered redirect URI with `error=invalid_ticket|expired_ticket` and `state`.
    mutating func claimsGatheringPage(_ request: HTTPRequestMessage, now: Int64) -> HTTPResponseMessage {
        let fields = DevRequest.query(request)
        let parameters: GatheringParameters
        switch self.gatheringParameters(fields) {
        case .success(let p): parameters = p
        case .failure(let reply): return reply.response
        }
        let ticket: Ticket
        switch self.lookUpTicket(parameters.ticket, now: now) {
        case .unknown: return Self.redirect(parameters, [("error", "invalid_ticket")])
        case .expired: return Self.redirect(parameters, [("error", "expired_ticket")])
        case .live(let live): ticket = live
        }
        let e = DevResponse.escapeHTML
        var inputs = ""
        for claim in self.claimRequirements(for: ticket) {
            inputs +=
                "<p><label for=\"\(e(claim.name))\">\(e(claim.friendlyName))</label> "
                + "<input id=\"\(e(claim.name))\" name=\"\(e(claim.name))\" type=\"text\" "
                + "value=\"\(e(ticket.claims[claim.name] ?? ""))\"></p>\n"
        }
        let hidden = [
            ("client_id", parameters.client.clientId), ("ticket", parameters.ticket),
            ("claims_redirect_uri", parameters.redirectURI), ("state", parameters.state),
        ].map { "<input type=\"hidden\" name=\"\(e($0.0))\" value=\"\(e($0.1))\">" }.joined(separator: "\n")
        let action = Self.issuerPath(self.issuer) + "/gather_claims"
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Claims gathering</title></head>
            <body>
            <h1>Tell us about yourself</h1>
            <p>Client <code>\(e(parameters.client.clientName))</code> needs these claims to get access.</p>
            <form method="post" action="\(e(action))">
            \(hidden)
            \(inputs)<p><button type="submit">Submit</button></p>
            </form>
            </body></html>

            """
        return DevResponse.html(200, page)
    }

    /// `POST /gather_claims` (form): consumes the ticket, issues a new one carrying the submitted claims, and
    /// redirects `302` to `<registered claims_redirect_uri>?ticket=<new>&state=<state>&authorization_state=
    /// claims_submitted` (percent-encoded). Errors as for the page.
    mutating func claimsGatheringSubmit(_ request: HTTPRequestMessage, now: Int64) -> HTTPResponseMessage {
        let fields = DevRequest.form(request)
        let parameters: GatheringParameters
        switch self.gatheringParameters(fields) {
        case .success(let p): parameters = p
        case .failure(let reply): return reply.response
        }
        let ticket: Ticket
        switch self.lookUpTicket(parameters.ticket, now: now) {
        case .unknown: return Self.redirect(parameters, [("error", "invalid_ticket")])
        case .expired: return Self.redirect(parameters, [("error", "expired_ticket")])
        case .live(let live): ticket = live
        }
        var claims = ticket.claims
        for claim in self.claimRequirements(for: ticket) {
            if let value = fields.first(claim.name)?.trimmingSpaces(), !value.isEmpty { claims[claim.name] = value }
        }
        self.tickets[parameters.ticket] = nil
        let next = self.issueTicket(ticket.permissions, owner: ticket.ownerClientId, claims: claims, now: now)
        return Self.redirect(parameters, [("ticket", next), ("authorization_state", "claims_submitted")])
    }

    /// Validates `client_id` and `claims_redirect_uri` (exact match with a registered URI) and reads `ticket`
    /// and `state`; failures are 400 HTML pages.
    private func gatheringParameters(_ fields: [(name: String, value: String)]) -> Result<GatheringParameters, DevReply>
    {
        guard let clientId = fields.first("client_id"), let client = self.clients[clientId] else {
            return .failure(Self.errorPage("invalid_client_id", "The client_id is missing or unknown."))
        }
        guard let redirect = fields.first("claims_redirect_uri"),
            Self.isRegisteredClaimsRedirect(redirect, registered: client.claimsRedirectURIs)
        else {
            return .failure(
                Self.errorPage(
                    "invalid_claims_redirect_uri", "The claims_redirect_uri is not registered for the client."))
        }
        return .success(
            GatheringParameters(
                client: client, redirectURI: redirect, ticket: fields.first("ticket") ?? "",
                state: fields.first("state") ?? ""))
    }

    /// The claims to ask for: those of the ticket's scopes' policies, else of every configured policy, else the
    /// tutorial's Country and City.
    func claimRequirements(for ticket: Ticket) -> [DevClaimRequirement] {
        var out: [DevClaimRequirement] = []
        func add(_ claims: [DevClaimRequirement]) {
            for claim in claims where !out.contains(where: { $0.name == claim.name }) { out.append(claim) }
        }
        for permission in ticket.permissions {
            let data = self.resources[permission.resourceId]?.scopeExpression.flatMap { DevRequest.strings($0["data"]) }
            for scope in data ?? permission.scopes { add(self.configuration.policy(for: scope).requiredClaims) }
        }
        if out.isEmpty {
            for scope in self.configuration.policies.keys.sorted() {
                add(self.configuration.policy(for: scope).requiredClaims)
            }
            add(self.configuration.defaultPolicy.requiredClaims)
        }
        if out.isEmpty { add(DevScopePolicy.tutorialCountryCity.requiredClaims) }
        return out
    }

    /// `302` to the registered redirect URI with `pairs` and then `state` (when non-empty).
    private static func redirect(_ parameters: GatheringParameters, _ pairs: [(String, String)]) -> HTTPResponseMessage
    {
        var query = pairs
        if !parameters.state.isEmpty { query.insert(("state", parameters.state), at: min(1, query.count)) }
        let location = FormURLEncoding.appending(query, to: parameters.redirectURI)
        return HTTPResponseMessage(
            status: 302, headers: [("Location", location), ("Cache-Control", "no-store")], body: [])
    }

    /// Whether `requested` is one of the `registered` claims redirect URIs: an exact match, or — for a registered
    /// loopback URI without a port (`http://127.0.0.1/cb`, `http://[::1]/cb`, `http://localhost/cb`) — the same URI
    /// with any port (RFC 8252 §7.3: loopback redirect URIs may use any port, chosen when the request is made).
    /// That is how a gateway on an ephemeral port registers its callback.
    static func isRegisteredClaimsRedirect(_ requested: String, registered: [String]) -> Bool {
        if registered.contains(requested) { return true }
        for uri in registered {
            for scheme in ["http://", "https://"] where uri.hasPrefix(scheme) {
                let rest = uri.dropFirst(scheme.count)
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                let host = rest[..<slash]
                let path = rest[slash...]
                guard ["127.0.0.1", "[::1]", "localhost"].contains(String(host)) else { continue }
                let prefix = scheme + host + ":"
                guard requested.hasPrefix(prefix) else { continue }
                let tail = requested.dropFirst(prefix.count)
                let digits = tail.prefix { $0.isASCII && $0.isNumber }
                guard (1...5).contains(digits.count), tail.dropFirst(digits.count) == path else { continue }
                return true
            }
        }
        return false
    }

    private static func errorPage(_ code: String, _ message: String) -> DevReply {
        let page =
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(code)</title></head>"
            + "<body><h1>\(code)</h1><p>\(DevResponse.escapeHTML(message))</p></body></html>\n"
        return DevReply(response: DevResponse.html(400, page))
    }

    /// The path part of the issuer (`""` for `http://host:port`).
    static func issuerPath(_ issuer: String) -> String {
        guard let scheme = issuer.range(of: "://") else { return "" }
        let rest = issuer[scheme.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
    }
}
