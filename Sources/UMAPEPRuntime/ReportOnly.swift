import PEPCore
import PEPProxy

/// `enforcement: report_only` (``ServiceEnforcement/reportOnly``): a refusal enforcement decided is turned into
/// a forward, so the upstream serves the request while the access log and the metrics record what enforcing
/// would have answered. Pure; only the deny paths of a report-only service call it, so an enforcing service
/// pays nothing.
enum ReportOnly {
    /// Starts the access-log `decision` of a request forwarded although it would have been refused:
    /// `would_deny.<status>.<detail>`, e.g. `would_deny.401.pep.ticket_issued`.
    static let detailPrefix: StaticString = "would_deny."

    /// The forward that stands for the refusal `status` / `detail`.
    /// - Parameters:
    ///   - status: the status enforcing would have answered (401, 403, 502, 503).
    ///   - detail: the refusal's stable detail (`pep.*`).
    ///   - ruleIndex: the matched rule, if any.
    ///   - passCredentials: the service's `pass_credentials`. `pass` forwards `Authorization` unchanged; `hide`
    ///     and `phantom_token` remove it (there is no introspection data to make a phantom token from).
    ///   - removal: the service's forward without additions, plain and with `authorization` removed
    ///     (``EnforcementDriver/ServiceContext/forwardRemoving``: made once per service, shared by every refusal).
    /// - Returns: `.forward` with no header added and `detail` `would_deny.<status>.<detail>`.
    static func forward(
        status: Int, detail: String, ruleIndex: Int?, passCredentials: PassCredentials,
        removal: (plain: HeaderMutations, withAuthorization: HeaderMutations)
    ) -> AuthorizationDecision {
        .forward(
            passCredentials == .pass ? removal.plain : removal.withAuthorization,
            detail: "\(Self.detailPrefix)\(status).\(detail)", ruleIndex: ruleIndex)
    }

    /// `decision` unchanged when it forwards, else its report-only forward for `context`'s service.
    static func forward(_ decision: AuthorizationDecision, context: EnforcementDriver.ServiceContext)
        -> AuthorizationDecision
    {
        guard case .respond(let response, let detail, let ruleIndex) = decision else { return decision }
        return Self.forward(
            status: response.status, detail: detail, ruleIndex: ruleIndex,
            passCredentials: context.policy.service.passCredentials,
            removal: (context.forwardRemoving, context.forwardRemovingAuthorization))
    }
}
