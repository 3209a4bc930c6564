import Foundation

/// The tutorial's requesting party done with raw requests (SPEC Part B §4.10; UMA 2.0 Grant §3): what `gg-demo`
/// did with curl-like calls, against the dev AS's oxd API or its UMA 2.0 token endpoint, and its claims page.
struct TutorialClient {
    /// How the RPT is obtained.
    enum Style: String, CustomStringConvertible, CaseIterable {
        /// `/get-client-token` then `/uma-rp-get-rpt` (and `/uma-rp-get-claims-gathering-url`).
        case oxd
        /// The UMA 2.0 token endpoint found through discovery (grant `uma-ticket`, client Basic auth).
        case uma2
        var description: String { self.rawValue }
    }

    let asPort: Int
    let asURL: String
    let clientId: String
    let clientSecret: String
    let oxdId: String
    let style: Style

    /// The answer to an RPT request: an RPT, or a `need_info` (with its ticket and `redirect_user`), or another
    /// error (status and body).
    enum RPTAnswer {
        case rpt(String)
        case needInfo(ticket: String, redirectUser: String?, requiredClaims: [String])
        case error(status: Int, code: String?)
    }

    /// Step 2/3 (or 5): exchanges `ticket` for an RPT.
    func requestRPT(ticket: String) throws -> RPTAnswer {
        let status: Int
        let json: [String: Any]?
        switch self.style {
        case .oxd:
            let (s, j, _) = try HTTP.postJSON(
                port: self.asPort, "/uma-rp-get-rpt", ["oxd_id": self.oxdId, "ticket": ticket],
                headers: [("Authorization", "Bearer \(try self.clientToken())")])
            (status, json) = (s, j)
        case .uma2:
            let endpoint = try self.discover("token_endpoint")
            let basic = Data("\(self.clientId):\(self.clientSecret)".utf8).base64EncodedString()
            let response = try HTTP.postForm(
                port: self.asPort, endpoint,
                [("grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket"), ("ticket", ticket)],
                headers: [("Authorization", "Basic \(basic)")])
            (status, json) = (response.status, response.json)
        }
        if status == 200, let token = json?["access_token"] as? String { return .rpt(token) }
        if status == 403, json?["error"] as? String == "need_info", let next = json?["ticket"] as? String {
            let claims = (json?["required_claims"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            return .needInfo(ticket: next, redirectUser: json?["redirect_user"] as? String, requiredClaims: claims)
        }
        return .error(status: status, code: json?["error"] as? String)
    }

    /// oxd `/get-client-token` with the tutorial's scopes.
    func clientToken() throws -> String {
        let (status, json, response) = try HTTP.postJSON(
            port: self.asPort, "/get-client-token",
            [
                "client_id": self.clientId, "client_secret": self.clientSecret, "op_host": self.asURL,
                "scope": ["oxd", "openid"],
            ])
        guard status == 200, let token = json?["access_token"] as? String else {
            throw E2EError.unexpected("get-client-token: \(status) \(response.bodyText)")
        }
        return token
    }

    /// A member of the AS's `/.well-known/uma2-configuration`, as a local path.
    func discover(_ member: String) throws -> String {
        let response = try HTTP.request(
            port: self.asPort, "GET", "/.well-known/uma2-configuration", host: "127.0.0.1:\(self.asPort)")
        guard response.status == 200, let url = response.json?[member] as? String, url.hasPrefix(self.asURL) else {
            throw E2EError.unexpected("discovery: \(response.status) \(response.bodyText)")
        }
        return String(url.dropFirst(self.asURL.count))
    }

    /// Step 3/4 of claims gathering: the claims page URL for a need_info ticket (oxd:
    /// `/uma-rp-get-claims-gathering-url`; UMA 2.0: `redirect_user` + `claims_redirect_uri` + `state`).
    func claimsGatheringURL(ticket: String, redirectUser: String?, state: String) throws -> String {
        switch self.style {
        case .oxd:
            let (status, json, response) = try HTTP.postJSON(
                port: self.asPort, "/uma-rp-get-claims-gathering-url",
                [
                    "oxd_id": self.oxdId, "ticket": ticket, "claims_redirect_uri": DevASProcess.claimsRedirectURI,
                    "state": state,
                ], headers: [("Authorization", "Bearer \(try self.clientToken())")])
            guard status == 200, let url = json?["url"] as? String else {
                throw E2EError.unexpected("claims-gathering-url: \(status) \(response.bodyText)")
            }
            return url
        case .uma2:
            guard let redirectUser else { throw E2EError.unexpected("need_info without redirect_user") }
            return redirectUser + "&claims_redirect_uri=" + HTTP.formEncode(DevASProcess.claimsRedirectURI)
                + "&state=" + HTTP.formEncode(state)
        }
    }

    /// Opens the claims page, fills its form with `claims` (like a browser: hidden fields from the page) and
    /// submits it. Returns the redirect's query items (`ticket`, `state`, or `error`).
    func submitClaims(pageURL: String, claims: [(String, String)]) throws -> [String: String] {
        guard pageURL.hasPrefix(self.asURL) else { throw E2EError.unexpected("claims page elsewhere: \(pageURL)") }
        let page = try HTTP.request(
            port: self.asPort, "GET", String(pageURL.dropFirst(self.asURL.count)), host: "127.0.0.1:\(self.asPort)")
        guard page.status == 200 else { throw E2EError.unexpected("claims page: \(page.status) \(page.bodyText)") }
        let html = page.bodyText
        for (name, _) in claims where !html.contains("name=\"\(name)\"") {
            throw E2EError.unexpected("the claims page has no field \(name)")
        }
        let action = Self.attribute("action", in: html.range(of: "<form").map { String(html[$0.lowerBound...]) } ?? "")
        let fields = Self.hiddenFields(html) + claims
        let response = try HTTP.postForm(port: self.asPort, action ?? "/gather_claims", fields)
        guard response.status == 302, let location = response.header("Location"),
            location.hasPrefix(DevASProcess.claimsRedirectURI + "?")
        else { throw E2EError.unexpected("claims form: \(response.status) \(response.header("Location") ?? "")") }
        var items: [String: String] = [:]
        for item in URLComponents(string: location)?.queryItems ?? [] { items[item.name] = item.value ?? "" }
        return items
    }

    /// `<input type="hidden" name="…" value="…">` pairs of a page, HTML entities decoded.
    static func hiddenFields(_ html: String) -> [(String, String)] {
        html.components(separatedBy: "<input").dropFirst().compactMap { tag in
            let end = tag.firstIndex(of: ">").map { String(tag[..<$0]) } ?? tag
            guard end.contains("type=\"hidden\""), let name = Self.attribute("name", in: end),
                let value = Self.attribute("value", in: end)
            else { return nil }
            return (name, value)
        }
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        let rest = tag[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
