/// Identifies one cached protection token: the token service (oxd base URL, or the UMA 2.0 issuer) and the client
/// it is issued to. Services configured with the same pair share one token (SPEC §2.8).
public struct ProtectionTokenKey: Sendable, Hashable {
    /// oxd base URL or authorization-server issuer.
    public var service: String
    /// The OAuth client the token is issued to.
    public var clientId: String

    /// Creates a key.
    public init(service: String, clientId: String) {
        self.service = service
        self.clientId = clientId
    }
}

/// A token as returned by the token service (oxd `/get-client-token`, SPEC §4.1; or the PAT, SPEC §5.2).
public struct IssuedProtectionToken: Sendable, Equatable {
    /// The bearer token. Never logged.
    public var accessToken: String
    /// A refresh token, when the service returned one. Never logged.
    public var refreshToken: String?
    /// Lifetime in seconds (`expires_in`); `nil` when the service did not say.
    public var expiresInSeconds: Int64?

    /// Creates an issued token.
    public init(accessToken: String, refreshToken: String? = nil, expiresInSeconds: Int64? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresInSeconds = expiresInSeconds
    }
}

/// A cached protection token (the oxd access token or the UMA 2.0 PAT).
public struct ProtectionToken: Sendable, Equatable {
    /// The bearer token. Never logged.
    public var accessToken: String
    /// A refresh token, when the service returned one.
    public var refreshToken: String?
    /// Expiry on the provider's clock, in seconds.
    public var expiresAt: Double

    /// Creates a cached token.
    public init(accessToken: String, refreshToken: String?, expiresAt: Double) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }
}

/// Why no protection token could be obtained. The PEP answers 502 (SPEC §2.8).
public struct ProtectionTokenError: Error, Sendable, Equatable {
    /// The stable detail of the underlying failure, e.g. `oxd.status` or `uma2.transport`.
    public var detail: String
    /// A human-readable description (no secrets).
    public var message: String
    /// The token service's HTTP status, when it answered with one it does not accept.
    public var status: Int?
    /// The `error` member of that answer (e.g. `invalid_client`), when it had one.
    public var errorCode: String?
    /// The `error_description` member of that answer, when it had one.
    public var errorDescription: String?
    /// Why the call failed below HTTP (connect, TLS, timeout), when it did.
    public var transport: ControlPlaneError?

    /// Creates an error.
    public init(
        detail: String, message: String, status: Int? = nil, errorCode: String? = nil,
        errorDescription: String? = nil, transport: ControlPlaneError? = nil
    ) {
        self.detail = detail
        self.message = message
        self.status = status
        self.errorCode = errorCode
        self.errorDescription = errorDescription
        self.transport = transport
    }
}

/// Something that can fetch a protection token: oxd (`OXDClient`) or a UMA 2.0 token endpoint (`UMA2Client`).
public protocol ProtectionTokenIssuer: Sendable {
    /// The cache slot this issuer's tokens live in.
    var protectionTokenKey: ProtectionTokenKey { get }

    /// Fetches a fresh token. `previous` is the expired cached token (its refresh token may be used), or `nil` when
    /// there is none or it was rejected. `completion` runs once, on any thread.
    func issueProtectionToken(
        previous: ProtectionToken?,
        completion: @escaping @Sendable (Result<IssuedProtectionToken, ProtectionTokenError>) -> Void)
}
