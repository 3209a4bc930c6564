public import PEPCore

/// Why a call to a UMA 2.0 authorization server gave no usable answer. The PEP maps every case to 502
/// (SPEC A8, SECURITY.md case 20). `operation` is one of `discovery`, `pat`, `introspection`, `permission`,
/// `resource_registration`, `token`.
public enum UMA2Error: Error, Sendable, Equatable {
    /// The call failed below HTTP (connect, timeout, TLS, reset, body too large).
    case transport(operation: String, ControlPlaneError)
    /// An accepted status whose body is not valid JSON.
    case invalidJSON(operation: String, JSONCodecError)
    /// A status the operation does not accept; `error` is the OAuth `error` code when the body had one.
    case unexpectedStatus(operation: String, status: Int, error: String?)
    /// A required member is absent.
    case missingField(operation: String, field: String)
    /// A member has the wrong type or value.
    case invalidField(operation: String, field: String)
    /// The discovery document names no such endpoint (e.g. `claims_interaction_endpoint`).
    case missingEndpoint(String)
    /// No PAT could be obtained.
    case protectionToken(ProtectionTokenError)

    /// A stable identifier for logs, stats and tests, e.g. `uma2.transport.timeout`.
    public var detail: String {
        switch self {
        case .transport(_, let error): return "uma2.transport.\(error.detail.dropFirst("control_plane.".count))"
        case .invalidJSON: return "uma2.invalid_json"
        case .unexpectedStatus: return "uma2.unexpected_status"
        case .missingField: return "uma2.missing_field"
        case .invalidField: return "uma2.invalid_field"
        case .missingEndpoint: return "uma2.missing_endpoint"
        case .protectionToken: return "uma2.protection_token"
        }
    }

    /// Whether the protection API rejected the PAT (401 or 403): drop it, re-fetch once, retry once (SPEC A8, §5.2).
    public var isRejectedProtectionToken: Bool {
        guard case .unexpectedStatus(_, let status, _) = self else { return false }
        return status == 401 || status == 403
    }
}
