/// One compiled `services` entry: where requests for some hosts go, and how they are protected.
public struct ServiceConfiguration: Sendable, Equatable {
    /// `name`: unique; metrics label and cache-key scope.
    public let name: String
    /// What the enforcement state machine needs (deny_by_default, pass_credentials, custom headers, …).
    public let policy: ServicePolicy
    /// The validated protection document (`uma_scope_expression`); no rules when the field is absent, in
    /// which case every request is "unprotected" and `deny_by_default` decides (Part B §1.2).
    public let protectionDocument: ProtectionDocument
    /// The same document as JSON (after `${…}` substitution), as oxd `/uma-rs-protect` expects it in
    /// `resources`; `nil` when `uma_scope_expression` is absent.
    public let rawProtectionDocument: JSONValue?
    /// `url`: where requests are forwarded.
    public let upstream: Upstream
    /// `hosts`: `Host` header values routed to this service. Non-empty; unique across services.
    public let hosts: [HostPattern]
    /// `preserve_host`: forward the client's `Host` instead of the upstream's authority. Default `false`.
    public let preserveHost: Bool
    /// `upstream_tls`: certificate verification for an `https` upstream.
    public let upstreamTLS: UpstreamTLS
    /// `near_miss`: with `deny_by_default: false`, enforce an unmatched request as the protected rule it matches
    /// after folding case or dropping one trailing slash (`RuleResolver`). Default `.protect`.
    public let nearMiss: NearMissMode
    /// `enforcement`: `enforce` (default) answers what enforcement decides; `report_only` decides the same way
    /// but forwards the requests it would refuse, logging and counting them as `would_deny`.
    public let enforcement: ServiceEnforcement

    /// Creates a service (no validation; see `ConfigLoader`).
    public init(
        name: String, policy: ServicePolicy, protectionDocument: ProtectionDocument, rawProtectionDocument: JSONValue?,
        upstream: Upstream, hosts: [HostPattern], preserveHost: Bool = false, upstreamTLS: UpstreamTLS = UpstreamTLS(),
        nearMiss: NearMissMode = .protect, enforcement: ServiceEnforcement = .enforce
    ) {
        self.name = name
        self.policy = policy
        self.protectionDocument = protectionDocument
        self.rawProtectionDocument = rawProtectionDocument
        self.upstream = upstream
        self.hosts = hosts
        self.preserveHost = preserveHost
        self.upstreamTLS = upstreamTLS
        self.nearMiss = nearMiss
        self.enforcement = enforcement
    }

    /// `authorization_server`: the key of the authorization server this service uses; `nil` for a plain proxied
    /// service (no protection document, no authorization server: forwarded without a token check).
    public var authorizationServer: String? { self.policy.authorizationServer }

    /// A plain proxied service: a Kong service without the UMA plugins.
    public var isPlain: Bool { self.policy.authorizationServer == nil }
}

/// Certificate verification for an `https` upstream (`upstream_tls`).
public struct UpstreamTLS: Sendable, Equatable {
    /// `ca_file`: PEM bundle to verify the upstream certificate; `nil` = system trust store.
    public let caFile: String?
    /// `insecure_skip_verify`: skip verification (development only). Default `false`.
    public let insecureSkipVerify: Bool
    /// `client_certificate` + `client_private_key`: presented when the upstream asks (mTLS); `nil` = none.
    public let clientCertificate: TLSCertificatePaths?

    /// Creates upstream TLS settings.
    public init(
        caFile: String? = nil, insecureSkipVerify: Bool = false, clientCertificate: TLSCertificatePaths? = nil
    ) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificate = clientCertificate
    }
}
