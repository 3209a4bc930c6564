import Foundation
import Logging
import PEPCore
import PEPMetrics
import PEPProxy
import Synchronization
import UMAClient

/// `uma-pep serve`: one compiled configuration turned into a running proxy — data plane (`HTTPServer` with the
/// proxy and admin listeners), control plane (`ControlPlane` + oxd / UMA 2.0 clients), the enforcement driver,
/// metrics, and the resource registration of `register_resources` (SPEC Part B §4.3, §5.3).
///
/// Lifecycle: `init` (validates what the config compiler cannot: upstream addresses, unsupported features) →
/// `start()` (binds, returns the bound addresses) → `shutdown()`.
public final class PEPRuntime: @unchecked Sendable {
    /// Bound addresses after `start()`.
    public struct Addresses: Sendable {
        /// The proxy listeners, in config order.
        public var proxy: [SocketAddress]
        /// The admin listener.
        public var admin: SocketAddress
    }

    /// The configuration in force (the last one loaded successfully).
    public var configuration: PEPConfiguration { self.current.withLock { $0 } }
    let logger: Logger
    private let controlPlane: ControlPlane
    private let tokens = ProtectionTokenProvider()
    let metrics: PEPMetrics
    /// `limits.max_pending_authorization_calls`: one budget for the process, kept across reloads.
    private let limiter: AuthorizationCallLimiter
    /// `limits.cache_misses_per_ip_per_second`: one address table for the process, kept across reloads.
    private let missRate: CacheMissRateGate?
    let readiness: Readiness
    private let server: HTTPServer
    let generation: Mutex<Generation>
    /// The configuration the listeners, workers and limits were built from (they do not change on reload).
    let startedWith: PEPConfiguration
    private let current: Mutex<PEPConfiguration>
    /// Where the access log goes (`access_log`), or `nil` when it is off.
    private let accessLogSink: AccessLogSink?
    /// When `init` ran (the admin API's uptime).
    let startedAt = Date()
    /// Downstream connections open and accepted on the proxy listeners (the admin API's `GET /status`).
    let connections = ConnectionCounts()
    /// Serializes reloads (SIGHUP and `POST /reload` share ``reload(trigger:)``).
    let reloadLock = NSLock()
    /// Where ``reload(trigger:)`` reads the configuration from (`serve`: the `--config` file); `nil`: no source.
    let configurationSource = Mutex<(@Sendable () throws -> PEPConfiguration)?>(nil)
    /// `readiness.require_authorization_server`: the reachability probe of the configuration in force.
    let reachability = Mutex<AuthorizationServerProbe?>(nil)
    /// `cache.redis`: the shared second-level cache's connection (process-wide; a change needs a restart).
    private let sharedCacheClient: SharedCacheClient?
    private let sharedCacheMetrics: SharedCacheMetrics?

