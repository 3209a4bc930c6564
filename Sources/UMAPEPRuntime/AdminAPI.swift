import Foundation
import PEPCore
import PEPMetrics
import PEPProxy

/// The admin API on the admin listener, next to `/metrics`, `/healthz` and `/readyz` (which ``AdminResponder``
/// keeps answering); docs/operations.md "Admin API" shows every call with an example.
///
/// | Request | Answer |
/// |---|---|
/// | `GET /status` | process, connections, requests, configuration generation, services not enforcing |
/// | `GET /config` | the running configuration as JSON, secrets `REDACTED` |
/// | `GET /services` | compiled routes and rules, as `check-config` prints them |
/// | `GET /services/{name}/match?method=M&path=P` | the rule and condition a request would hit, and what it requires |
/// | `GET /cache` | entries, hits, misses, evictions per cache |
/// | `POST /cache/flush` | body `{}`, `{"service":"name"}` or `{"token":"…"}`; needs `admin.token` |
/// | `POST /reload` | as SIGHUP; `200` with the result or `422` with the error that kept the old configuration; needs `admin.token` |
///
/// Every answer is JSON. `HEAD` is answered like `GET` without a body; another method on a known path gets
/// `405` + `Allow`. The mutating calls need `Authorization: Bearer <admin.token>`: a missing or wrong token gets
/// `401` + `WWW-Authenticate: Bearer realm="uma-pep admin"` (RFC 6750 §3); without `admin.token` configured they
/// get `403`. The token is compared in constant time and never logged.
///
/// Runs on the worker that read the admin request; `POST /reload` continues on a dispatch queue and answers when
/// the reload is done, so a worker never waits for a configuration to compile.
struct AdminAPI: HTTPResponder {
    /// `/metrics`, `/healthz`, `/readyz` and the `404` for unknown paths.
    let base: AdminResponder
    let handle: AdminHandle
    /// `admin.token`, or `nil`.
    let token: ConfigSecret?

    /// What an admin request asks for.
    enum Route: Equatable {
        case status
        case config
        case services
        case match(service: String)
        case cache
        case flush
        case reload
        /// A known path with a method it does not take; `allow` is the `Allow` value.
        case methodNotAllowed(allow: String)
        /// Not an admin API path: ``AdminResponder`` answers it.
        case other
    }

    /// Routes `method path` (pure).
    static func route(method: String, path: String) -> Route {
        let read = method == "GET" || method == "HEAD"
        func reading(_ route: Route) -> Route { read ? route : .methodNotAllowed(allow: "GET, HEAD") }
        func posting(_ route: Route) -> Route { method == "POST" ? route : .methodNotAllowed(allow: "POST") }
        switch path {
        case "/status": return reading(.status)
        case "/config": return reading(.config)
        case "/services": return reading(.services)
        case "/cache": return reading(.cache)
        case "/cache/flush": return posting(.flush)
        case "/reload": return posting(.reload)
        default: break
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].isEmpty, parts[1] == "services", !parts[2].isEmpty, parts[3] == "match" {
            return reading(.match(service: String(parts[2])))
        }
        return .other
    }

    /// Whether a mutating call may proceed (pure).
    enum Authorization: Equatable {
        case allowed
        /// No `admin.token` is configured (`403`).
        case disabled
        /// Missing or wrong bearer token (`401`).
        case unauthorized
    }

    /// Checks `Authorization: Bearer <token>` against `admin.token` in constant time (for equal lengths).
    static func authorize(header: String?, token: ConfigSecret?) -> Authorization {
        guard let token else { return .disabled }
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return .unauthorized }
        return Self.constantTimeEquals(Array(header.utf8.dropFirst(7)), Array(token.value.utf8))
            ? .allowed : .unauthorized
    }

    /// Byte equality whose time depends only on the lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0xFF)
        }
        return difference == 0
    }

    func respond(to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void) {
        let route = Self.route(method: request.method, path: request.path)
        if case .other = route { return completion(self.base.response(to: request)) }
        if case .methodNotAllowed(let allow) = route {
            return completion(.json(405, #"{"message":"Method not allowed"}"#, headers: [("Allow", allow)]))
        }
        guard let runtime = self.handle.runtime else {
            return completion(.json(503, #"{"message":"Starting"}"#))
        }
        if route == .flush || route == .reload {
            switch Self.authorize(header: request.header("Authorization"), token: self.token) {
            case .allowed: break
            case .disabled:
                return completion(
                    .json(403, #"{"message":"admin.token is not set: POST /cache/flush and POST /reload are off"}"#))
            case .unauthorized:
                return completion(
                    .json(
                        401, #"{"message":"Unauthorized"}"#,
                        headers: [("WWW-Authenticate", #"Bearer realm="uma-pep admin""#)]))
            }
        }
        // The server leaves out the body of a HEAD answer (keeping its Content-Length).
        @Sendable func send(_ status: Int, _ body: JSONValue) {
            completion(.json(status, JSONCodec.serializeToString(body) + "\n"))
        }
        switch route {
        case .status: send(200, runtime.adminStatus())
        case .config: send(200, runtime.adminConfig())
        case .services: send(200, runtime.adminServices())
        case .cache: send(200, runtime.adminCaches())
        case .match(let service):
            let answer = runtime.adminMatch(service: service, query: request.query)
            send(answer.status, answer.body)
        case .flush:
            let answer = runtime.adminFlush(body: request.body)
            send(answer.status, answer.body)
        case .reload:
            DispatchQueue.global().async {
                let report = runtime.reload(trigger: "POST /reload")
                send(report.reloaded ? 200 : 422, report.json)
            }
        case .methodNotAllowed, .other: break
        }
    }
}

/// The runtime the admin API answers for, set once `PEPRuntime.init` has finished (the responder is built
/// before the runtime exists); held weakly so the listener does not keep a stopped runtime alive.
final class AdminHandle: @unchecked Sendable {
    private let lock = NSLock()
    private weak var value: PEPRuntime?

    var runtime: PEPRuntime? { self.lock.withLock { self.value } }

    func set(_ runtime: PEPRuntime) {
        self.lock.withLock { self.value = runtime }
    }
}

extension ReloadReport {
    /// `POST /reload`'s answer body.
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "reloaded": .bool(self.reloaded), "generation": .int(Int64(self.generation)),
            "warnings": .array(self.warnings.map(JSONValue.string)),
            "advisories": .array(self.advisories.map(JSONValue.string)),
            "tls_listeners_reloaded": .int(Int64(self.tlsListeners)),
        ]
        if let error = self.error { object["error"] = .string(error) }
        if let tlsError = self.tlsError { object["tls_error"] = .string(tlsError) }
        return .object(object)
    }
}
