/// How the PEP (or the `rp` command) talks to a UMA 2.0 authorization server directly (SPEC A9, Part B §5).
public struct UMA2ClientConfiguration: Sendable, Equatable {
    /// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
    public enum ClientAuthentication: Sendable, Equatable {
        /// HTTP Basic with the form-encoded id and secret (`client_secret_basic`, the default).
        case clientSecretBasic
        /// `client_id` and `client_secret` in the form body (`client_secret_post`).
        case clientSecretPost
    }

    /// How introspection calls authenticate (SPEC §5.9).
    public enum IntrospectionAuthentication: Sendable, Equatable {
        /// `Authorization: Bearer <PAT>` (Gluu oxAuth, what oxd does; the default).
        case protectionToken
        /// The client's own credentials, per `clientAuthentication` (Keycloak).
        case clientCredentials
    }

    /// The issuer URL; discovery is `{issuer}/.well-known/uma2-configuration` (a trailing `/` is ignored).
    public var issuer: String
    /// The resource server's (or requesting party's) client id.
    public var clientId: String
    /// The client secret. Never logged.
    public var clientSecret: String
    /// Token-endpoint client authentication.
    public var clientAuthentication: ClientAuthentication
    /// Introspection authentication.
    public var introspectionAuthentication: IntrospectionAuthentication
    /// Whether a PAT response whose `scope` lacks `uma_protection` is rejected (SPEC §5.2; oxd treats it as fatal).
    /// A response without `scope` is always accepted. Keycloak returns its own scopes here: set `false` for it.
    public var requireProtectionScope: Bool
    /// Timeouts (SPEC A8 defaults 1 s / 5 s), body cap and TLS.
    public var http: HTTPCallOptions

    /// Creates a configuration.
    public init(
        issuer: String, clientId: String, clientSecret: String,
        clientAuthentication: ClientAuthentication = .clientSecretBasic,
        introspectionAuthentication: IntrospectionAuthentication = .protectionToken,
        requireProtectionScope: Bool = true, http: HTTPCallOptions = HTTPCallOptions()
    ) {
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.clientAuthentication = clientAuthentication
        self.introspectionAuthentication = introspectionAuthentication
        self.requireProtectionScope = requireProtectionScope
        self.http = http
    }

    /// The discovery document URL (UMA 2.0 Grant §2, RFC 8414 §3).
    var discoveryURL: String {
        var base = self.issuer
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/.well-known/uma2-configuration"
    }
}
