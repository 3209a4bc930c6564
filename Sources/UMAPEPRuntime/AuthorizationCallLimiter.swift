import Foundation
import Logging
import PEPCore
import PEPMetrics

/// The process's budget of authorization-server calls in flight (`limits.max_pending_authorization_calls`),
/// with what a refusal costs: the `uma_pep_authorization_calls_refused_total` bump and a warning at most once
/// a second. One per process, shared by every configuration generation (the limit needs a restart to change).
final class AuthorizationCallLimiter: Sendable {
    let budget: AuthorizationCallBudget
    private let metrics: PEPMetrics?
    private let logger: Logger?
    private let warnings = WarningThrottle(interval: .seconds(1))

    init(limit: Int, metrics: PEPMetrics?, logger: Logger?) {
        self.budget = AuthorizationCallBudget(limit: limit)
        self.metrics = metrics
        self.logger = logger
    }

    /// A slot for one `operation` call to `server`, or `nil` (counted, and warned about at most once a second)
    /// when the budget is spent.
    func acquire(server: MetricsServerID?, operation: ASOperation) -> AuthorizationCallSlot? {
        if let slot = self.budget.acquire() { return slot }
        if let metrics = self.metrics, let server {
            metrics.recordAuthorizationCallRefused(server: server, operation: operation)
        }
        if let logger = self.logger, let suppressed = self.warnings.admit(now: EnforcementDriver.instant().nanoseconds)
        {
            logger.warning(
                "authorization-server calls over budget: answering 503 (limits.max_pending_authorization_calls)",
                metadata: [
                    "limit": "\(self.budget.limit)", "operation": "\(operation.rawValue)",
                    "refused_since_last_warning": "\(suppressed + 1)",
                ])
        }
        return nil
    }
}