    /// Builds everything; nothing is bound or started yet.
    ///
    /// - Parameters:
    ///   - accessLog: `false` turns the access log off whatever `access_log` says (`--no-access-log`).
    /// - Throws: `RuntimeError` naming the config field for what the runtime cannot serve (an upstream name that
    ///   does not resolve, a certificate, key or CA file that cannot be loaded, a protection document the matcher
    ///   rejects); `AccessLogError` when the access-log file cannot be opened.
    public init(configuration: PEPConfiguration, logger: Logger, accessLog: Bool = true) throws {
        self.current = Mutex(configuration)
        self.startedWith = configuration
        self.logger = logger
        self.controlPlane = ControlPlane(logger: logger, nice: configuration.limits.controlPlaneNice)
        self.metrics = PEPMetrics(
            services: configuration.services.map(\.name),
            authorizationServers: configuration.authorizationServers.map(\.name), workers: configuration.workerCount)
        self.readiness = Readiness()

        self.limiter = AuthorizationCallLimiter(
            limit: configuration.limits.maxPendingAuthorizationCalls, metrics: self.metrics, logger: logger)
        (self.sharedCacheClient, self.sharedCacheMetrics) = Self.makeSharedCacheClient(
            configuration, controlPlane: self.controlPlane, metrics: self.metrics, logger: logger)
        self.missRate = CacheMissRateGate(
            ratePerSecond: configuration.limits.cacheMissesPerIPPerSecond, metrics: self.metrics, logger: logger)
        let generation = try Self.makeGeneration(
            configuration, controlPlane: self.controlPlane, tokens: self.tokens, metrics: self.metrics,
            limiter: self.limiter, missRate: self.missRate, logger: logger,
            sharedCache: Self.sharedCache(self.sharedCacheClient, self.sharedCacheMetrics, configuration))
        self.generation = Mutex(generation)
        let engine = generation.engine

        var listeners: [HTTPServer.ListenerSpec] = []
        for (index, listener) in configuration.listeners.enumerated() {
            listeners.append(
                .init(
                    address: try SocketAddress(
                        host: listener.address.host.description, port: Int(listener.address.port)),
                    role: .proxy(engine), name: "proxy",
                    tls: try listener.tls.map { try RuntimeTLS.listenerContext($0, index: index) }))
        }
        let readiness = self.readiness
        let handle = AdminHandle()
        let admin = AdminAPI(
            base: AdminResponder(metrics: self.metrics) { readiness.snapshot() }, handle: handle,
            token: configuration.admin.token)
        listeners.append(
            .init(
                address: try SocketAddress(
                    host: configuration.admin.listen.host.description, port: Int(configuration.admin.listen.port)),
                role: .local(admin), name: "admin"))
        let metrics = self.metrics
        let counts = self.connections
        let sink =
            accessLog && configuration.accessLog.enabled ? try AccessLogSink(settings: configuration.accessLog) : nil
        self.accessLogSink = sink
        sink?.onDropped.withLock {
            $0 = { [logger] total in
                logger.warning(
                    "access log: the destination does not take lines; dropping them",
                    metadata: ["dropped_bytes_total": "\(total)"])
            }
        }
        self.server = HTTPServer(
            listeners: listeners, workers: configuration.workerCount, limits: ServerLimits(configuration.limits),
            logger: logger, accessLog: sink,
            proxyConnections: ConnectionTally { opened in
                counts.record(opened: opened)
                if opened { metrics.downstreamConnectionOpened() } else { metrics.downstreamConnectionClosed() }
            },
            onRequestWaited: { metrics.uncachedRequestWaited() })
        handle.set(self)
    }

    /// One configuration generation: the proxy engine (services, routes, enforcement driver with fresh caches)
    /// and the resource registrations of its authorization servers. Built at start and again on reload.
    struct Generation {
        let engine: ProxyEngine
        let registrations: [ResourceRegistration]
        /// The enforcement driver inside `engine` (caches, rule resolvers), for the admin API.
        let driver: EnforcementDriver
        /// The configuration it was built from.
        let configuration: PEPConfiguration
        /// 1 for the configuration loaded at start, +1 per successful reload.
        var number = 1
        /// When this generation was built.
        var loadedAt = Date()
    }

