/// Unsigned JWTs (RFC 7519 §6, `alg: none`) as the reference builds them for the phantom token and the `jwt`
/// custom-header format (Part B §1.1, §2.6; `make_jwt_alg_none` in gluu `kong-common`).
///
/// Shape: `base64(header) "." base64(payload) "."` — the header is the fixed text `{"typ":"JWT","alg":"none"}`,
/// the payload is `CanonicalJSON` of the value, the signature is empty. Encoding is *standard* base64 without
/// padding, not base64url, for compatibility with the reference and its mocks (Appendix A row 11).
public enum UnsignedJWT {
    /// The JOSE header of every unsigned JWT, pre-encoded: base64 of `{"typ":"JWT","alg":"none"}`.
    public static let encodedHeader = Base64.encode(Array(#"{"typ":"JWT","alg":"none"}"#.utf8), padding: false)

    /// Builds an unsigned JWT.
    /// - Parameter payload: the claims (an object in every use by uma-pep).
    /// - Returns: `<header>.<payload>.` — only base64 characters and dots, always a safe header value.
    public static func make(payload: JSONValue) -> String {
        Self.encodedHeader + "." + Base64.encode(CanonicalJSON.encode(payload), padding: false) + "."
    }
}
