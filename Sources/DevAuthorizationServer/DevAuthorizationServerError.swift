/// Errors raised while setting up the development authorization server (not per request: request errors are
/// HTTP responses).
public enum DevAuthorizationServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signing key file could not be read or is not a PEM private key.
    case signingKeyUnreadable(path: String)
    /// The signing key is not an RSA key (RS256 needs RSA, RFC 7518 §3.3).
    case signingKeyNotRSA(path: String)
    /// An OpenSSL operation failed (`operation` names the call).
    case cryptoFailure(operation: String)
    /// A configuration document is malformed; `field` is the JSON path of the offending member.
    case invalidConfiguration(field: String, reason: String)

    /// A stable machine-readable detail string for logs and tests.
    public var detail: String {
        switch self {
        case .signingKeyUnreadable: return "devas.signing_key_unreadable"
        case .signingKeyNotRSA: return "devas.signing_key_not_rsa"
        case .cryptoFailure: return "devas.crypto_failure"
        case .invalidConfiguration: return "devas.invalid_configuration"
        }
    }

    /// A human-readable message.
    public var description: String {
        switch self {
        case .signingKeyUnreadable(let path): return "cannot read an RSA private key (PEM) from \(path)"
        case .signingKeyNotRSA(let path): return "the key in \(path) is not an RSA key"
        case .cryptoFailure(let operation): return "OpenSSL \(operation) failed"
        case .invalidConfiguration(let field, let reason): return "\(field): \(reason)"
        }
    }
}
