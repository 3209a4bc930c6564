/// The pure checks of a JWT RPT around its signature (RFC 7515 §5.2, RFC 7519 §7.2, Part B §2.3): the header's
/// `alg` / `kid`, the key's fit, then the claims. The signature itself is checked by the shell (OpenSSL EVP).
public struct JWTRPTValidator: Sendable, Equatable {
    /// The issuer `iss` must equal (oxd mode: `op_url`; uma2 mode: discovery's `issuer`). One trailing `/` on
    /// either side is ignored.
    public var issuer: String
    /// `aud` must be this string or an array containing it; `nil` = `aud` is not checked.
    public var audience: String?
    /// Allowance for `exp` / `nbf`, seconds (`cache.clock_skew`).
    public var clockSkewSeconds: Int64

    /// Creates a validator.
    public init(issuer: String, audience: String? = nil, clockSkewSeconds: Int64 = 30) {
        self.issuer = issuer
        self.audience = audience
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// The header checks (Part B §2.3 steps 1–2): a supported `alg` and a `kid`.
    /// - Parameter header: the JOSE header.
    /// - Returns: the algorithm and key id, or `.unsupportedAlgorithm` (`none`, `HS*`, anything unknown, or a
    ///   `crit` header, RFC 7515 §4.1.11) / `.missingKid`.
    public static func checkHeader(
        _ header: [String: JSONValue]
    ) -> Result<(alg: JWSAlgorithm, kid: String), JWTVerificationFailure> {
        guard let name = header["alg"]?.stringValue, let alg = JWSAlgorithm(rawValue: name), header["crit"] == nil
        else { return .failure(.unsupportedAlgorithm) }
        guard let kid = header["kid"]?.stringValue, !kid.isEmpty else { return .failure(.missingKid) }
        return .success((alg, kid))
    }

    /// Whether `key` may verify `alg` (Part B §2.3 step 4: a key whose `alg` differs from the header's is
    /// refused; RFC 7517 §4.2: a key with `use` other than `sig` is not for signatures).
    /// - Returns: `.success(())` or `.keyAlgorithmMismatch`.
    public static func checkKey(_ key: JWK, for alg: JWSAlgorithm) -> Result<Void, JWTVerificationFailure> {
        if let keyAlg = key.alg, keyAlg != alg.rawValue { return .failure(.keyAlgorithmMismatch) }
        if let use = key.use, use != "sig" { return .failure(.keyAlgorithmMismatch) }
        switch key.material {
        case .rsa:
            guard alg.keyType == "RSA" else { return .failure(.keyAlgorithmMismatch) }
        case .ec(let curve, _, _):
            guard alg.curve == curve else { return .failure(.keyAlgorithmMismatch) }
        }
        return .success(())
    }

    /// The claims checks after a valid signature (Part B §2.3 steps 5–7, RFC 7519 §4.1): `client_id`, `exp` and
    /// `iat` present (else `.malformedPayload`), `exp` / `nbf` within the skew, `iss`, then `aud` if configured.
    /// The permissions are read like an introspection answer's (`IntrospectionResult.decode(json:)`: `resource_id`
    /// + `resource_scopes`, or Keycloak's `rsid` + `scopes`); a missing `permissions` claim means none. Keycloak's
    /// RPT shape is read too: `azp` when there is no `client_id`, `authorization.permissions` when there is no
    /// `permissions`.
    /// - Parameters:
    ///   - payload: the claims set.
    ///   - now: seconds since the epoch.
    /// - Returns: an active `IntrospectionResult` whose `raw` is the claims set (with `active: true` and, if it
    ///   was missing, `permissions: []`), or the failure.
    public func checkClaims(_ payload: JSONValue, now: Int64) -> Result<IntrospectionResult, JWTVerificationFailure> {
        guard var members = payload.objectValue, members["active"] == nil || members["active"] == .bool(true) else {
            return .failure(.malformedPayload)
        }
        members["active"] = .bool(true)
        // Keycloak RPTs: the client is `azp`, the permissions are `authorization.permissions` (rsid / scopes).
        if members["client_id"] == nil, let azp = members["azp"], azp.stringValue != nil { members["client_id"] = azp }
        if members["permissions"] == nil, let nested = members["authorization"]?["permissions"],
            nested.arrayValue != nil
        {
            members["permissions"] = nested
        }
        if members["permissions"] == nil || members["permissions"] == .null { members["permissions"] = .array([]) }
        guard case .success(let result) = IntrospectionResult.decode(json: .object(members)),
            result.clientId != nil, let exp = result.exp, result.iat != nil
        else { return .failure(.malformedPayload) }
        guard exp.addingReportingOverflow(self.clockSkewSeconds).partialValue > now else {
            return .failure(.expired)
        }
        if let nbf = result.nbf, nbf.subtractingReportingOverflow(self.clockSkewSeconds).partialValue > now {
            return .failure(.notYetValid)
        }
        guard let iss = result.iss, Self.trimmed(iss) == Self.trimmed(self.issuer) else {
            return .failure(.issuerMismatch)
        }
        if let audience = self.audience {
            let matches: Bool
            switch members["aud"] {
            case .string(let value)?: matches = value == audience
            case .array(let values)?: matches = values.contains(.string(audience))
            default: matches = false
            }
            guard matches else { return .failure(.audienceMismatch) }
        }
        return .success(result)
    }

    private static func trimmed(_ url: String) -> Substring {
        url.hasSuffix("/") ? url.dropLast() : Substring(url)
    }
}
