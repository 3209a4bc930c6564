extension ConfigLoader {
    /// The default client-facing listener.
    static let defaultListen = "0.0.0.0:8000"
    /// The default admin listener (loopback only, SECURITY.md case 31).
    static let defaultAdminListen = "127.0.0.1:8001"
    /// The shortest accepted `admin.token`.
    static let minimumAdminTokenLength = 16

    /// `listen`: a `"host:port"` string, or a list of strings / `{address, tls}` mappings.
    static func loadListeners(_ reader: ConfigReader) throws(ConfigError) -> [ListenerConfiguration] {
        let path = reader.path["listen"]
        let items: [(ConfigNode, FieldPath)]
        switch reader.node("listen") {
        case nil: items = [(.string(Self.defaultListen, substituted: false), path[0])]
        case .string(let text, let substituted)?: items = [(.string(text, substituted: substituted), path)]
        case .sequence(let nodes)?: items = nodes.enumerated().map { ($0.element, path[$0.offset]) }
        case let other?:
            throw reader.error("listen", .typeMismatch, "expected a list of addresses, found \(other.typeName)")
        }
        guard !items.isEmpty else { throw reader.error("listen", .missingField, "at least one listener is needed") }
        var listeners: [ListenerConfiguration] = []
        for (node, itemPath) in items {
            let listener = try Self.loadListener(node, at: itemPath, file: reader.file)
            if listeners.contains(where: { $0.address == listener.address }) {
                throw ConfigError(
                    file: reader.file, fieldPath: itemPath.description,
                    message: "\(listener.address) is listed twice", reason: .duplicateListener)
            }
            listeners.append(listener)
        }
        return listeners
    }

    private static func loadListener(
        _ node: ConfigNode, at path: FieldPath, file: String
    ) throws(ConfigError) -> ListenerConfiguration {
        if case .string(let text, _) = node {
            return ListenerConfiguration(address: try Self.listenAddress(text, at: path, file: file))
        }
        let reader = try ConfigReader(node, at: path, file: file, allowed: ["address", "tls"])
        let address = try Self.listenAddress(reader.requiredString("address"), at: path["address"], file: file)
        guard let tlsNode = reader.node("tls") else { return ListenerConfiguration(address: address) }
        return ListenerConfiguration(
            address: address, tls: try Self.loadListenerTLS(tlsNode, at: path["tls"], file: file))
    }

    private static func listenAddress(_ text: String, at path: FieldPath, file: String) throws(ConfigError)
        -> ListenAddress
    {
        guard let address = ListenAddress(text) else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "'\(text)' is not a listen address: use \"ip:port\" or \"[ipv6]:port\" "
                    + "(e.g. \"0.0.0.0:8000\", \"[::1]:8000\")",
                reason: .invalidAddress)
        }
        return address
    }

    /// `admin: {listen: "host:port", token: "…"}`; must not share an address with a client listener; a listener
    /// that is not loopback needs a token (anyone who reaches it could otherwise read the configuration).
    static func loadAdmin(
        _ reader: ConfigReader, listeners: [ListenerConfiguration]
    ) throws(ConfigError) -> AdminConfiguration {
        let admin = try ConfigReader(
            reader.node("admin") ?? .mapping([]), at: reader.path["admin"], file: reader.file,
            allowed: ["listen", "token"])
        let text = try admin.string("listen") ?? Self.defaultAdminListen
        let address = try Self.listenAddress(text, at: admin.path["listen"], file: reader.file)
        if address.port != 0, listeners.contains(where: { $0.address == address }) {
            throw admin.error("listen", .duplicateListener, "\(address) is also a client listener")
        }
        // An empty value (an unset `${ADMIN_TOKEN:-}`) is no token.
        let token = try admin.string("token").flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < Self.minimumAdminTokenLength {
            throw admin.error(
                "token", .invalidValue,
                "the admin token must have at least \(Self.minimumAdminTokenLength) characters (e.g. "
                    + "`openssl rand -hex 32`)")
        }
        if token == nil, !address.host.isLoopback {
            throw admin.error(
                "token", .missingField,
                "admin.listen \(address) is not a loopback address: set admin.token (e.g. ${ADMIN_TOKEN}) so the "
                    + "admin API is not open to anyone who reaches it, or listen on 127.0.0.1")
        }
        var fromEnvironment = true
        if case .string(_, let substituted)? = admin.node("token") { fromEnvironment = substituted }
        return AdminConfiguration(
            listen: address, token: token.map(ConfigSecret.init), tokenFromEnvironment: fromEnvironment)
    }

    /// `workers`: `auto` (the core count) or an integer 1…256.
    static func loadWorkers(_ reader: ConfigReader, coreCount: Int) throws(ConfigError) -> Int {
        guard let node = reader.node("workers") else { return min(max(coreCount, 1), 256) }
        if case .string("auto", _) = node { return min(max(coreCount, 1), 256) }
        if case .string(let text, _) = node.resolvingSubstitution {
            throw reader.error("workers", .invalidValue, "'\(text)' is not auto or an integer 1...256")
        }
        return try node.int(at: reader.path["workers"], file: reader.file, range: 1...256)
    }

    /// `limits` (see `ProxyLimits`).
    static func loadLimits(_ reader: ConfigReader) throws(ConfigError) -> ProxyLimits {
        let defaults = ProxyLimits()
        guard let node = reader.node("limits") else { return defaults }
        let limits = try ConfigReader(
            node, at: reader.path["limits"], file: reader.file,
            allowed: [
                "max_header_bytes", "max_headers_count", "max_body_bytes", "max_connections_per_worker",
                "max_connections_per_ip", "header_timeout", "send_timeout", "idle_timeout", "drain_timeout",
                "upstream_connect_timeout",
                "upstream_read_timeout", "upstream_max_idle", "upstream_idle_timeout", "upstream_max_requests",
                "max_pending_authorization_calls", "cache_misses_per_ip_per_second", "uncached_requests_per_turn",
                "uncached_requests_per_second",
                "control_plane_nice", "max_websocket_tunnels", "websocket_idle_timeout",
            ])
        return ProxyLimits(
            maxHeaderBytes: try limits.byteSize(
                "max_header_bytes", default: defaults.maxHeaderBytes, range: 1024...1_048_576),
            maxHeadersCount: try limits.int("max_headers_count", default: defaults.maxHeadersCount, range: 1...10_000),
            maxBodyBytes: try limits.byteSize("max_body_bytes", default: defaults.maxBodyBytes, range: 0...(1 << 40)),
            maxConnectionsPerWorker: try limits.int(
                "max_connections_per_worker", default: defaults.maxConnectionsPerWorker, range: 1...1_000_000),
            maxConnectionsPerIP: try limits.int(
                "max_connections_per_ip", default: defaults.maxConnectionsPerIP, range: 0...1_000_000),
            headerTimeout: try limits.duration("header_timeout", default: defaults.headerTimeout),
            idleTimeout: try limits.duration("idle_timeout", default: defaults.idleTimeout),
            sendTimeout: try limits.duration("send_timeout", default: defaults.sendTimeout),
            drainTimeout: try limits.duration("drain_timeout", default: defaults.drainTimeout, minimum: .zero),
            upstreamConnectTimeout: try limits.duration(
                "upstream_connect_timeout", default: defaults.upstreamConnectTimeout),
            upstreamReadTimeout: try limits.duration("upstream_read_timeout", default: defaults.upstreamReadTimeout),
            upstreamMaxIdle: try limits.int("upstream_max_idle", default: defaults.upstreamMaxIdle, range: 0...10_000),
            upstreamIdleTimeout: try limits.duration("upstream_idle_timeout", default: defaults.upstreamIdleTimeout),
            upstreamMaxRequests: try limits.int(
                "upstream_max_requests", default: defaults.upstreamMaxRequests, range: 1...1_000_000_000),
            maxPendingAuthorizationCalls: try limits.int(
                "max_pending_authorization_calls", default: defaults.maxPendingAuthorizationCalls,
                range: 1...1_000_000),
            cacheMissesPerIPPerSecond: try limits.int(
                "cache_misses_per_ip_per_second", default: defaults.cacheMissesPerIPPerSecond, range: 0...1_000_000),
            uncachedRequestsPerTurn: try limits.int(
                "uncached_requests_per_turn", default: defaults.uncachedRequestsPerTurn, range: 0...1_000_000),
            uncachedRequestsPerSecond: try limits.int(
                "uncached_requests_per_second", default: defaults.uncachedRequestsPerSecond, range: 0...1_000_000),
            controlPlaneNice: try limits.int("control_plane_nice", default: defaults.controlPlaneNice, range: 0...19),
            maxWebSocketTunnels: try limits.int(
                "max_websocket_tunnels", default: defaults.maxWebSocketTunnels, range: 0...1_000_000),
            webSocketIdleTimeout: try limits.duration("websocket_idle_timeout", default: defaults.webSocketIdleTimeout))
    }

    /// `cache: {max_entries, max_ttl, negative_ttl, ttl_without_exp, clock_skew}` (SPEC A7). Zero values disable
    /// the respective caching; `clock_skew` is at most `CacheSettings.maxClockSkew`.
    static func loadCache(_ reader: ConfigReader) throws(ConfigError) -> CacheSettings {
        let defaults = CacheSettings()
        guard let node = reader.node("cache") else { return defaults }
        let cache = try ConfigReader(
            node, at: reader.path["cache"], file: reader.file,
            allowed: ["max_entries", "max_ttl", "negative_ttl", "ttl_without_exp", "clock_skew", "redis"])
        let clockSkew = try cache.duration("clock_skew", default: defaults.clockSkew, minimum: .zero)
        guard clockSkew <= CacheSettings.maxClockSkew else {
            throw cache.error(
                "clock_skew", .invalidDuration,
                "must be at most \(ConfigDuration.format(CacheSettings.maxClockSkew)): a larger allowance keeps "
                    + "accepting tokens that expired long ago")
        }
        return CacheSettings(
            maxEntries: try cache.int("max_entries", default: defaults.maxEntries, range: 0...100_000_000),
            maxTTL: try cache.duration("max_ttl", default: defaults.maxTTL, minimum: .zero),
            negativeTTL: try cache.duration("negative_ttl", default: defaults.negativeTTL, minimum: .zero),
            ttlWithoutExp: try cache.duration("ttl_without_exp", default: defaults.ttlWithoutExp, minimum: .zero),
            clockSkew: clockSkew, redis: try Self.loadRedisCache(cache))
    }

    /// `consumers: [{id, custom_id?, username?}]`; ids and custom ids unique (SPEC A1).
    static func loadConsumers(_ reader: ConfigReader) throws(ConfigError) -> [Consumer] {
        guard let items = try reader.sequence("consumers") else { return [] }
        var consumers: [Consumer] = []
        for (index, item) in items.enumerated() {
            let entry = try ConfigReader(
                item, at: reader.path["consumers"][index], file: reader.file, allowed: ["id", "custom_id", "username"])
            let consumer = Consumer(
                id: try entry.requiredString("id"), customId: try entry.string("custom_id"),
                username: try entry.string("username"))
            if consumers.contains(where: { $0.id == consumer.id }) {
                throw entry.error("id", .duplicateConsumer, "consumer id '\(consumer.id)' is used twice")
            }
            if let customId = consumer.customId, consumers.contains(where: { $0.customId == customId }) {
                throw entry.error("custom_id", .duplicateConsumer, "custom_id '\(customId)' is used twice")
            }
            consumers.append(consumer)
        }
        return consumers
    }

    /// `trusted_proxies`: CIDR strings (a bare address is a single host).
    static func loadTrustedProxies(_ reader: ConfigReader) throws(ConfigError) -> [CIDRRange] {
        guard let entries = try reader.stringList("trusted_proxies") else { return [] }
        var ranges: [CIDRRange] = []
        for (index, entry) in entries.enumerated() {
            guard let range = CIDRRange(entry) else {
                throw ConfigError(
                    file: reader.file, fieldPath: reader.path["trusted_proxies"][index].description,
                    message: "'\(entry)' is not a CIDR range (e.g. \"10.0.0.0/8\", \"fd00::/8\", \"192.0.2.1\")",
                    reason: .invalidCIDR)
            }
            ranges.append(range)
        }
        return ranges
    }
}

