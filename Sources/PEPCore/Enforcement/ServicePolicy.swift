/// What the enforcement state machine needs to know about one service, compiled from its config
/// (SPEC A1–A3, A11, A13; Part B §1.1–1.2).
public struct ServicePolicy: Sendable, Equatable {
    /// The service name (cache-key scope, metrics label).
    public var serviceName: String {
        didSet { self.decisionScope = Self.scope(self.serviceName, self.authorizationServer) }
    }
    /// The authorization server id (`authorization_servers` key) this service uses; part of every cache key.
    /// `nil` for a plain proxied service: no token check, so no authorization server and no cache entries.
    public var authorizationServer: String? {
        didSet { self.decisionScope = Self.scope(self.serviceName, self.authorizationServer) }
    }
    /// `serviceName` and `authorizationServer` as one object, shared by this service's decision-cache keys.
    public private(set) var decisionScope: DecisionCacheKey.Scope
    /// Requests matching no rule: `true` → 403, `false` → forwarded (Part B §2.4 P1/P5/P4/P7). Default `true`.
    public var denyByDefault: Bool
    /// What happens to the client's `Authorization` header upstream (Part B §1.1). Default `.pass`.
    public var passCredentials: PassCredentials
    /// A valid RPT lacking permission gets `401` + ticket instead of `403` (SPEC A2). Default `false`.
    public var ticketOnInsufficientScope: Bool
    /// Headers computed for the upstream after a successful check (SPEC A11).
    public var customHeaders: [CustomHeader]
    /// `obtain_rpt`, `redirect_claim_gathering_url`, `claims_redirect_path` (Part B §2.5). Default off.
    public var claims: ClaimsGatheringPolicy

    /// Creates a policy with the reference defaults.
    public init(
        serviceName: String, authorizationServer: String?, denyByDefault: Bool = true,
        passCredentials: PassCredentials = .pass, ticketOnInsufficientScope: Bool = false,
        customHeaders: [CustomHeader] = [], claims: ClaimsGatheringPolicy = .off
    ) {
        self.claims = claims
        self.serviceName = serviceName
        self.authorizationServer = authorizationServer
        self.decisionScope = Self.scope(serviceName, authorizationServer)
        self.denyByDefault = denyByDefault
        self.passCredentials = passCredentials
        self.ticketOnInsufficientScope = ticketOnInsufficientScope
        self.customHeaders = customHeaders
    }

    private static func scope(_ service: String, _ authorizationServer: String?) -> DecisionCacheKey.Scope {
        DecisionCacheKey.Scope(service: service, authorizationServer: authorizationServer ?? "")
    }
}

/// `pass_credentials` (Part B §1.1, §2.6).
public enum PassCredentials: String, Sendable, Equatable, CaseIterable {
    /// Forward `Authorization` unchanged.
    case pass
    /// Remove `Authorization`.
    case hide
    /// Replace it by `Bearer <unsigned JWT of the introspection data>` (only for `active=true` data).
    case phantomToken = "phantom_token"
}

/// A consumer: maps a token's `client_id` to fields used by custom headers and metrics (SPEC A1).
public struct Consumer: Sendable, Equatable {
    /// Consumer id (Kong's consumer UUID in migrated configs).
    public var id: String
    /// `custom_id`: matched against the token's `client_id`.
    public var customId: String?
    /// Optional username.
    public var username: String?

    /// Creates a consumer.
    public init(id: String, customId: String? = nil, username: String? = nil) {
        self.id = id
        self.customId = customId
        self.username = username
    }
}