    static func makeGeneration(
        _ configuration: PEPConfiguration, controlPlane: ControlPlane, tokens: ProtectionTokenProvider,
        metrics: PEPMetrics, limiter: AuthorizationCallLimiter, missRate: CacheMissRateGate? = nil, logger: Logger,
        sharedCache: SharedCache? = nil
    ) throws -> Generation {
        var backends: [String: any AuthorizationBackend] = [:]
        var registrations: [ResourceRegistration] = []
        for server in configuration.authorizationServers {
            let http = HTTPCallOptions(
                connectTimeout: server.connectTimeout, totalTimeout: server.timeout,
                tls: TLSOptions(
                    caFile: server.caFile, insecureSkipVerify: server.insecureSkipVerify,
                    clientCertificatePath: server.clientCertificate?.certificatePath,
                    clientPrivateKeyPath: server.clientCertificate?.privateKeyPath))
            if server.insecureSkipVerify {
                logger.warning(
                    "TLS verification is OFF for an authorization server (development only)",
                    metadata: ["authorization_server": "\(server.name)"])
            }
            let recorder = ASCallRecorder(metrics: metrics, server: metrics.serverID(named: server.name))
            let services = configuration.services.filter { $0.authorizationServer == server.name }
            switch server.mode {
            case .oxd:
                let client = OXDClient(
                    configuration: OXDConfiguration(
                        oxdURL: server.oxdURL ?? "", oxdId: server.oxdId ?? "", clientId: server.clientId,
                        clientSecret: server.clientSecret.value, opHost: server.opURL, http: http),
                    controlPlane: controlPlane, tokens: tokens, logger: logger)
                let registration = ResourceRegistration(server: server, services: services, oxd: client, uma2: nil)
                backends[server.name] = OXDBackend(
                    client: client, recorder: recorder,
                    onResourcesMissing: { [registration] in registration.resourcesMissing(reason: $0) },
                    registeredMethods: ResourceRegistration.explicitMethods(of: services))
                registrations.append(registration)
            case .uma2:
                let client = UMA2Client(
                    configuration: UMA2ClientConfiguration(
                        issuer: server.opURL, clientId: server.clientId, clientSecret: server.clientSecret.value,
                        http: http),
                    controlPlane: controlPlane, tokens: tokens, logger: logger)
                let registration = ResourceRegistration(server: server, services: services, oxd: nil, uma2: client)
                backends[server.name] = UMA2Backend(
                    client: client, recorder: recorder,
                    onResourcesMissing: { [registration] in registration.resourcesMissing(reason: $0) })
                registrations.append(registration)
            }
            if let inner = backends[server.name],
                let verifier = Self.localTokenVerifier(
                    server, backend: inner, clockSkew: configuration.cache.clockSkew, recorder: recorder, logger: logger
                )
            {
                backends[server.name] = LocalJWTBackend(inner: inner, verifier: verifier)
            }
        }

        var contexts: [EnforcementDriver.ServiceContext] = []
        var proxyServices: [ProxyService] = []
        var tlsContexts: [RuntimeTLS.Key: TLSClientContext] = [:]
        // Introspection results keep their received object only when some service reads `introspect_data`.
        let cachesIntrospectionJSON = configuration.services.contains {
            EnforcementPolicy.readsIntrospectData($0.policy)
        }
        let cacheInterner = CacheInterner()
        for (index, service) in configuration.services.enumerated() {
            // A plain proxied service has no authorization server: mode `.plain`, no backend.
            var serverConfig: AuthorizationServerConfiguration?
            var backend: (any AuthorizationBackend)?
            if let name = service.authorizationServer {
                guard let server = configuration.authorizationServer(named: name), let found = backends[name] else {
                    throw RuntimeError("services[\(index)].authorization_server: unknown authorization server")
                }
                serverConfig = server
                backend = found
            }
            let rules: RuleResolver
            do {
                rules = try RuleResolver(
                    document: service.protectionDocument, nearMiss: service.nearMiss,
                    denyByDefault: service.policy.denyByDefault)
            } catch {
                throw RuntimeError("services[\(index)].uma_scope_expression: \(error)")
            }
            var mode = EnforcementMode.plain
            if let server = serverConfig {
                mode = server.mode == .oxd ? .oxd : .uma2(realm: server.realm, asURI: server.opURL)
            }
            let policy = EnforcementPolicy(
                service: service.policy, mode: mode, consumerMapping: configuration.consumerMapping,
                consumers: configuration.consumers, negativeCacheTTL: configuration.cache.negativeTTL,
                maxCacheTTL: configuration.cache.maxTTL, ttlWithoutExp: configuration.cache.ttlWithoutExp,
                clockSkew: configuration.cache.clockSkew, cachesIntrospectionJSON: cachesIntrospectionJSON,
                cacheInterner: cacheInterner)
            let registration = registrations.first { $0.server.name == serverConfig?.name }
            contexts.append(
                EnforcementDriver.ServiceContext(
                    policy: policy, rules: rules, document: service.protectionDocument,
                    resourceIds: registration?.resourceIds(for: service.name)
                        ?? ResourceIds(document: service.protectionDocument),
                    backend: backend, metricsID: metrics.serviceID(named: service.name),
                    baseRemove: policy.reservedHeaders.exactNames.map { $0.lowercased() },
                    removePatterns: policy.reservedHeaders.patterns,
                    serverID: serverConfig.flatMap { metrics.serverID(named: $0.name) },
                    reportOnly: service.enforcement == .reportOnly,
                    claims: service.policy.claims.obtainRPT
                        ? ClaimsSessionStore(
                            serviceName: service.name, policy: service.policy.claims,
                            settings: configuration.claimsGathering) : nil))
            let address = try Resolver.resolve(
                host: service.upstream.host, port: Int(service.upstream.port), field: "services[\(index)].url")
            let upstreamTLS =
                try service.upstream.scheme == .https
                ? RuntimeTLS.context(for: service, index: index, cache: &tlsContexts, logger: logger) : nil
            proxyServices.append(
                ProxyService(
                    name: service.name,
                    upstream: UpstreamTarget(
                        address: address, hostHeader: service.upstream.authority, basePath: service.upstream.basePath,
                        tls: upstreamTLS, serverName: service.upstream.host),
                    preserveHost: service.preserveHost))
        }
        let driver = EnforcementDriver(
            services: contexts,
            cacheLimits: CacheLimits(
                maxEntries: configuration.cache.maxEntries > 0 ? configuration.cache.maxEntries : 4096),
            cachingEnabled: configuration.cache.maxEntries > 0, metrics: metrics, workers: configuration.workerCount,
            limiter: limiter, sharedCache: sharedCache, missRate: missRate)
        // Resources registered again (the server forgot them): grants cached for the old ones go. The closure
        // holds the driver until the registration is cancelled (a reload), which drops it.
        for registration in registrations {
            registration.setOnReplacing { driver.forgetGrants() }
        }
        let routes: RouteTable<Int>
        do {
            routes = try RouteTable(configuration.services.enumerated().map { (patterns: $1.hosts, value: $0) })
        } catch {
            throw RuntimeError("services[].hosts: \(error)")
        }
        var options = ProxyOptions()
        options.trustedProxies = configuration.trustedProxies
        options.trustRequestId = configuration.trustRequestId
        options.canonical.pathParameters = configuration.pathParams == .keep ? .keep : .reject
        options.canonical.encodedSlashes = configuration.encodedSlashes == .keep ? .keep : .reject
        options.canonical.foldCase = configuration.foldCase
        let engine = ProxyEngine(
            services: proxyServices, routes: routes, options: options, authorizer: driver,
            observer: MetricsObserver(metrics: metrics, configuration: configuration))
        return Generation(
            engine: engine, registrations: registrations, driver: driver, configuration: configuration)
    }

