import DevAuthorizationServer
import Foundation
import Logging
import PEPCore
import PEPProxy
import Synchronization

/// `uma-pep demo`: the embedded default — the development authorization server (oxd API + UMA 2.0), the demo
/// upstream API and the proxy running `Config/tutorial.yaml`, all on loopback (DESIGN.md "The product in one
/// picture", issue "The Gluu UMA tutorial on one machine").
public final class DemoEnvironment: @unchecked Sendable {
    /// Where each part listens; port 0 picks a free port (tests, `--self-test`).
    public struct Ports: Sendable {
        public var proxy: Int
        public var admin: Int
        public var authorizationServer: Int
        public var upstream: Int

        /// The tutorial's ports: proxy 8000, admin 8001, authorization server 8443, upstream 9000.
        public static let tutorial = Ports(proxy: 8000, admin: 8001, authorizationServer: 8443, upstream: 9000)
        /// Free ports chosen by the system.
        public static let ephemeral = Ports(proxy: 0, admin: 0, authorizationServer: 0, upstream: 0)

        public init(proxy: Int, admin: Int, authorizationServer: Int, upstream: Int) {
            self.proxy = proxy
            self.admin = admin
            self.authorizationServer = authorizationServer
            self.upstream = upstream
        }
    }

    /// The bound addresses, known after `start()`.
    public struct Addresses: Sendable {
        public var proxy: SocketAddress
        public var admin: SocketAddress
        public var authorizationServer: SocketAddress
        public var upstream: SocketAddress
        /// `https` when the demo runs with development certificates (`demo --tls`), else `http`.
        public var scheme = "http"
        /// The development CA certificate (`demo --tls`): the trust anchor for curl, `rp --ca-file`, the proxy.
        public var caCertificatePath: String?

        /// `http(s)://127.0.0.1:<port>` of the authorization server (its issuer / oxd URL).
        public var authorizationServerURL: String { "\(self.scheme)://\(self.authorizationServer)" }
    }

    /// The demo's oxd registrations (SPEC Part B §4): one per tutorial service, as Gluu Gateway had one per
    /// plugin configuration.
    public static let clients: [(clientId: String, secret: String, oxdId: String)] = [
        ("demo-client", "demo-secret", "demo-oxd-id"),
        ("demo-claims-client", "demo-claims-secret", "demo-claims-oxd-id"),
        ("demo-browser-client", "demo-browser-secret", "demo-browser-oxd-id"),
    ]

    /// The claims redirect URI registered for the demo clients (`uma-pep rp` listens there by default).
    public static let claimsRedirectURI = "http://127.0.0.1:8765/claims-callback"

    /// The gateway's own claims callback (`claims_redirect_path` of the `browser` service), registered as loopback
    /// URIs without a port: the development AS accepts them on any port (RFC 8252 §7.3), so the proxy's port —
    /// 8000, or a free one in tests — needs no registration of its own.
    public static let gatewayClaimsRedirectURIs = [
        "http://127.0.0.1/uma/claims-callback", "https://127.0.0.1/uma/claims-callback",
        "http://localhost/uma/claims-callback", "https://localhost/uma/claims-callback",
    ]

    private let ports: Ports
    private let logger: Logger
    private let accessLog: Bool
    /// Where development certificates are written (`demo --tls`); `nil` = plain HTTP everywhere.
    private let tlsDirectory: String?
    private var localServer: HTTPServer?
    private var runtime: PEPRuntime?
    /// The development authorization server (tests read its call log through HTTP instead).
    public private(set) var authorizationServer: DevAuthorizationServer?
    public private(set) var addresses: Addresses?
    /// Issue RPTs as RS256 JWTs (`demo --rpt-as-jwt`): the proxy then verifies them locally (`jwt_rpts`). Set
    /// before `start()`.
    public var rptAsJWT = false

    /// - Parameter tlsDirectory: when set, a development CA and certificates are generated there and every part
    ///   (proxy, authorization server, demo API) speaks HTTPS, verified against that CA.
    public init(ports: Ports, logger: Logger, accessLog: Bool = true, tlsDirectory: String? = nil) {
        self.ports = ports
        self.logger = logger
        self.accessLog = accessLog
        self.tlsDirectory = tlsDirectory
    }

