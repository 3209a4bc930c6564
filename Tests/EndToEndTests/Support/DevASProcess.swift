import Foundation

/// `uma-pep dev-as --listen 127.0.0.1:0` as a process, with helpers for its test hooks (`/_dev/calls`,
/// `/_dev/tokens`, `/_dev/fault`). Its defaults are the tutorial's: clients `demo-client` / `demo-secret`
/// (oxd id `demo-oxd-id`) and `demo-claims-client`; scope `claims_read` needs country=US, city=NY; every other
/// scope is granted without a policy.
final class DevASProcess: @unchecked Sendable {
    let process: ManagedProcess
    let port: Int

    /// The tutorial's dev AS configuration (what `uma-pep dev-as` uses by default: `DemoEnvironment`), with the
    /// process-wide test signing key.
    static func configurationJSON() throws -> String {
        let redirect = [
            "http://127.0.0.1:8765/claims-callback", "http://127.0.0.1/uma/claims-callback",
            "https://127.0.0.1/uma/claims-callback", "http://localhost/uma/claims-callback",
        ]
        var object: [String: Any] = [
            "clients": [
                [
                    "client_id": "demo-client", "client_secret": "demo-secret", "oxd_id": "demo-oxd-id",
                    "claims_redirect_uri": redirect,
                ],
                [
                    "client_id": "demo-claims-client", "client_secret": "demo-claims-secret",
                    "oxd_id": "demo-claims-oxd-id", "claims_redirect_uri": redirect,
                ],
                [
                    "client_id": "demo-browser-client", "client_secret": "demo-browser-secret",
                    "oxd_id": "demo-browser-oxd-id", "claims_redirect_uri": redirect,
                ],
            ],
            "policies": [
                "read": "allow",
                "claims_read": [
                    ["name": "country", "friendly_name": "Country", "value": "US"],
                    ["name": "city", "friendly_name": "City", "value": "NY"],
                ],
            ],
        ]
        if let key = TestSigningKey.path { object["signing_key_pem"] = key }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The claims redirect URI registered for both clients.
    static let claimsRedirectURI = "http://127.0.0.1:8765/claims-callback"

    /// Starts the server; `waitUntilListening()` reads its port.
    /// - Parameter arguments: extra `dev-as` arguments (e.g. `--rpt-as-jwt`).
    init(directory: ScratchDirectory, arguments: [String] = []) throws {
        let config = try directory.write("dev-as.json", Self.configurationJSON())
        self.process = try ManagedProcess(
            name: "dev-as",
            arguments: ["dev-as", "--listen", "127.0.0.1:0", "--config", config, "--log-level", "error"] + arguments,
            directory: directory.url)
        self.port = try self.process.waitForListeners(count: 1)[0].port
    }

    /// The issuer / oxd URL (`http://127.0.0.1:<port>`).
    var url: String { "http://127.0.0.1:\(self.port)" }

    /// The oxd / AS endpoints called since the last reset, in order (e.g. `/introspect-rpt`).
    func calls() throws -> [String] {
        let response = try HTTP.request(port: self.port, "GET", "/_dev/calls", host: "127.0.0.1")
        guard response.status == 200, let calls = response.json?["calls"] as? [[String: Any]] else {
            throw E2EError.unexpected("GET /_dev/calls: \(response.status) \(response.bodyText)")
        }
        return calls.compactMap { $0["endpoint"] as? String }
    }

    /// The endpoints called since the last reset, with their statuses, in order.
    func callStatuses() throws -> [(endpoint: String, status: Int)] {
        let response = try HTTP.request(port: self.port, "GET", "/_dev/calls", host: "127.0.0.1")
        guard response.status == 200, let calls = response.json?["calls"] as? [[String: Any]] else {
            throw E2EError.unexpected("GET /_dev/calls: \(response.status) \(response.bodyText)")
        }
        return calls.map { ($0["endpoint"] as? String ?? "?", ($0["status"] as? NSNumber)?.intValue ?? 0) }
    }

    /// Per-endpoint call counts since the last reset (counts are kept even when the log is trimmed).
    func counts() throws -> [String: Int] {
        let response = try HTTP.request(port: self.port, "GET", "/_dev/calls", host: "127.0.0.1")
        guard response.status == 200, let counts = response.json?["counts"] as? [String: Any] else {
            throw E2EError.unexpected("GET /_dev/calls: \(response.status) \(response.bodyText)")
        }
        return counts.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Empties the call log.
    func resetCalls() throws {
        let response = try HTTP.request(port: self.port, "DELETE", "/_dev/calls", host: "127.0.0.1")
        guard response.status == 204 else { throw E2EError.unexpected("DELETE /_dev/calls: \(response.status)") }
    }

    /// One permission to mint: the oxd/UMA resource registered for `path` + `method`, with `scopes` (nil = all
    /// the resource's scopes).
    struct Permission {
        var path: String
        var method: String = "GET"
        var scopes: [String]?
    }

    /// Mints an RPT through `POST /_dev/tokens` and returns it.
    /// - Parameters:
    ///   - clientId: the RPT's `client_id` (default: the first client, `demo-client`).
    ///   - lifetime: seconds until `exp`.
    ///   - token: a fixed token value instead of a random one.
    ///   - claims: extra introspection members (they replace the standard ones of the same name).
    ///   - omitClaims: standard introspection members to leave out (e.g. `exp`).
    func mintToken(
        _ permissions: [Permission], clientId: String? = nil, lifetime: Int? = nil, token: String? = nil,
        claims: [String: Any] = [:], omitClaims: [String] = []
    ) throws -> String {
        var body: [String: Any] = [
            "permissions": permissions.map { p -> [String: Any] in
                var item: [String: Any] = ["resource_path": p.path, "http_method": p.method]
                if let scopes = p.scopes { item["scopes"] = scopes }
                return item
            }
        ]
        if let clientId { body["client_id"] = clientId }
        if let lifetime { body["lifetime"] = lifetime }
        if let token { body["token"] = token }
        if !claims.isEmpty { body["claims"] = claims }
        if !omitClaims.isEmpty { body["omit_claims"] = omitClaims }
        let (status, json, response) = try HTTP.postJSON(port: self.port, "/_dev/tokens", body)
        guard status == 200, let value = json?["access_token"] as? String else {
            throw E2EError.unexpected("POST /_dev/tokens: \(status) \(response.bodyText)")
        }
        return value
    }

    /// How an armed fault answers.
    enum FaultKind: String {
        /// An error status (default 500).
        case status
        /// `200` with a truncated JSON body (`{"trunc`).
        case garbage
        /// Waits `delayMs`, then answers normally.
        case hang
        /// `status` with exactly `body`.
        case body
    }

    /// Makes the next `count` calls of `endpoint` fail as `kind`.
    func fault(
        _ endpoint: String, _ kind: FaultKind, count: Int = 1, status: Int = 500, delayMs: Int = 1000,
        body: String? = nil
    ) throws {
        var request: [String: Any] = [
            "endpoint": endpoint, "kind": kind.rawValue, "count": count, "status": status, "delay_ms": delayMs,
        ]
        if let body { request["body"] = body }
        let (code, _, response) = try HTTP.postJSON(port: self.port, "/_dev/fault", request)
        guard code == 200 else { throw E2EError.unexpected("POST /_dev/fault: \(code) \(response.bodyText)") }
    }

    /// Clears every armed fault.
    func clearFaults() throws {
        let response = try HTTP.request(port: self.port, "DELETE", "/_dev/fault", host: "127.0.0.1")
        guard response.status == 204 else { throw E2EError.unexpected("DELETE /_dev/fault: \(response.status)") }
    }

    /// Makes the server forget every registered resource (`DELETE /_dev/resources`), as after a restart.
    func forgetResources() throws {
        let response = try HTTP.request(port: self.port, "DELETE", "/_dev/resources", host: "127.0.0.1")
        guard response.status == 204 else { throw E2EError.unexpected("DELETE /_dev/resources: \(response.status)") }
    }
}

/// `uma-pep upstream --listen 127.0.0.1:0`: the demo API, whose `/_echo/**` answers with what it received.
final class UpstreamProcess: @unchecked Sendable {
    let process: ManagedProcess
    let port: Int

    init(directory: ScratchDirectory) throws {
        self.process = try ManagedProcess(
            name: "upstream", arguments: ["upstream", "--listen", "127.0.0.1:0", "--log-level", "error"],
            directory: directory.url)
        self.port = try self.process.waitForListeners(count: 1)[0].port
    }

    var url: String { "http://127.0.0.1:\(self.port)" }
}
