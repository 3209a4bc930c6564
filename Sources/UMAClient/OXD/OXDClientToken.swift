/// The answer of `/get-client-token` and `/get-access-token-by-refresh-token` (SPEC §4.1, §4.2).
public struct OXDClientToken: Sendable, Equatable {
    /// The oxd access token. Never logged.
    public var accessToken: String
    /// Lifetime in seconds, when given.
    public var expiresIn: Int64?
    /// Refresh token, when given (may be `null` in oxd's answer).
    public var refreshToken: String?
    /// Granted scopes.
    public var scopes: [String]

    /// Creates a token answer.
    public init(accessToken: String, expiresIn: Int64? = nil, refreshToken: String? = nil, scopes: [String] = []) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scopes = scopes
    }
}

/// The outcome of `/uma-rs-check-access` (SPEC §4.4).
public enum CheckAccessDecision: Sendable, Equatable {
    /// `"access":"granted"`.
    case granted
    /// `"access":"denied"`, with oxd's ready-made `WWW-Authenticate` value
    /// (`UMA realm="rs",as_uri="…",error="insufficient_scope",ticket="…"`) and the ticket, when present.
    case denied(wwwAuthenticate: String?, ticket: String?)
}