    /// Starts the control plane, binds every listener and starts resource registration in the background.
    ///
    /// - Returns: the bound proxy and admin addresses.
    /// - Throws: a bind error naming the address, or a control-plane start failure.
    @discardableResult
    public func start() throws -> Addresses {
        try self.controlPlane.start()
        self.sharedCacheClient?.start()
        let bound: [SocketAddress]
        do {
            bound = try self.server.start()
        } catch {
            // Nothing may keep running when start fails (the caller exits: threads still using libcurl or
            // OpenSSL while the process runs its exit handlers can crash it).
            self.sharedCacheClient?.shutdown()
            self.controlPlane.shutdown()
            throw error
        }
        for registration in self.generation.withLock({ $0.registrations }) {
            registration.start(readiness: self.readiness, logger: self.logger)
        }
        self.startReachabilityProbe(self.startedWith)
        return Addresses(proxy: Array(bound.dropLast()), admin: bound[bound.count - 1])
    }

    /// Reloads the TLS listeners' certificates and keys from their files (SIGHUP): new connections get them,
    /// open ones keep theirs. Nothing changes when a file is bad.
    ///
    /// - Returns: the number of TLS listeners reloaded.
    /// - Throws: `RuntimeError` naming the file that could not be loaded.
    @discardableResult
    public func reloadTLS() throws -> Int {
        do {
            return try self.server.reloadTLS()
        } catch {
            throw RuntimeError("TLS reload: \(error) (the previous certificates stay in use)")
        }
    }

    /// Counts one configuration reload attempt in `uma_pep_config_reloads_total{result}` (SIGHUP or
    /// `--watch-config`). The caller counts it because it also loads the file: a file that does not parse is a
    /// failed reload too, although ``reload(configuration:)`` never sees it.
    public func recordConfigReload(succeeded: Bool) {
        self.metrics.recordConfigReload(succeeded: succeeded)
    }

