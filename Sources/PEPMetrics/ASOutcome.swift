/// How an authorization-server (or oxd) call ended, the `outcome` label of `uma_pep_as_requests_total`
/// (SPEC A8, A10).
public enum ASOutcome: String, Sendable, Equatable, CaseIterable {
    /// An expected status with a well-formed body.
    case ok
    /// `401`/`403` from the server: the PAT / oxd token was rejected (SPEC A8 re-fetches it once).
    case unauthorized
    /// Any other unexpected HTTP status.
    case httpError = "http_error"
    /// A body that is not JSON or lacks required fields.
    case invalidResponse = "invalid_response"
    /// The connect or total timeout fired.
    case timeout
    /// A transport failure other than a timeout (DNS, connect refused, TLS, reset).
    case transportError = "transport_error"

    /// A dense index for series keys.
    var ordinal: Int {
        switch self {
        case .ok: 0
        case .unauthorized: 1
        case .httpError: 2
        case .invalidResponse: 3
        case .timeout: 4
        case .transportError: 5
        }
    }
}