extension ConfigLoader {
    /// `access_log`: `off` / `false`, or `{enabled, destination, format, buffer, flush}`
    /// (see ``AccessLogSettings``). `destination` is `stderr` or an absolute file path.
    static func loadAccessLog(_ reader: ConfigReader) throws(ConfigError) -> AccessLogSettings {
        let defaults = AccessLogSettings()
        guard let node = reader.node("access_log") else { return defaults }
        switch node.resolvingSubstitution {
        case .string("off", false), .bool(false): return .off
        case .bool(true): return defaults
        case .mapping: break
        default:
            throw reader.error(
                "access_log", .typeMismatch,
                "expected off, false, true or a mapping {destination, format, buffer, flush}")
        }
        let log = try ConfigReader(
            node, at: reader.path["access_log"], file: reader.file,
            allowed: ["enabled", "destination", "format", "buffer", "flush"])
        var destination = AccessLogSettings.Destination.standardError
        if let text = try log.string("destination"), text != "stderr" {
            guard text.hasPrefix("/"), !text.hasSuffix("/") else {
                throw log.error("destination", .invalidValue, "'\(text)' is not stderr or an absolute file path")
            }
            destination = .file(text)
        }
        return AccessLogSettings(
            enabled: try log.bool("enabled", default: true), destination: destination,
            format: try log.enumeration("format", default: defaults.format),
            bufferBytes: try log.byteSize("buffer", default: defaults.bufferBytes, range: 0...(16 << 20)),
            flushInterval: try log.duration("flush", default: defaults.flushInterval))
    }
}
