/// Cache lifetimes derived from an introspection result (SPEC A7, Part B §2.7).
///
/// `ttl = min(exp − 5 s, earliest permission exp − 5 s, max_ttl)` measured from `now`; a token without `exp`
/// (optional in RFC 7662 §2.2) uses `cache.ttl_without_exp` in place of `exp − 5 s`. No caching when the result
/// is ≤ 0 s or the token is inactive (inactive results use `cache.negative_ttl` instead, chosen by the caller).
/// The 5 s margin is the reference's `EXPIRE_DELTA_SECONDS`, so an entry never outlives the token or any of its
/// permissions. All arithmetic saturates: a hostile `exp` (`-2^63`, `2^63-1`) cannot trap.
public enum CacheTTL {
    /// Seconds subtracted from every expiry (`EXPIRE_DELTA_SECONDS` of the reference).
    public static let expiryMarginSeconds: Int64 = 5

    /// The cache lifetime of an active introspection result, and of decisions and headers derived from it.
    /// - Parameters:
    ///   - introspection: the result.
    ///   - now: the current time, seconds since the epoch.
    ///   - maxTTL: `cache.max_ttl`.
    ///   - ttlWithoutExp: `cache.ttl_without_exp`, the bound for a token without `exp`.
    /// - Returns: whole seconds > 0, or `nil` when nothing may be cached.
    public static func compute(
        introspection: IntrospectionResult, now: Int64, maxTTL: Duration, ttlWithoutExp: Duration
    ) -> Duration? {
        Self.seconds(introspection: introspection, now: now, maxTTL: maxTTL, ttlWithoutExp: ttlWithoutExp)
            .map { .seconds($0) }
    }

    /// Like `compute(introspection:now:maxTTL:ttlWithoutExp:)`, in whole seconds.
    static func seconds(
        introspection: IntrospectionResult, now: Int64, maxTTL: Duration, ttlWithoutExp: Duration
    ) -> Int64? {
        guard introspection.active else { return nil }
        var seconds = introspection.exp.map { Self.remaining(until: $0, now: now) } ?? ttlWithoutExp.components.seconds
        for permission in introspection.permissions {
            if let permissionExp = permission.exp {
                seconds = min(seconds, Self.remaining(until: permissionExp, now: now))
            }
        }
        seconds = min(seconds, maxTTL.components.seconds)
        return seconds > 0 ? seconds : nil
    }

    /// Whether a cached active introspection may still be used at `now`: `now < exp − 5 s` (SPEC A7).
    /// - Parameters:
    ///   - introspection: the cached result.
    ///   - now: the current time, seconds since the epoch.
    /// - Returns: `true` for inactive results and for results without `exp`: those entries expire by their cache
    ///   TTL alone (`cache.negative_ttl`, `cache.ttl_without_exp`).
    public static func isUsable(_ introspection: IntrospectionResult, now: Int64) -> Bool {
        guard introspection.active, let exp = introspection.exp else { return true }
        return Self.remaining(until: exp, now: now) > 0
    }

    /// `until − margin − now`, saturating.
    static func remaining(until expiry: Int64, now: Int64) -> Int64 {
        let (withMargin, overflow1) = expiry.subtractingReportingOverflow(Self.expiryMarginSeconds)
        if overflow1 { return Int64.min }
        let (remaining, overflow2) = withMargin.subtractingReportingOverflow(now)
        if overflow2 { return withMargin < 0 ? Int64.min : Int64.max }
        return remaining
    }
}
