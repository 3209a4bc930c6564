/// What the data plane changes in the client's request before forwarding it (SPEC A11, Part B §2.6).
///
/// Apply in this order: remove every client header for which `removes(headerNamed:)` is true (before the
/// `Connection`-listed and hop-by-hop removal of SPEC A6 can touch anything uma-pep adds, SECURITY.md case 11),
/// then append `setHeaders`. All values in `setHeaders` are already validated (SECURITY.md case 19).
public struct UpstreamMutations: Sendable, Equatable {
    /// Remove the client's `Authorization` (`pass_credentials: hide`, or `phantom_token` with active data,
    /// where `setHeaders` carries the replacement).
    public var removeAuthorization: Bool
    /// The service's reserved names (custom headers and identity headers).
    public var reservedHeaders: ReservedHeaderNames
    /// Fields to add: custom headers, then `X-Anonymous-Consumer: true` for anonymous requests, then the
    /// phantom `Authorization: Bearer <unsigned JWT>`.
    public var setHeaders: [HeaderField]
    /// Why the request is forwarded (access log, metrics).
    public var reason: ForwardReason

    /// Creates mutations.
    public init(
        removeAuthorization: Bool,
        reservedHeaders: ReservedHeaderNames,
        setHeaders: [HeaderField],
        reason: ForwardReason
    ) {
        self.removeAuthorization = removeAuthorization
        self.reservedHeaders = reservedHeaders
        self.setHeaders = setHeaders
        self.reason = reason
    }

    /// Whether a client-sent header is removed before forwarding.
    /// - Parameter name: the header name as received (any case).
    /// - Returns: `true` for `Authorization` when `removeAuthorization`, and for every reserved name.
    public func removes(headerNamed name: some StringProtocol) -> Bool {
        if self.removeAuthorization, HeaderField.namesEqual(name, "authorization") { return true }
        return self.reservedHeaders.contains(name)
    }
}

/// Why a request was forwarded (Part B §2.4 rows), with a stable detail string.
public enum ForwardReason: Sendable, Equatable, Hashable {
    /// A protected rule granted by a fresh decision (P9 granted, or the local `uma2` decision).
    case granted
    /// A protected rule granted from the decision cache (P8).
    case grantedFromCache
    /// A public rule (SPEC A13): no token check.
    case publicRule
    /// No rule, `deny_by_default: false`, no usable token (P4).
    case anonymousUnprotected
    /// No rule, `deny_by_default: false`, an active token (P7).
    case authenticatedUnprotected
    /// A plain proxied service (no authorization server): forwarded without a token check.
    case plainService

    /// Stable detail string (`pep.*`).
    public var detail: String {
        switch self {
        case .granted: return "pep.granted"
        case .grantedFromCache: return "pep.granted_cached"
        case .publicRule: return "pep.public_rule"
        case .anonymousUnprotected: return "pep.anonymous_unprotected"
        case .authenticatedUnprotected: return "pep.token_unprotected"
        case .plainService: return "pep.plain_service"
        }
    }
}
