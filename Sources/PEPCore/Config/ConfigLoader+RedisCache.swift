extension ConfigLoader {
    /// `cache.redis: {url, timeout, connect_timeout, max_backoff, max_pending}` (docs/configuration.md), or `nil`
    /// when absent or when `url` is empty. The URL's password normally comes from `${ENV}`; it is kept as a ``ConfigSecret``.
    static func loadRedisCache(_ cache: ConfigReader) throws(ConfigError) -> RedisCacheSettings? {
        guard let node = cache.node("redis") else { return nil }
        let redis = try ConfigReader(
            node, at: cache.path["redis"], file: cache.file,
            allowed: ["url", "timeout", "connect_timeout", "max_backoff", "max_pending"])
        let url = try redis.required("url").string(at: redis.path["url"], file: redis.file)
        // An empty URL (an unset `${REDIS_URL:-}`) turns the shared cache off: one configuration can serve
        // deployments with and without Redis.
        if url.isEmpty { return nil }
        let parts: (host: String, port: Int, database: Int, username: String?, password: String?)
        do {
            parts = try RedisCacheSettings.parseURL(url)
        } catch {
            throw redis.error("url", .invalidURL, Self.describe(error))
        }
        let defaults = RedisCacheSettings(host: parts.host)
        let timeout = try redis.duration("timeout", default: defaults.timeout)
        guard timeout <= .seconds(5) else {
            throw redis.error(
                "timeout", .invalidDuration, "must be at most 5s: requests wait this long when Redis is slow")
        }
        return RedisCacheSettings(
            host: parts.host, port: parts.port, database: parts.database, username: parts.username,
            password: parts.password.map(ConfigSecret.init), timeout: timeout,
            connectTimeout: try redis.duration("connect_timeout", default: defaults.connectTimeout),
            maxBackoff: try redis.duration("max_backoff", default: defaults.maxBackoff),
            maxPending: try redis.int("max_pending", default: defaults.maxPending, range: 1...1_000_000))
    }

    /// The message for a refused URL (never echoes the URL: it may hold the password).
    static func describe(_ error: RedisCacheSettings.URLError) -> String {
        switch error {
        case .unsupportedScheme("rediss"):
            return "rediss:// (TLS) is not supported by the packaged hiredis 0.14; connect to a local TLS "
                + "sidecar (stunnel) with redis:// (docs/operations.md)"
        case .unsupportedScheme:
            return "expected redis://[user:password@]host:port/db"
        case .missingHost: return "the URL names no host"
        case .invalidPort: return "the port must be an integer in 1...65535"
        case .invalidDatabase: return "the database must be a non-negative integer"
        case .invalidSyntax(let what): return "invalid URL (\(what))"
        }
    }
}
