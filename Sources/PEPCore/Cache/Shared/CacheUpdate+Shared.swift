extension CacheUpdate {
    /// This update with its TTL at most `remaining`: a local entry made from a shared-cache (Redis) entry lives no
    /// longer than that entry had left, so sharing never extends a lifetime that `exp` / `nbf`, `cache.max_ttl`,
    /// `cache.negative_ttl` or `cache.ttl_without_exp` bounded (docs/operations.md "Several instances: the Redis
    /// cache"). `removeGrant` is unchanged.
    public func capped(by remaining: Duration) -> CacheUpdate {
        switch self {
        case .storeIntrospection(let key, let value, let ttl):
            return .storeIntrospection(key, value, ttl: min(ttl, remaining))
        case .storeGrant(let key, let grant, let ttl):
            return .storeGrant(key, grant, ttl: min(ttl, remaining))
        case .storeUpstreamHeaders(let key, let headers, let ttl):
            return .storeUpstreamHeaders(key, headers, ttl: min(ttl, remaining))
        case .removeGrant:
            return self
        }
    }
}
