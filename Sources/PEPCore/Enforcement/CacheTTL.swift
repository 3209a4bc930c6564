/// Cache lifetimes derived from an introspection result (SPEC A7, Part B §2.7).
///
/// `ttl = min(exp − 5 s, earliest permission exp − 5 s, max_ttl)` measured from `now`; no caching when the
/// result is ≤ 0 s or the token is inactive / has no `exp` (inactive results use `cache.negative_ttl`
/// instead, chosen by the caller). The 5 s margin is the reference's `EXPIRE_DELTA_SECONDS`, so an entry
/// never outlives the token or any of its permissions. All arithmetic saturates: a hostile `exp`
/// (`-2^63`, `2^63-1`) cannot trap.
public enum CacheTTL {
    /// Seconds subtracted from every expiry (`EXPIRE_DELTA_SECONDS` of the reference).
    public static let expiryMarginSeconds: Int64 = 5

    /// The cache lifetime of an active introspection result, and of decisions and headers derived from it.
    /// - Parameters:
    ///   - introspection: the result.
    ///   - now: the current time, seconds since the epoch.
    ///   - maxTTL: `cache.max_ttl`.
    /// - Returns: whole seconds > 0, or `nil` when nothing may be cached.
    public static func compute(introspection: IntrospectionResult, now: Int64, maxTTL: Duration) -> Duration? {
        Self.seconds(introspection: introspection, now: now, maxTTL: maxTTL).map { .seconds($0) }
    }

    /// Like `compute(introspection:now:maxTTL:)`, in whole seconds.
    static func seconds(introspection: IntrospectionResult, now: Int64, maxTTL: Duration) -> Int64? {
        guard introspection.active, let exp = introspection.exp else { return nil }
        var seconds = Self.remaining(until: exp, now: now)
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
    /// - Returns: `false` for a result without `exp`; `true` for inactive results (negative entries expire
    ///   by their cache TTL alone).
    public static func isUsable(_ introspection: IntrospectionResult, now: Int64) -> Bool {
        guard introspection.active else { return true }
        guard let exp = introspection.exp else { return false }
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
