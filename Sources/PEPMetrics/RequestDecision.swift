/// The enforcement outcome of one request, the `decision` label of `uma_pep_requests_total` (SPEC A10; a
/// bounded set, STYLE 13).
public enum RequestDecision: String, Sendable, Equatable, CaseIterable {
    /// A token was checked and the rule granted (fresh or cached decision).
    case granted
    /// A token was checked and the request refused without a ticket (403, SPEC Part B §2.10).
    case denied
    /// A `401` with a permission ticket was sent (SPEC A1, A2).
    case ticket
    /// The matched rule is `public: true` (SPEC A13): forwarded without a token check.
    case `public`
    /// No rule matched and `deny_by_default` is false: forwarded unchecked.
    case passthrough
    /// The authorization server failed (502, SPEC A8) or an internal error occurred.
    case error
    /// No service is configured for the request's host.
    case noRoute = "no_route"
    /// The request was refused before enforcement (malformed or non-canonical, SPEC A5/A6).
    case rejected
    /// A `report_only` service would have refused the request (401, 403, 502, 503) and forwarded it instead.
    case wouldDeny = "would_deny"

    /// A dense index for series keys.
    var ordinal: Int {
        switch self {
        case .granted: 0
        case .denied: 1
        case .ticket: 2
        case .public: 3
        case .passthrough: 4
        case .error: 5
        case .noRoute: 6
        case .rejected: 7
        case .wouldDeny: 8
        }
    }
}