    /// Applies a new configuration without a restart (SIGHUP; DESIGN.md "Threads and state"): builds a new
    /// generation — services, routes, rules, policies, upstreams, custom headers, authorization servers, with
    /// fresh caches — and swaps it on every worker; in-flight requests finish on the old one. Listeners, admin,
    /// `workers` and `limits` need a restart: their changes are reported and the running values kept.
    ///
    /// - Returns: warnings about what was not applied.
    /// - Throws: `RuntimeError` when the new configuration cannot be served; the old one stays in force.
    @discardableResult
    public func reload(configuration new: PEPConfiguration) throws -> [String] {
        // Restart-only settings are compared with what the process started with (what is actually running).
        let old = self.startedWith
        var generation = try Self.makeGeneration(
            new, controlPlane: self.controlPlane, tokens: self.tokens, metrics: self.metrics, limiter: self.limiter,
            missRate: self.missRate, logger: self.logger,
            sharedCache: Self.sharedCache(self.sharedCacheClient, self.sharedCacheMetrics, new))
        var warnings: [String] = []
        if new.listeners != old.listeners { warnings.append("listen changed: needs a restart (kept the old)") }
        if new.admin != old.admin { warnings.append("admin changed: needs a restart (kept the old)") }
        if new.workerCount != old.workerCount { warnings.append("workers changed: needs a restart (kept the old)") }
        if new.limits != old.limits {
            let fields = new.limits.changedFields(comparedTo: old.limits).joined(separator: ", ")
            warnings.append("limits changed (\(fields)): needs a restart (kept the old)")
        }
        if new.accessLog != old.accessLog { warnings.append("access_log changed: needs a restart (kept the old)") }
        if new.cache.redis != old.cache.redis { warnings.append("cache.redis changed: needs a restart (kept the old)") }
        let known = Set(self.metrics.serviceNames)
        for service in new.services where !known.contains(service.name) {
            warnings.append("service '\(service.name)' is new: its metrics appear after a restart")
        }
        let previous = self.generation.withLock { current in
            let previous = current
            generation.number = previous.number + 1
            current = generation
            return previous
        }
        for registration in previous.registrations { registration.cancel() }
        // Documents the previous generation registered unchanged are not registered again: that would replace
        // the resources and invalidate every outstanding RPT (a SIGHUP for a certificate renewal included).
        for registration in generation.registrations {
            if let old = previous.registrations.first(where: { $0.server.name == registration.server.name }),
                registration.adopt(old)
            {
                self.logger.info(
                    "resources unchanged by the reload: not registered again",
                    metadata: ["authorization_server": "\(registration.server.name)"])
            }
        }
        self.reachability.withLock { $0?.cancel() }
        self.readiness.removeAuthorizationServerChecks()
        self.startReachabilityProbe(new)
        self.server.replaceProxyEngine(generation.engine)
        for registration in generation.registrations {
            registration.start(readiness: self.readiness, logger: self.logger)
        }
        self.current.withLock { $0 = new }
        return warnings
    }

    /// Opens the access-log file again (SIGUSR1, after logrotate moved it). Nothing to do for stderr or when the
    /// access log is off.
    /// - Throws: `AccessLogError` when the file cannot be opened; the old file stays in use.
    public func reopenAccessLog() throws {
        try self.accessLogSink?.reopen()
    }

    /// Whether the runtime is ready (config loaded, resources registered where asked), with per-check detail.
    public func readinessSnapshot() -> (ready: Bool, checks: [String: String]) {
        self.readiness.snapshot()
    }

    /// Graceful shutdown: stop accepting, drain in-flight requests, stop the control plane.
    public func shutdown(graceful: Bool = true) {
        self.reachability.withLock { $0?.cancel() }
        self.server.shutdown(graceful: graceful)
        self.sharedCacheClient?.shutdown()
        self.controlPlane.shutdown()
    }

    /// Blocks until the data plane has stopped and the access log written what the workers handed it (at most
    /// 5 s more).
    public func waitUntilStopped() {
        self.server.waitUntilStopped()
        self.accessLogSink?.finish()
    }
}