    /// Starts the authorization server and the upstream, then the proxy with the tutorial configuration pointing
    /// at them.
    ///
    /// - Throws: a bind error naming the address (a port in use), or a configuration error.
    @discardableResult
    public func start() throws -> Addresses {
        let tls = try self.tlsDirectory.map { try DemoTLS(directory: $0) }
        let scheme = tls == nil ? "http" : "https"
        let asResponder = DeferredResponder()
        let local = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(host: "127.0.0.1", port: self.ports.authorizationServer),
                    role: .local(asResponder), name: "dev-as", tls: tls?.serverContext),
                .init(
                    address: try SocketAddress(host: "127.0.0.1", port: self.ports.upstream),
                    role: .local(DemoUpstreamResponder()), name: "upstream", tls: tls?.serverContext),
            ], workers: 1, limits: ServerLimits(), logger: self.logger)
        let bound = try local.start()
        self.localServer = local
        do {
            return try self.startProxy(tls: tls, scheme: scheme, bound: bound, asResponder: asResponder)
        } catch {
            // The development AS and the upstream are running: stop them before reporting (the caller exits).
            local.shutdown(graceful: false)
            self.localServer = nil
            throw error
        }
    }

    private func startProxy(
        tls: DemoTLS?, scheme: String, bound: [SocketAddress], asResponder: DeferredResponder
    ) throws -> Addresses {
        let issuer = "\(scheme)://\(bound[0])"
        var asConfiguration = Self.authorizationServerConfiguration(issuer: issuer)
        asConfiguration.rptAsJWT = self.rptAsJWT
        let server = try DevAuthorizationServer(configuration: asConfiguration)
        try server.prepareSigningKey()
        asResponder.set(DevAuthorizationServerResponder(server: server))
        self.authorizationServer = server

        let environment = [
            "UMA_PEP_LISTEN": "127.0.0.1:\(self.ports.proxy)",
            "UMA_PEP_ADMIN_LISTEN": "127.0.0.1:\(self.ports.admin)",
            "OXD_URL": issuer, "OP_URL": issuer,
            "DEMO_UPSTREAM_URL": "\(scheme)://\(bound[1])",
        ]
        var configuration: PEPConfiguration
        do {
            configuration = try ConfigLoader.load(
                text: TutorialConfiguration.yaml, fileName: "tutorial.yaml (embedded)", environment: environment,
                coreCount: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw RuntimeError("\(error)")
        }
        if let tls { configuration = tls.apply(to: configuration) }
        let runtime = try PEPRuntime(configuration: configuration, logger: self.logger, accessLog: self.accessLog)
        let proxy = try runtime.start()
        self.runtime = runtime
        let addresses = Addresses(
            proxy: proxy.proxy[0], admin: proxy.admin, authorizationServer: bound[0], upstream: bound[1],
            scheme: scheme, caCertificatePath: tls?.files.caCertificatePath)
        self.addresses = addresses
        return addresses
    }

    /// The development authorization server's configuration for the tutorial: the three clients, `read` granted
    /// without policy, `claims_read` guarded by the tutorial's Country = US / City = NY policy.
    public static func authorizationServerConfiguration(issuer: String) -> DevAuthorizationServerConfiguration {
        DevAuthorizationServerConfiguration(
            issuer: issuer,
            clients: Self.clients.map {
                DevClient(
                    clientId: $0.clientId, clientSecret: $0.secret, oxdId: $0.oxdId,
                    claimsRedirectURIs: [Self.claimsRedirectURI] + Self.gatewayClaimsRedirectURIs)
            },
            policies: ["read": .allow, "claims_read": .tutorialCountryCity])
    }

    /// Waits until the proxy reports ready (resources registered) or `timeout` passes.
    public func waitUntilReady(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.runtime?.readinessSnapshot().ready == true { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// Readiness detail (for messages when `waitUntilReady` fails).
    public var readiness: [String: String] { self.runtime?.readinessSnapshot().checks ?? [:] }

    /// Stops everything (graceful drain of the proxy).
    public func shutdown() {
        self.runtime?.shutdown()
        self.localServer?.shutdown(graceful: false)
    }

    /// Blocks until the proxy has stopped.
    public func waitUntilStopped() {
        self.runtime?.waitUntilStopped()
    }
}

/// Serves the development authorization server's handlers on uma-pep's own HTTP server.
public struct DevAuthorizationServerResponder: HTTPResponder {
    let server: DevAuthorizationServer

    public init(server: DevAuthorizationServer) {
        self.server = server
    }

    /// Handles the request off the worker loop when a fault asks it to hang, otherwise inline.
    public func respond(to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void) {
        // Handlers may sleep (the `hang` fault): run them off the loop so other requests keep flowing.
        DispatchQueue.global().async { [server] in completion(server.handle(request)) }
    }
}

/// Serves the demo upstream API.
public struct DemoUpstreamResponder: HTTPResponder {
    let upstream = DemoUpstream()

    public init() {}

    public func respond(to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void) {
        completion(self.upstream.handle(request))
    }
}

/// A responder set after its listener is bound (the authorization server needs its own URL); `503` until then.
public final class DeferredResponder: HTTPResponder {
    private let target = Mutex<(any HTTPResponder)?>(nil)

    /// Creates a responder that answers `503 {"message":"starting"}` until `set(_:)` is called.
    public init() {}

    /// Installs the responder every later request goes to.
    public func set(_ responder: any HTTPResponder) {
        self.target.withLock { $0 = responder }
    }

    /// Forwards to the installed responder, or answers `503` while there is none.
    public func respond(to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void) {
        guard let responder = self.target.withLock({ $0 }) else {
            return completion(.json(503, #"{"message":"starting"}"#))
        }
        responder.respond(to: request, completion: completion)
    }
}
