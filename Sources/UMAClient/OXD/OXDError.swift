public import PEPCore

/// Why an oxd command gave no usable answer. The PEP maps every case to `502`
/// `{"message":"An unexpected error ocurred"}` (SPEC §2.9, Appendix A row 7).
public enum OXDError: Error, Sendable, Equatable {
    /// The call failed below HTTP (connect, timeout, TLS, reset, body too large).
    case transport(command: String, ControlPlaneError)
    /// A 2xx answer whose body is not valid JSON.
    case invalidJSON(command: String, JSONCodecError)
    /// A status the command does not accept; `error` is oxd's `error` code when the body had one
    /// (e.g. `invalid_access_token`, `invalid_request`).
    case unexpectedStatus(command: String, status: Int, error: String?)
    /// A required member is absent from the answer.
    case missingField(command: String, field: String)
    /// A member has the wrong type or an unknown value (e.g. `access` neither `granted` nor `denied`).
    case invalidField(command: String, field: String)
    /// No oxd access token could be obtained for a protected command.
    case protectionToken(ProtectionTokenError)

    /// oxd error codes meaning "the bearer token is not accepted" (SPEC §4 general).
    static let rejectedTokenCodes: Set<String> = [
        "blank_access_token", "invalid_access_token", "inactive_access_token", "access_token_insufficient_scope",
    ]

    /// A stable identifier for logs, stats and tests, e.g. `oxd.transport.timeout`, `oxd.unexpected_status`.
    public var detail: String {
        switch self {
        case .transport(_, let error):
            return "oxd.transport.\(error.detail.dropFirst("control_plane.".count))"
        case .invalidJSON: return "oxd.invalid_json"
        case .unexpectedStatus: return "oxd.unexpected_status"
        case .missingField: return "oxd.missing_field"
        case .invalidField: return "oxd.invalid_field"
        case .protectionToken: return "oxd.protection_token"
        }
    }

    /// Whether oxd rejected the bearer token: any 401, or a 403 whose `error` is a token error (or absent).
    /// Such failures drop the cached token and retry the command once (SPEC A8).
    public var isRejectedAccessToken: Bool {
        guard case .unexpectedStatus(_, let status, let code) = self else { return false }
        if status == 401 { return true }
        guard status == 403 else { return false }
        guard let code else { return true }
        return OXDError.rejectedTokenCodes.contains(code)
    }
}
