/// The kind of authorization-server (or oxd) call, the `operation` label of `uma_pep_as_requests_total` and
/// `uma_pep_as_request_duration_seconds` (SPEC A10; oxd operations Part B §4, direct UMA 2.0 Part B §5).
public enum ASOperation: String, Sendable, Equatable, CaseIterable {
    /// `GET /.well-known/uma2-configuration` (Part B §5.1).
    case discovery
    /// Obtaining or refreshing the PAT / oxd access token (Part B §2.8, §4.1, §4.2, §5.2).
    case protectionToken = "protection_token"
    /// Registering protected resources (`/uma-rs-protect`, resource registration; Part B §4.3, §5.3).
    case resourceRegistration = "resource_registration"
    /// Asking for a decision (`/uma-rs-check-access`, Part B §4.4).
    case checkAccess = "check_access"
    /// Requesting a permission ticket (permission endpoint, Part B §5.4).
    case permissionTicket = "permission_ticket"
    /// RPT introspection (`/introspect-rpt` or the introspection endpoint, Part B §4.5, §5.9).
    case introspection
    /// Obtaining an RPT (`/uma-rp-get-rpt` or the token endpoint, Part B §4.6, §5.6).
    case rpt
    /// Obtaining a claims-gathering URL (Part B §4.7, §5.8).
    case claimsGatheringURL = "claims_gathering_url"
    /// Fetching the JWKS for local JWT verification (Part B §2.3, §4.9).
    case jwks

    /// A dense index for series keys.
    var ordinal: Int {
        switch self {
        case .discovery: 0
        case .protectionToken: 1
        case .resourceRegistration: 2
        case .checkAccess: 3
        case .permissionTicket: 4
        case .introspection: 5
        case .rpt: 6
        case .claimsGatheringURL: 7
        case .jwks: 8
        }
    }
}
