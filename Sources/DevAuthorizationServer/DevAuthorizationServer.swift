import Foundation
import PEPCore
import PEPProxy
import Synchronization

/// The development authorization server: an in-memory UMA 2.0 authorization server with an oxd 4.x REST facade,
/// a claims-gathering page and test hooks (DESIGN "Dev AS"; SPEC Part B §4, §5).
///
/// Transport-free: `handle(_:)` maps one whole request to one whole response, and the caller (uma-pep's own HTTP
/// server) does the I/O. Thread-safe: all state sits behind one `Mutex`; the only work done outside it is the
/// delay of an injected `hang` fault.
///
/// Endpoints (paths relative to `issuer`; JSON unless stated):
/// - oxd (`POST`, JSON body, no envelope, Part B §4): `/register-site`, `/update-site`, `/remove-site`, `/get-rp`,
///   `/get-client-token`, `/get-access-token-by-refresh-token`, `/uma-rs-protect`, `/uma-rs-check-access`,
///   `/introspect-rpt`, `/uma-rp-get-rpt`, `/uma-rp-get-claims-gathering-url`, `/get-jwks`.
/// - UMA 2.0 (Part B §5): `GET /.well-known/uma2-configuration`, `POST /token` (form), `/resource_set[/{id}]`,
///   `POST /permission`, `POST /introspect` (form), `GET|POST /gather_claims` (HTML form), `GET /jwks`.
/// - Test hooks: `GET|DELETE /_dev/calls`, `POST /_dev/tokens`, `POST|DELETE /_dev/fault`, `GET|POST /_dev/clock`,
///   `DELETE /_dev/resources`, `POST /_dev/rotate-key`.
public final class DevAuthorizationServer: Sendable {
    private let state: Mutex<DevAuthorizationServerState>
    private let issuer: String
    private let devHooksEnabled: Bool
    private let clock: @Sendable () -> Int64
    private let sleep: @Sendable (Int) -> Void

