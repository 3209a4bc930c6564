/// Instructions from the enforcement state machine to the shell's caches (SPEC A7, A3, Appendix A rows 3–4).
///
/// Keys are scoped by service and authorization server so no decision or header set leaks between services.
/// The machine never reads a clock or a cache: the shell looks entries up by these keys, passes hits into
/// `EnforcementRequest`, and applies these updates. A step that ends in `502` carries no store.
public enum CacheUpdate: Sendable, Equatable {
    /// Store an introspection result (active: TTL from `CacheTTL`; inactive: `cache.negative_ttl`).
    case storeIntrospection(IntrospectionCacheKey, IntrospectionResult, ttl: Duration)
    /// Store a grant (oxd mode, P9 granted); TTL from `CacheTTL`.
    case storeGrant(DecisionCacheKey, CachedGrant, ttl: Duration)
    /// Delete the decision key after a denial — only the decision key, never the introspection entry
    /// (Appendix A row 3).
    case removeGrant(DecisionCacheKey)
    /// Store the upstream headers computed for a token (custom headers + phantom token); TTL from `CacheTTL`.
    case storeUpstreamHeaders(UpstreamHeadersCacheKey, [HeaderField], ttl: Duration)
}

/// Upstream-header cache key: (service, authorization server, token) — headers depend on the service's
/// `custom_headers` and `pass_credentials` (Appendix A row 4: the reference keyed them by token alone).
public struct UpstreamHeadersCacheKey: Sendable, Hashable {
    /// `ServicePolicy.serviceName`.
    public var service: String
    /// `ServicePolicy.authorizationServer`.
    public var authorizationServer: String
    /// The raw token.
    public var token: String

    /// Creates a key.
    public init(service: String, authorizationServer: String, token: String) {
        self.service = service
        self.authorizationServer = authorizationServer
        self.token = token
    }
}

/// A cached grant. Re-checked on every hit: valid only while `now < validUntil` (SPEC A7), whatever the
/// cache's own eviction does.
public struct CachedGrant: Sendable, Hashable {
    /// Seconds since the epoch: `now + ttl` when granted, i.e. 5 s before the token or its earliest
    /// permission expires.
    public var validUntil: Int64

    /// Creates a grant.
    public init(validUntil: Int64) {
        self.validUntil = validUntil
    }

    /// Whether the grant may be used.
    /// - Parameter now: seconds since the epoch.
    public func isValid(at now: Int64) -> Bool {
        now < self.validUntil
    }
}
