/// Configuration of the development authorization server: an in-memory UMA 2.0 AS with an oxd 4.x facade
/// (SPEC Part B §4, §5; DESIGN "Dev AS").
///
/// Defaults reproduce the Gluu Gateway UMA tutorial: one client `demo-client` / `demo-secret` with oxd id
/// `demo-oxd-id`, every scope allowed unless a policy says otherwise, tickets and RPTs living 3600 s
/// (oxAuth `umaTicketLifetime`, `umaRptLifetime`).
public struct DevAuthorizationServerConfiguration: Sendable, Equatable {
    /// The issuer and base URL, without a trailing `/` (e.g. `http://127.0.0.1:8443`). Every endpoint URL
    /// in discovery is `issuer + path`; it is also the default `as_uri` / `op_host`. When it has a path
    /// (`http://h/oxauth`), requests may carry that prefix or not.
    public var issuer: String
    /// Pre-registered clients (each is also an oxd RP/site).
    public var clients: [DevClient]
    /// UMA RPT policy per scope name (oxAuth `uma_rpt_policy`, SPEC Part B §5.10).
    public var policies: [String: DevScopePolicy]
    /// Policy for scopes with no entry in `policies`. Default `.allow` (oxAuth `umaGrantAccessIfNoPolicies`
    /// is `false`, but a development server should not need a policy per scope).
    public var defaultPolicy: DevScopePolicy
    /// Permission-ticket lifetime in seconds. Default 3600.
    public var ticketLifetimeSeconds: Int64
    /// RPT lifetime in seconds. Default 3600.
    public var rptLifetimeSeconds: Int64
    /// Lifetime of access tokens (oxd client tokens from `/get-client-token`, PATs from `/token`) in seconds.
    /// Default 3600.
    public var accessTokenLifetimeSeconds: Int64
    /// Persisted claims token (PCT) lifetime in seconds. Default 3600.
    public var pctLifetimeSeconds: Int64
    /// Issue RPTs as RS256-signed JWTs (oxAuth `umaRptAsJwt`) instead of opaque random strings. Default `false`.
    public var rptAsJWT: Bool
    /// PEM file with an RSA private key (PKCS#8 or PKCS#1) to sign JWT RPTs; `nil` generates a 2048-bit key
    /// on first use.
    public var signingKeyPEMPath: String?
    /// Upper bound on live permission tickets; the oldest are dropped beyond it (memory bound under load).
    /// Default 100 000.
    public var maxTickets: Int
    /// Upper bound on entries kept in the `/_dev/calls` log; counts keep growing. Default 10 000.
    public var maxCallLogEntries: Int
    /// Serve the `/_dev/*` test hooks (call log, token minting, faults, clock). When `false` they are 404.
    /// Default `true`: anyone who can reach the server can mint RPTs, so bind it to loopback.
    public var devHooksEnabled: Bool

    /// Creates a configuration; every parameter has the tutorial default.
    public init(
        issuer: String = "http://127.0.0.1:8443",
        clients: [DevClient] = [DevClient()],
        policies: [String: DevScopePolicy] = [:],
        defaultPolicy: DevScopePolicy = .allow,
        ticketLifetimeSeconds: Int64 = 3600,
        rptLifetimeSeconds: Int64 = 3600,
        accessTokenLifetimeSeconds: Int64 = 3600,
        pctLifetimeSeconds: Int64 = 3600,
        rptAsJWT: Bool = false,
        signingKeyPEMPath: String? = nil,
        maxTickets: Int = 100_000,
        maxCallLogEntries: Int = 10_000,
        devHooksEnabled: Bool = true
    ) {
        var trimmed = issuer
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.issuer = trimmed
        self.clients = clients
        self.policies = policies
        self.defaultPolicy = defaultPolicy
        self.ticketLifetimeSeconds = ticketLifetimeSeconds
        self.rptLifetimeSeconds = rptLifetimeSeconds
        self.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds
        self.pctLifetimeSeconds = pctLifetimeSeconds
        self.rptAsJWT = rptAsJWT
        self.signingKeyPEMPath = signingKeyPEMPath
        self.maxTickets = maxTickets
        self.maxCallLogEntries = maxCallLogEntries
        self.devHooksEnabled = devHooksEnabled
    }

    /// The policy that governs `scope`.
    public func policy(for scope: String) -> DevScopePolicy {
        self.policies[scope] ?? self.defaultPolicy
    }
}

/// A registered OAuth client, which is also an oxd RP ("site") with its own `oxd_id` (SPEC Part B §4.9).
public struct DevClient: Sendable, Equatable {
    /// OAuth `client_id`. Default `demo-client`.
    public var clientId: String
    /// OAuth `client_secret`. Default `demo-secret`.
    public var clientSecret: String
    /// The oxd id of the RP record bound to this client. Default `demo-oxd-id`.
    public var oxdId: String
    /// Registered claims redirect URIs (UMA 2.0 Grant §3.3.2); `/gather_claims` redirects only to these.
    public var claimsRedirectURIs: [String]

    /// Creates a client; defaults are the tutorial's credentials.
    public init(
        clientId: String = "demo-client", clientSecret: String = "demo-secret", oxdId: String = "demo-oxd-id",
        claimsRedirectURIs: [String] = []
    ) {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.oxdId = oxdId
        self.claimsRedirectURIs = claimsRedirectURIs
    }
}

/// An RPT policy attached to a scope (oxAuth `uma_rpt_policy` scripts, SPEC Part B §5.10).
public enum DevScopePolicy: Sendable, Equatable {
    /// Always authorizes.
    case allow
    /// Never authorizes (`forbidden_by_policy`).
    case deny
    /// Authorizes when every listed claim is present with the expected value; a missing claim gives `need_info`
    /// listing it, a wrong value `forbidden_by_policy`.
    case requireClaims([DevClaimRequirement])

    /// The tutorial's sample policy: `country == "US"` and `city == "NY"`.
    public static let tutorialCountryCity = DevScopePolicy.requireClaims([
        DevClaimRequirement(name: "country", friendlyName: "Country", expectedValue: "US"),
        DevClaimRequirement(name: "city", friendlyName: "City", expectedValue: "NY"),
    ])

    /// The claims this policy needs (empty for `.allow` / `.deny`).
    public var requiredClaims: [DevClaimRequirement] {
        if case .requireClaims(let claims) = self { return claims }
        return []
    }
}

/// One claim an RPT policy needs (UMA 2.0 Grant §3.3.6 `required_claims` item; Gluu flat form).
public struct DevClaimRequirement: Sendable, Equatable {
    /// Claim name (`country`); also the claims-gathering form field name.
    public var name: String
    /// Human label shown on the claims-gathering page and sent as `friendly_name`.
    public var friendlyName: String
    /// The exact value (after trimming whitespace) that authorizes.
    public var expectedValue: String

    /// Creates a requirement.
    public init(name: String, friendlyName: String, expectedValue: String) {
        self.name = name
        self.friendlyName = friendlyName
        self.expectedValue = expectedValue
    }
}
