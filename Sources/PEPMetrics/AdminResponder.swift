import PEPProxy

/// The readiness probe's inputs: overall readiness and one line per check (e.g. `config` → `ok`,
/// `authorization_server` → `unreachable`, `protection_token` → `ok`). Called on a worker thread per
/// `/readyz` request: return cached state, never do I/O.
public typealias ReadinessProbe = @Sendable () -> (ready: Bool, checks: [String: String])

/// Answers the admin listener (SPEC A10; SECURITY 31):
///
/// | Request | Response |
/// |---|---|
/// | `GET /metrics`, `GET /gluu-metrics` (Gluu Gateway's path, Part B §1.3) | `200`, `text/plain; version=0.0.4` |
/// | `GET /healthz` | `200 {"status":"ok"}` (the process is serving) |
/// | `GET /readyz` | `200` / `503` `{"status":"ready"\|"not_ready","checks":{…}}`, keys sorted |
/// | `HEAD` on those paths | the `GET` answer without a body (load-balancer health checks) |
/// | any other method on those paths | `405` + `Allow: GET, HEAD` |
/// | any other path | `404 {"message":"Not found"}` |
///
/// Query strings are ignored. Every route is read-only. The admin listener binds `127.0.0.1` by default
/// (config's job) and is never reachable through the data-plane port (SECURITY 31). The admin API (`/status`,
/// `/config`, `/services`, `/cache`, `POST /cache/flush`, `POST /reload`, …) is `UMAPEPRuntime.AdminAPI`, which
/// hands every other path to this responder; its mutating calls require `admin.token`.
public struct AdminResponder: HTTPResponder {
    /// The Prometheus text format content type (exposition format 0.0.4).
    public static let metricsContentType = "text/plain; version=0.0.4"

    private let metrics: PEPMetrics
    private let readiness: ReadinessProbe

    /// Creates the responder.
    /// - Parameters:
    ///   - metrics: whose ``PEPMetrics/exposition()`` `/metrics` serves.
    ///   - readiness: evaluated per `/readyz` request.
    public init(metrics: PEPMetrics, readiness: @escaping ReadinessProbe) {
        self.metrics = metrics
        self.readiness = readiness
    }

    /// Answers synchronously (see the table above).
    /// - Parameters:
    ///   - request: the admin request.
    ///   - completion: called exactly once, before this returns.
    public func respond(
        to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void
    ) {
        completion(self.response(to: request))
    }

    /// The response for `request`.
    /// - Parameter request: the admin request.
    /// - Returns: the response per the routing table.
    public func response(to request: HTTPRequestMessage) -> HTTPResponseMessage {
        let route: Route
        switch request.path {
        case "/metrics", "/gluu-metrics": route = .metrics
        case "/healthz": route = .health
        case "/readyz": route = .readiness
        default: return .json(404, #"{"message":"Not found"}"#)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .json(405, #"{"message":"Method not allowed"}"#, headers: [("Allow", "GET, HEAD")])
        }
        switch route {
        case .metrics:
            return HTTPResponseMessage(
                status: 200, headers: [("Content-Type", Self.metricsContentType)],
                body: Array(self.metrics.exposition().utf8))
        case .health:
            return .json(200, #"{"status":"ok"}"#)
        case .readiness:
            let state = self.readiness()
            return .json(state.ready ? 200 : 503, Self.readinessBody(ready: state.ready, checks: state.checks))
        }
    }

    private enum Route {
        case metrics
        case health
        case readiness
    }

    /// `{"status":"ready"|"not_ready","checks":{"<name>":"<value>",…}}` with check names sorted.
    static func readinessBody(ready: Bool, checks: [String: String]) -> String {
        var body = #"{"status":""# + (ready ? "ready" : "not_ready") + #"","checks":{"#
        for (offset, name) in checks.keys.sorted().enumerated() {
            if offset > 0 {
                body += ","
            }
            body += Self.jsonString(name) + ":" + Self.jsonString(checks[name] ?? "")
        }
        return body + "}}"
    }

    /// A JSON string literal (RFC 8259 §7): quote, backslash and control characters escaped.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
