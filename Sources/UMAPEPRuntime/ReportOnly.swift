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
    ///   - baseRemove: the client headers removed from every forwarded request of the service (copies of the
    ///     headers uma-pep sets), with and without `authorization`.
    ///   - removePatterns: the service's `iterate` custom-header name patterns.
    /// - Returns: `.forward` with no header added and `detail` `would_deny.<status>.<detail>`.
    static func forward(
        status: Int, detail: String, ruleIndex: Int?, passCredentials: PassCredentials,
        baseRemove: (plain: [String], withAuthorization: [String]), removePatterns: [ReservedHeaderNames.Pattern]
    ) -> AuthorizationDecision {
        let remove = passCredentials == .pass ? baseRemove.plain : baseRemove.withAuthorization
        return .forward(
            HeaderMutations(remove: remove, removePatterns: removePatterns, set: []),
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
            baseRemove: (context.baseRemove, context.baseRemoveWithAuthorization),
            removePatterns: context.removePatterns)
    }
}
