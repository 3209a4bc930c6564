/// Why a JWT RPT failed local verification (RFC 7515 §5.2, RFC 7519 §7.2, Part B §2.3). Every case makes the
/// token count as inactive (a `401`: with a protected rule, `Unauthorized` + a fresh ticket, as the reference with
/// `anonymous` does); `referenceFailure` names the reference's message, `detail` is what the log shows.
public enum JWTVerificationFailure: Error, Sendable, Equatable, Hashable {
    /// Longer than `JWSCompact.maximumLength`.
    case oversized
    /// Not three base64url segments with a JSON-object header and payload.
    case malformed
    /// `alg` missing, `none`, HMAC or otherwise not a `JWSAlgorithm`.
    case unsupportedAlgorithm
    /// No `kid` in the header.
    case missingKid
    /// No key with that `kid`, even after the allowed JWKS refetch.
    case unknownKid
    /// The key's `alg` (or `kty` / `crv`) does not fit the header's `alg`.
    case keyAlgorithmMismatch
    /// The signature does not verify.
    case badSignature
    /// `exp` is more than the clock skew in the past.
    case expired
    /// `nbf` is more than the clock skew in the future.
    case notYetValid
    /// `iss` is not the authorization server's issuer.
    case issuerMismatch
    /// `audience` is configured and `aud` does not contain it.
    case audienceMismatch
    /// `client_id`, `exp` or `iat` missing, or a claim of the wrong type.
    case malformedPayload

    /// The reference's message for this failure (Part B §2.3, §2.10).
    public var referenceFailure: EnforcementDenial.JWTFailure {
        switch self {
        case .oversized, .malformed, .unsupportedAlgorithm, .keyAlgorithmMismatch: return .badJWT
        case .missingKid: return .missedKid
        case .unknownKid: return .unknownKid
        case .badSignature, .expired, .notYetValid, .issuerMismatch, .audienceMismatch: return .notVerified
        case .malformedPayload: return .malformedPayload
        }
    }

    /// A stable reason for logs (`jwt.*`).
    public var detail: String {
        switch self {
        case .oversized: return "jwt.oversized"
        case .malformed: return "jwt.malformed"
        case .unsupportedAlgorithm: return "jwt.unsupported_alg"
        case .missingKid: return "jwt.missing_kid"
        case .unknownKid: return "jwt.unknown_kid"
        case .keyAlgorithmMismatch: return "jwt.key_alg_mismatch"
        case .badSignature: return "jwt.bad_signature"
        case .expired: return "jwt.expired"
        case .notYetValid: return "jwt.not_yet_valid"
        case .issuerMismatch: return "jwt.issuer_mismatch"
        case .audienceMismatch: return "jwt.audience_mismatch"
        case .malformedPayload: return "jwt.malformed_payload"
        }
    }
}
