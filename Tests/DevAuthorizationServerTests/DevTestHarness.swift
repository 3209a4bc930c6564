import Foundation
import PEPCore
import PEPProxy
import Synchronization
import Testing

@testable import DevAuthorizationServer

/// A settable clock for the server under test (epoch seconds).
final class TestClock: Sendable {
    private let value = Mutex<Int64>(1_700_000_000)

    /// The current fake time.
    var now: Int64 { self.value.withLock { $0 } }

    /// Moves time forward.
    func advance(_ seconds: Int64) {
        self.value.withLock { $0 += seconds }
    }
}

/// A server with a fake clock and helpers to speak oxd / UMA 2.0 to it at handler level.
struct DevHarness {
    static let callback = "https://client.example/cb"
    static let issuer = "http://as.test:8443"
    static let tutorialPolicies: [String: DevScopePolicy] = ["with-claims": .tutorialCountryCity, "never": .deny]

    let server: DevAuthorizationServer
    let clock: TestClock

    init(
        policies: [String: DevScopePolicy] = DevHarness.tutorialPolicies, rptAsJWT: Bool = false,
        ticketLifetime: Int64 = 3600, sleep: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws {
        let clock = TestClock()
        let configuration = DevAuthorizationServerConfiguration(
            issuer: DevHarness.issuer,
            clients: [
                DevClient(claimsRedirectURIs: [DevHarness.callback]),
                DevClient(clientId: "other-client", clientSecret: "other-secret", oxdId: "other-oxd-id"),
            ],
            policies: policies, ticketLifetimeSeconds: ticketLifetime, rptAsJWT: rptAsJWT)
        self.server = try DevAuthorizationServer(configuration: configuration, clock: { clock.now }, sleep: sleep)
        self.clock = clock
    }

    // MARK: Transport-free requests

    func send(
        _ method: String, _ path: String, query: String? = nil, headers: [(name: String, value: String)] = [],
        body: String = ""
    ) -> HTTPResponseMessage {
        self.server.handle(
            HTTPRequestMessage(method: method, path: path, query: query, headers: headers, body: Array(body.utf8)))
    }

    /// `POST /<command>` with a JSON body and optional bearer token.
    func oxd(_ command: String, _ body: JSONValue, token: String? = nil) -> HTTPResponseMessage {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        return self.send("POST", "/" + command, headers: headers, body: JSONText.render(body))
    }

    /// `POST <path>` with a form body.
    func form(
        _ path: String, _ pairs: [(String, String)], headers: [(name: String, value: String)] = []
    ) -> HTTPResponseMessage {
        self.send(
            "POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers,
            body: FormURLEncoding.query(pairs))
    }

    // MARK: Flows

    /// An oxd access token for `demo-client` with scopes `oxd openid`.
    func clientToken(clientId: String = "demo-client", secret: String = "demo-secret") throws -> String {
        let response = self.oxd(
            "get-client-token",
            .object([
                "client_id": .string(clientId), "client_secret": .string(secret), "op_host": .string(DevHarness.issuer),
                "scope": .array([.string("oxd"), .string("openid")]),
            ]))
        try #require(response.status == 200)
        return try #require(Self.json(response)["access_token"]?.stringValue)
    }

    /// Protects the tutorial's two services: `/posts/??` (GET `read`, POST `write`) and `/photos/??` (GET
    /// `with-claims`).
    func protectTutorial(token: String) throws {
        let document = try #require(
            JSONText.parse(
                """
                [{"path": "/posts/??", "conditions": [{"httpMethods": ["GET"], "scopes": ["read"]},
                                                       {"httpMethods": ["POST"], "scopes": ["write"]}]},
                 {"path": "/photos/??", "conditions": [{"httpMethods": ["GET"], "scopes": ["with-claims"]}]}]
                """))
        let response = self.oxd(
            "uma-rs-protect", .object(["oxd_id": .string("demo-oxd-id"), "resources": document]), token: token)
        try #require(response.status == 200)
    }

    /// `uma-rs-check-access` for demo-oxd-id.
    func checkAccess(token: String, rpt: String, path: String, method: String = "GET") -> HTTPResponseMessage {
        self.oxd(
            "uma-rs-check-access",
            .object([
                "oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt), "path": .string(path),
                "http_method": .string(method),
            ]), token: token)
    }

    /// A fresh ticket from a denied check-access.
    func ticket(token: String, path: String, method: String = "GET") throws -> String {
        let response = self.checkAccess(token: token, rpt: "", path: path, method: method)
        try #require(response.status == 200)
        return try #require(Self.json(response)["ticket"]?.stringValue)
    }

    /// `uma-rp-get-rpt` for demo-oxd-id.
    func getRPT(token: String, ticket: String, extra: [String: JSONValue] = [:]) -> HTTPResponseMessage {
        var body: [String: JSONValue] = ["oxd_id": .string("demo-oxd-id"), "ticket": .string(ticket)]
        for (key, value) in extra { body[key] = value }
        return self.oxd("uma-rp-get-rpt", .object(body), token: token)
    }

    /// Runs the claims-gathering form for `ticket` with the given claims; returns the 302 response.
    func gatherClaims(ticket: String, country: String, city: String, state: String = "s1") -> HTTPResponseMessage {
        self.form(
            "/gather_claims",
            [
                ("client_id", "demo-client"), ("ticket", ticket), ("claims_redirect_uri", DevHarness.callback),
                ("state", state), ("country", country), ("city", city),
            ])
    }

    /// A PAT for `demo-client` from the token endpoint.
    func pat() throws -> String {
        let response = self.form(
            "/token", [("grant_type", "client_credentials"), ("scope", "uma_protection")],
            headers: [("Authorization", Self.basic("demo-client", "demo-secret"))])
        try #require(response.status == 200)
        return try #require(Self.json(response)["access_token"]?.stringValue)
    }

    // MARK: Decoding

    static func json(_ response: HTTPResponseMessage) -> JSONValue {
        JSONText.parse(response.body) ?? .null
    }

    static func text(_ response: HTTPResponseMessage) -> String {
        String(decoding: response.body, as: UTF8.self)
    }

    static func header(_ response: HTTPResponseMessage, _ name: String) -> String? {
        response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data((id + ":" + secret).utf8).base64EncodedString()
    }

    /// The query parameters of a URL.
    static func queryItems(_ url: String) -> [(name: String, value: String)] {
        guard let q = url.firstIndex(of: "?") else { return [] }
        return FormURLEncoding.parse(String(url[url.index(after: q)...]))
    }

    /// The error code of an error response.
    static func error(_ response: HTTPResponseMessage) -> String? {
        self.json(response)["error"]?.stringValue
    }
}
