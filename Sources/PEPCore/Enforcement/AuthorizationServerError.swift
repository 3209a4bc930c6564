/// Why a call to oxd or a UMA 2.0 authorization server produced no usable answer (SPEC A8, Part B §2.9).
///
/// Every case ends the request with `502 {"message":"An unexpected error ocurred"}`: the PEP never fails
/// open and never caches anything from a failed call (SECURITY.md case 20). The control plane maps transport
/// outcomes to these cases; the `decode(status:body:)` functions of `IntrospectionResult`,
/// `CheckAccessResponse` and `PermissionTicket` map HTTP answers.
public enum AuthorizationServerError: Error, Sendable, Equatable, Hashable {
    /// Connect failure, reset, TLS error, or any other transport failure.
    case transport
    /// The connect or total timeout elapsed (SPEC A8 defaults 1 s / 5 s).
    case timeout
    /// No protection token (PAT / oxd access token) could be obtained (Part B §2.8).
    case protectionTokenUnavailable
    /// A status the call does not expect (oxd 400/403/500, AS 401 …).
    case unexpectedStatus(Int)
    /// The body is not JSON, is truncated, or is not a JSON object.
    case malformedBody
    /// A member has the wrong type or value, e.g. `{"active":"true"}`. Carries the member name only.
    case invalidMember(String)
    /// `/uma-rs-check-access` answered 200 without `access` or with an unknown value (Part B §2.9).
    case unexpectedAccess
    /// The permission endpoint answered without a usable `ticket` (UMA 2.0 FedAuthz §4.3).
    case missingTicket

    /// Stable detail string for logs, metrics and tests (STYLE rule 8).
    public var detail: String {
        switch self {
        case .transport: return "as.transport"
        case .timeout: return "as.timeout"
        case .protectionTokenUnavailable: return "as.protection_token_unavailable"
        case .unexpectedStatus: return "as.unexpected_status"
        case .malformedBody: return "as.malformed_body"
        case .invalidMember: return "as.invalid_member"
        case .unexpectedAccess: return "as.unexpected_access"
        case .missingTicket: return "as.missing_ticket"
        }
    }
}