/// A configuration the runtime cannot serve; the message names the field.
public struct RuntimeError: Error, CustomStringConvertible {
    /// `<field>: <what is wrong>`.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Readiness checks (`GET /readyz`): config loaded; per authorization server, resources registered.
final class Readiness: Sendable {
    private let checks = Mutex<[String: (ok: Bool, text: String)]>(["config": (true, "loaded")])

    func set(_ name: String, ok: Bool, _ text: String) {
        self.checks.withLock { $0[name] = (ok, text) }
    }

    func removeAuthorizationServerChecks() {
        self.checks.withLock { checks in
            for key in checks.keys where key.hasPrefix("authorization_server.") { checks[key] = nil }
        }
    }

    func snapshot() -> (ready: Bool, checks: [String: String]) {
        self.checks.withLock { checks in
            (checks.values.allSatisfy(\.ok), checks.mapValues(\.text))
        }
    }
}

extension ServerLimits {
    /// The data-plane limits from the config's `limits:` section.
    init(_ limits: ProxyLimits) {
        self.init()
        self.maxHeaderBytes = limits.maxHeaderBytes
        self.maxHeadersCount = limits.maxHeadersCount
        self.maxBodyBytes = limits.maxBodyBytes
        self.maxConnectionsPerWorker = limits.maxConnectionsPerWorker
        self.maxConnectionsPerIP = limits.maxConnectionsPerIP
        self.headerTimeout = limits.headerTimeout
        self.idleTimeout = limits.idleTimeout
        self.sendTimeout = limits.sendTimeout
        self.drainTimeout = limits.drainTimeout
        self.upstreamConnectTimeout = limits.upstreamConnectTimeout
        self.upstreamReadTimeout = limits.upstreamReadTimeout
        self.upstreamMaxIdle = limits.upstreamMaxIdle
        self.upstreamIdleTimeout = limits.upstreamIdleTimeout
        self.upstreamMaxRequests = limits.upstreamMaxRequests
        self.uncachedRequestsPerTurn = limits.uncachedRequestsPerTurn
        self.uncachedRequestsPerSecond = limits.uncachedRequestsPerSecond
        self.maxWebSocketTunnels = limits.maxWebSocketTunnels
        self.webSocketIdleTimeout = limits.webSocketIdleTimeout
    }
}

/// Resolves upstream host names once, at start (numeric addresses pass through).
enum Resolver {
    static func resolve(host: String, port: Int, field: String) throws -> SocketAddress {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(host: bare == "localhost" ? "127.0.0.1" : bare, port: port) {
            return address
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bare, nil, &hints, &result) == 0, let first = result else {
            throw RuntimeError("\(field): cannot resolve upstream host '\(host)'")
        }
        defer { freeaddrinfo(result) }
        var pointer: UnsafeMutablePointer<addrinfo>? = first
        while let info = pointer {
            if let sockaddr = info.pointee.ai_addr, let address = SocketAddress.numericHost(of: sockaddr) {
                return try SocketAddress(host: address, port: port)
            }
            pointer = info.pointee.ai_next
        }
        throw RuntimeError("\(field): no IPv4/IPv6 address for upstream host '\(host)'")
    }
}

extension PEPRuntime {
    /// The `cache.redis` connection and its metrics, or `(nil, nil)` without `cache.redis`.
    static func makeSharedCacheClient(
        _ configuration: PEPConfiguration, controlPlane: ControlPlane, metrics: PEPMetrics, logger: Logger
    ) -> (SharedCacheClient?, SharedCacheMetrics?) {
        guard let settings = configuration.cache.redis else { return (nil, nil) }
        let sharedMetrics = SharedCacheMetrics(metrics: metrics)
        let client = SharedCacheClient(settings: settings, controlPlane: controlPlane, logger: logger) { up in
            sharedMetrics.setUp(up)
        }
        logger.info("shared cache: \(settings) (timeout \(ConfigDuration.format(settings.timeout)))")
        return (client, sharedMetrics)
    }

    /// One generation's view of the shared cache (its authorization servers' namespaces).
    static func sharedCache(
        _ client: SharedCacheClient?, _ metrics: SharedCacheMetrics?, _ configuration: PEPConfiguration
    ) -> SharedCache? {
        client.map { SharedCache(client: $0, metrics: metrics, servers: configuration.authorizationServers) }
    }
}
