/// One step of the enforcement state machine: cache updates to apply, then one action to perform
/// (STYLE rule 5). The shell switches exhaustively over `action`.
public struct EnforcementStep: Sendable, Equatable {
    /// What to do next.
    public var action: EnforcementAction
    /// Cache writes / deletes to apply before (or while) performing the action. Empty on the hot path.
    public var cacheUpdates: [CacheUpdate]

    /// Creates a step.
    public init(_ action: EnforcementAction, cacheUpdates: [CacheUpdate] = []) {
        self.action = action
        self.cacheUpdates = cacheUpdates
    }
}

/// What the shell must do next for a request.
public enum EnforcementAction: Sendable, Equatable {
    /// Terminal: forward the request upstream with these mutations.
    case forward(UpstreamMutations)
    /// Terminal: answer with this catalogue response; forward nothing.
    case respond(PEPResponse)
    /// Introspect the token at the service's authorization server (oxd `/introspect-rpt`, or the UMA
    /// introspection endpoint), then call `introspectionCompleted(_:now:)`.
    case introspect(token: String)
    /// oxd mode: call `/uma-rs-check-access {oxd_id, rpt, path: pattern, http_method: method}`
    /// (`rpt` is `""` when there is no usable token), then call `checkAccessCompleted(_:now:)`.
    case checkAccess(rpt: String, pattern: String, method: String)
    /// uma2 mode: `POST permission_endpoint {"resource_id":…,"resource_scopes":[…]}` (Part B §5.4),
    /// then call `ticketCompleted(_:)`.
    case requestTicket(resourceId: String, scopes: [String])
    /// `obtain_rpt`: ask for an RPT with this ticket (oxd `/uma-rp-get-rpt`, or the token endpoint in uma2
    /// mode; Part B §2.5 B), then call `rptCompleted(_:)`.
    case obtainRPT(ticket: String)
    /// `redirect_claim_gathering_url`: get the claims-gathering URL for this `need_info` ticket (oxd
    /// `/uma-rp-get-claims-gathering-url`, or the AS's `claims_interaction_endpoint`) with the shell's
    /// `claims_redirect_uri` and a fresh `state`, then call `claimsGatheringURLCompleted(_:)`.
    case claimsGatheringURL(ticket: String, redirectUser: String?)
    /// Terminal: send the browser (302) to the claims-gathering page `url`; the shell saves a pending session
    /// (the `state` it sent, the request's own path) in the session cookie. Forward nothing.
    case claimsRedirect(url: String)
}

/// What a finished enforcement means for metrics (Part B §7): read after a terminal action.
public struct EnforcementMetrics: Sendable, Equatable {
    /// The authenticated token's `client_id` (`gluu_uma_client_authenticated{consumer}`); `nil` when anonymous.
    public var authenticatedClientId: String?
    /// The mapped consumer, if any.
    public var consumer: Consumer?
    /// Access was granted on a protected rule (`gluu_uma_client_granted`), fresh or cached.
    public var granted: Bool = false
    /// A permission ticket was obtained (`gluu_uma_ticket`).
    public var ticketIssued: Bool = false

    /// Creates empty metrics.
    public init() {}
}