    /// Creates a server.
    /// - Parameters:
    ///   - configuration: clients, policies, lifetimes (defaults: the tutorial's `demo-client`).
    ///   - clock: the current time in epoch seconds (inject a fake in tests; `/_dev/clock` adds an offset to it).
    ///   - sleep: how an injected `hang` fault waits, in milliseconds (default: blocks the calling thread).
    /// - Throws: `DevAuthorizationServerError` when `signingKeyPEMPath` is unreadable or not RSA, or when the key
    ///   for `rptAsJWT` cannot be generated. Otherwise the key is generated on first use (JWKS or a JWT RPT).
    public init(
        configuration: DevAuthorizationServerConfiguration = DevAuthorizationServerConfiguration(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        sleep: @escaping @Sendable (Int) -> Void = { milliseconds in
            Thread.sleep(forTimeInterval: Double(max(0, milliseconds)) / 1000)
        }
    ) throws {
        var initial = DevAuthorizationServerState(configuration: configuration)
        let now = clock()
        if let path = configuration.signingKeyPEMPath {
            initial.signingKey = try RSASigningKey.load(pemPath: path, now: now)
        } else if configuration.rptAsJWT {
            initial.signingKey = try RSASigningKey.generate(now: now)
        }
        self.state = Mutex(initial)
        self.issuer = configuration.issuer
        self.devHooksEnabled = configuration.devHooksEnabled
        self.clock = clock
        self.sleep = sleep
    }

    /// Creates (or loads) the signing key now instead of on the first `/jwks` or JWT RPT, so that first request
    /// is not slowed by RSA key generation. Does nothing when a key exists.
    /// - Throws: `DevAuthorizationServerError` when generation or loading fails.
    public func prepareSigningKey() throws {
        guard self.state.withLock({ $0.signingKey == nil }) else { return }
        let now = self.clock()
        let path = self.state.withLock { $0.configuration.signingKeyPEMPath }
        let key = try path.map { try RSASigningKey.load(pemPath: $0, now: now) } ?? RSASigningKey.generate(now: now)
        self.state.withLock { state in
            if state.signingKey == nil { state.signingKey = key }
        }
    }

    /// Answers one request. Never traps on request content; unknown paths get `404 {"error":"not_found"}`.
    public func handle(_ request: HTTPRequestMessage) -> HTTPResponseMessage {
        let path = Self.localPath(request.path, issuer: self.issuer)
        if path.hasPrefix("/_dev/") {
            guard self.devHooksEnabled else { return DevResponse.notFound(path) }
            return self.state.withLock { state in
                state.handleDevTool(request, path: path, now: self.clock() + state.clockOffset)
            }
        }
        let endpoint = Self.endpointKey(path)
        let fault = self.state.withLock { $0.takeFault(endpoint: endpoint) }
        if let fault, fault.kind == .hang {
            self.sleep(fault.delayMilliseconds)
        }
        return self.state.withLock { state in
            let now = self.clock() + state.clockOffset
            let response: HTTPResponseMessage
            switch fault?.kind {
            case .status:
                response = DevResponse.error(fault?.status ?? 500, "injected_fault", "fault injected by /_dev/fault")
            case .garbage:
                response = HTTPResponseMessage(
                    status: 200, headers: [("Content-Type", "application/json")], body: Array("{\"trunc".utf8))
            case .body:
                response = HTTPResponseMessage(
                    status: fault?.status ?? 200, headers: [("Content-Type", "application/json")],
                    body: fault?.body ?? [])
            case .hang, nil:
                response = state.route(request, path: path, now: now)
            }
            state.recordCall(endpoint: endpoint, method: request.method, status: response.status, now: now)
            return response
        }
    }

    /// The request path relative to the issuer: an issuer path prefix (`/oxauth`) is removed when present.
    static func localPath(_ path: String, issuer: String) -> String {
        guard let schemeEnd = issuer.range(of: "://") else { return path }
        let afterScheme = issuer[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(of: "/") else { return path }
        let prefix = String(afterScheme[slash...])
        guard prefix != "/", path.hasPrefix(prefix + "/") else { return path }
        return String(path.dropFirst(prefix.count))
    }

    /// The call-log key of a path: `/resource_set/{id}` for resource ids, the path itself otherwise.
    static func endpointKey(_ path: String) -> String {
        if path.hasPrefix("/resource_set/") { return "/resource_set/{id}" }
        return path
    }
}

extension DevAuthorizationServerState {
    /// Dispatches to the endpoint for `path` (`_dev` hooks excluded).
    mutating func route(_ request: HTTPRequestMessage, path: String, now: Int64) -> HTTPResponseMessage {
        do {
            return try self.dispatch(request, path: path, now: now)
        } catch {
            return error.response
        }
    }

    private mutating func dispatch(
        _ request: HTTPRequestMessage, path: String, now: Int64
    ) throws(DevReply) -> HTTPResponseMessage {
        if let command = OXDCommand(rawValue: String(path.dropFirst())) {
            guard request.method == "POST" else { return DevResponse.methodNotAllowed("POST") }
            return try self.handleOXD(command, request, now: now)
        }
        switch path {
        case "/.well-known/uma2-configuration":
            guard request.method == "GET" || request.method == "HEAD" else {
                return DevResponse.methodNotAllowed("GET")
            }
            return self.discovery()
        case "/token":
            guard request.method == "POST" else { return DevResponse.methodNotAllowed("POST") }
            return try self.tokenEndpoint(request, now: now)
        case "/permission":
            guard request.method == "POST" else { return DevResponse.methodNotAllowed("POST") }
            return try self.permissionEndpoint(request, now: now)
        case "/introspect":
            guard request.method == "POST" else { return DevResponse.methodNotAllowed("POST") }
            return try self.introspectionEndpoint(request, now: now)
        case "/gather_claims":
            switch request.method {
            case "GET": return self.claimsGatheringPage(request, now: now)
            case "POST": return self.claimsGatheringSubmit(request, now: now)
            default: return DevResponse.methodNotAllowed("GET, POST")
            }
        case "/jwks":
            guard request.method == "GET" else { return DevResponse.methodNotAllowed("GET") }
            return try self.jwks(now: now)
        case "/resource_set":
            return try self.resourceSetCollection(request, now: now)
        default:
            if path.hasPrefix("/resource_set/") {
                return try self.resourceSetItem(request, id: String(path.dropFirst("/resource_set/".count)), now: now)
            }
            return DevResponse.notFound(path)
        }
    }
}

/// An early response thrown out of a handler (validation failures, auth failures).
struct DevReply: Error {
    var response: HTTPResponseMessage

    /// An error reply with the `{"error","error_description"}` body.
    static func error(
        _ status: Int, _ code: String, _ description: String, extra: [String: JSONValue] = [:],
        headers: [(name: String, value: String)] = []
    ) -> DevReply {
        DevReply(response: DevResponse.error(status, code, description, extra: extra, headers: headers))
    }
}
