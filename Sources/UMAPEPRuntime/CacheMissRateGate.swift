import Foundation
import Logging
import PEPCore
import PEPMetrics
import PEPProxy

/// The process's per-client-address rate of requests that miss the caches (`limits.cache_misses_per_ip_per_second`),
/// with what a refusal costs: the `uma_pep_cache_miss_rate_limited_total{service}` bump and a warning at most once
/// a second. One per process, shared by every configuration generation (limits need a restart to change); absent
/// when the limit is off.
final class CacheMissRateGate: Sendable {
    let limiter: CacheMissRateLimiter
    private let metrics: PEPMetrics?
    private let logger: Logger?
    private let warnings = WarningThrottle(interval: .seconds(1))

    /// A gate of `ratePerSecond` misses per address, or `nil` when `ratePerSecond` is 0 (off).
    init?(ratePerSecond: Int, metrics: PEPMetrics?, logger: Logger?) {
        guard ratePerSecond > 0 else { return nil }
        self.limiter = CacheMissRateLimiter(ratePerSecond: ratePerSecond)
        self.metrics = metrics
        self.logger = logger
    }

    /// `nil` when the miss from `address` may go on to the authorization server; otherwise the `429` to answer
    /// (counted for `service`, warned about at most once a second). Requests without a known peer address are
    /// never limited.
    func refusal(address: String?, service: MetricsServiceID?) -> HTTPResponseMessage? {
        guard let address else { return nil }
        let now = EnforcementDriver.instant().nanoseconds
        guard case .refused(let retryAfter) = self.limiter.admit(address: address, now: now) else { return nil }
        if let metrics = self.metrics, let service { metrics.recordCacheMissRateLimited(service: service) }
        if let logger = self.logger, let suppressed = self.warnings.admit(now: now) {
            logger.warning(
                "client over its cache-miss rate: answering 429 (limits.cache_misses_per_ip_per_second)",
                metadata: [
                    "peer": "\(address)", "limit": "\(self.limiter.ratePerSecond)",
                    "refused_since_last_warning": "\(suppressed + 1)",
                ])
        }
        return retryAfter == 1 ? Self.tooManyRequests : Self.tooManyRequests(retryAfter: retryAfter)
    }

    /// `429` `{"message":"Too many requests, retry later"}` with `Retry-After` (RFC 6585 §4).
    static func tooManyRequests(retryAfter: Int) -> HTTPResponseMessage {
        HTTPResponseMessage.json(
            429, #"{"message":"Too many requests, retry later"}"#, headers: [("Retry-After", "\(retryAfter)")])
    }

    static let tooManyRequests = tooManyRequests(retryAfter: 1)
    /// The access-log detail of a refusal.
    static let detail = "pep.cache_miss_rate_limited"
}
