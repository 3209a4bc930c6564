/// The JWS `alg` values uma-pep verifies (RFC 7518 §3.1). The reference accepts RS256/384/512 (Part B §2.3 step 1);
/// ES256/384 (ECDSA, §3.4) and PS256 (RSASSA-PSS, §3.5) are added. `none` and the HMAC family (`HS*`) are never
/// accepted: a public key must never serve as a shared secret.
public enum JWSAlgorithm: String, Sendable, Equatable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rs256 = "RS256"
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    case rs384 = "RS384"
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    case rs512 = "RS512"
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (salt length 32).
    case ps256 = "PS256"
    /// ECDSA with P-256 and SHA-256 (signature `R || S`, 64 bytes).
    case es256 = "ES256"
    /// ECDSA with P-384 and SHA-384 (signature `R || S`, 96 bytes).
    case es384 = "ES384"

    /// The JWK `kty` a key for this algorithm has (RFC 7518 §6.1).
    public var keyType: String {
        switch self {
        case .rs256, .rs384, .rs512, .ps256: return "RSA"
        case .es256, .es384: return "EC"
        }
    }

    /// The digest, by its OpenSSL name.
    public var digestName: String {
        switch self {
        case .rs256, .ps256, .es256: return "SHA256"
        case .es384, .rs384: return "SHA384"
        case .rs512: return "SHA512"
        }
    }

    /// The JWK `crv` an EC key must have (RFC 7518 §6.2.1.1); `nil` for RSA.
    public var curve: String? {
        switch self {
        case .es256: return "P-256"
        case .es384: return "P-384"
        default: return nil
        }
    }

    /// The length of each of `R` and `S` in an ECDSA JWS signature (RFC 7518 §3.4); `nil` for RSA.
    public var ecCoordinateLength: Int? {
        switch self {
        case .es256: return 32
        case .es384: return 48
        default: return nil
        }
    }
}
