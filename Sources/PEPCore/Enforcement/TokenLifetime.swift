/// Whether an active introspection answer's validity window contains `now` (RFC 7662 §2.2 `exp` and `nbf`,
/// with RFC 7519 §4.1.4–4.1.5 semantics), allowing `cache.clock_skew` between the authorization server's clock
/// and uma-pep's. An authorization server that answers `active: true` for a token whose `exp` has passed, or
/// whose `nbf` lies ahead, is not trusted on that point: the token counts as inactive.
///
/// - expired: `exp` present and `now ≥ exp + skew`;
/// - not yet valid: `nbf` present and `now < nbf − skew`;
/// - a missing `exp` or `nbf` bounds nothing. Arithmetic saturates, so hostile values cannot trap.
public enum TokenLifetime: Sendable, Equatable {
    /// Within its validity window.
    case current
    /// `exp` (plus the skew allowance) has passed.
    case expired
    /// `nbf` (minus the skew allowance) is still ahead, by `secondsUntilValid` > 0.
    case notYetValid(secondsUntilValid: Int64)

    /// Checks an introspection result's times.
    /// - Parameters:
    ///   - introspection: the (active) result.
    ///   - now: seconds since the epoch.
    ///   - clockSkew: `cache.clock_skew` (whole seconds count).
    /// - Returns: the verdict; `.current` for an inactive result (nothing to check).
    public static func check(_ introspection: IntrospectionResult, now: Int64, clockSkew: Duration) -> TokenLifetime {
        guard introspection.active else { return .current }
        let skew = max(clockSkew.components.seconds, 0)
        if let exp = introspection.exp {
            let (expiresAt, overflow) = exp.addingReportingOverflow(skew)
            if !overflow, now >= expiresAt { return .expired }
        }
        if let nbf = introspection.nbf {
            let (validFrom, overflow) = nbf.subtractingReportingOverflow(skew)
            if !overflow, now < validFrom {
                let (remaining, tooFar) = validFrom.subtractingReportingOverflow(now)
                return .notYetValid(secondsUntilValid: tooFar ? Int64.max : remaining)
            }
        }
        return .current
    }
}
