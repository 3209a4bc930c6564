extension IntrospectionResult {
    /// How long this result may be served from the introspection (and decision) cache (SPEC A7).
    ///
    /// - Active: min(`exp` − margin, earliest permission `exp` − margin, `maxTTL`) from `nowEpochSeconds`; bounds
    ///   whose `exp` is absent are skipped. The reference's margin is 5 s (`EXPIRE_DELTA`, SPEC Part B §2.7).
    /// - Inactive: `negativeTTL` (SPEC A7 `cache.negative_ttl`, default 10 s; SECURITY.md case 24a).
    ///
    /// The result may be zero or negative: then nothing is cached (``LRUTTLCache`` ignores TTL ≤ 0). Arithmetic is
    /// done in `Duration`, so hostile `exp` values cannot overflow.
    ///
    /// - Parameters:
    ///   - nowEpochSeconds: the current time, seconds since the Unix epoch (the same clock as `exp`).
    ///   - maxTTL: `cache.max_ttl`.
    ///   - negativeTTL: `cache.negative_ttl`.
    ///   - expiryMargin: subtracted from every `exp`; default 5 s.
    public func cacheTTL(
        nowEpochSeconds: Int64, maxTTL: Duration, negativeTTL: Duration, expiryMargin: Duration = .seconds(5)
    ) -> Duration {
        guard self.active else { return negativeTTL }
        var ttl = maxTTL
        let now = Duration.seconds(nowEpochSeconds)
        if let exp = self.exp { ttl = min(ttl, .seconds(exp) - expiryMargin - now) }
        for permission in self.permissions {
            if let exp = permission.exp { ttl = min(ttl, .seconds(exp) - expiryMargin - now) }
        }
        return ttl
    }
}
