/// The compiled, immutable configuration (SPEC A12, DESIGN "Threads and state", STYLE rule 14).
///
/// Built once by `ConfigLoader.load`; a reload builds a new value and swaps the reference. Every field is
/// validated; nothing here needs checking again at request time. Field meanings, defaults and units are in
/// docs/configuration.md.
public struct PEPConfiguration: Sendable, Equatable {
    /// The file name the configuration was loaded from (messages only).
    public let sourceFile: String
    /// Client-facing listeners (`listen`), in file order, no two with the same address.
    public let listeners: [ListenerConfiguration]
    /// The admin listener (metrics, health) (`admin`).
    public let admin: AdminConfiguration
    /// Number of worker threads, 1…256 (`workers`; `auto` = the core count given to the loader).
    public let workerCount: Int
    /// Connection, header, body and upstream limits (`limits`).
    public let limits: ProxyLimits
    /// The authorization servers (`authorization_servers`), in file order.
    public let authorizationServers: [AuthorizationServerConfiguration]
    /// Introspection and decision cache bounds (`cache`, SPEC A7).
    public let cache: CacheSettings
    /// Consumers mapping a token's `client_id` to consumer fields (`consumers`, SPEC A1).
    public let consumers: [Consumer]
    /// `consumer_mapping`: an active token whose `client_id` matches no consumer's `custom_id` gets 401
    /// `Unknown consumer` (Part B §2.2 A6). Default `false`: a matching consumer is mapped all the same.
    public let consumerMapping: Bool
    /// Peers whose `X-Forwarded-*` headers are kept (`trusted_proxies`, SPEC A6). Default empty.
    public let trustedProxies: [CIDRRange]
    /// `trust_request_id`: keep a client-sent `X-Request-Id` instead of generating one. Default `false`.
    public let trustRequestId: Bool
    /// `path_params`: what to do with `;` path parameters (SPEC A5). Default `.reject`.
    public let pathParams: PathParamsMode
    /// `encoded_slashes`: what to do with `%2F` / `%5C` in a path (SPEC A5, SECURITY 2). Default `.reject`.
    public let encodedSlashes: EncodedSlashesMode
    /// `fold_case`: lower-case request paths before matching and forwarding, for case-insensitive upstreams
    /// (SECURITY 7). Default `false`.
    public let foldCase: Bool
    /// The services, in file order (names and host patterns unique).
    public let services: [ServiceConfiguration]
    /// `access_log`: destination, format and buffering of the per-request access log. Default: on, stderr, text.
    public let accessLog: AccessLogSettings
    /// `readiness`: what `GET /readyz` requires. Default: a loaded configuration and registered resources.
    public let readiness: ReadinessSettings
    /// `claims_gathering`: the claims-gathering session cookie (keys, name, lifetimes). Default: no keys.
    public let claimsGathering: ClaimsGatheringSettings
    /// The configuration document after `${…}` substitution, as JSON, secrets `REDACTED` (what `GET /config`
    /// on the admin listener serves); `.null` for a configuration built in code.
    public let redactedDocument: JSONValue

    /// Creates a configuration. Use `ConfigLoader.load` for a validated one; this initializer does not
    /// validate (tests and tools build values directly).
    public init(
        sourceFile: String, listeners: [ListenerConfiguration], admin: AdminConfiguration, workerCount: Int,
        limits: ProxyLimits, authorizationServers: [AuthorizationServerConfiguration], cache: CacheSettings,
        consumers: [Consumer], consumerMapping: Bool, trustedProxies: [CIDRRange], trustRequestId: Bool,
        pathParams: PathParamsMode, encodedSlashes: EncodedSlashesMode = .reject, foldCase: Bool = false,
        services: [ServiceConfiguration], accessLog: AccessLogSettings = AccessLogSettings(),
        readiness: ReadinessSettings = ReadinessSettings(),
        claimsGathering: ClaimsGatheringSettings = ClaimsGatheringSettings(), redactedDocument: JSONValue = .null
    ) {
        self.claimsGathering = claimsGathering
        self.sourceFile = sourceFile
        self.listeners = listeners
        self.admin = admin
        self.workerCount = workerCount
        self.limits = limits
        self.authorizationServers = authorizationServers
        self.cache = cache
        self.consumers = consumers
        self.consumerMapping = consumerMapping
        self.trustedProxies = trustedProxies
        self.trustRequestId = trustRequestId
        self.pathParams = pathParams
        self.encodedSlashes = encodedSlashes
        self.foldCase = foldCase
        self.services = services
        self.accessLog = accessLog
        self.readiness = readiness
        self.redactedDocument = redactedDocument
    }

    /// The authorization server with the given `authorization_servers` key.
    public func authorizationServer(named name: String) -> AuthorizationServerConfiguration? {
        self.authorizationServers.first { $0.name == name }
    }

    /// The service with the given name.
    public func service(named name: String) -> ServiceConfiguration? {
        self.services.first { $0.name == name }
    }
}

/// One client-facing listener (`listen` entry).
public struct ListenerConfiguration: Sendable, Equatable {
    /// The address to bind.
    public let address: ListenAddress
    /// TLS files; `nil` = plain HTTP.
    public let tls: ListenerTLS?

    /// Creates a listener.
    public init(address: ListenAddress, tls: ListenerTLS? = nil) {
        self.address = address
        self.tls = tls
    }
}

/// TLS material of a listener (`listen[].tls`). Paths are not opened by the core; the CLI reports missing
/// or unreadable files at start.
public struct ListenerTLS: Sendable, Equatable {
    /// PEM certificate chain file (`certificate`).
    public let certificatePath: String
    /// PEM private key file (`private_key`).
    public let privateKeyPath: String
    /// PEM CA bundle; when set, clients must present a certificate it signed (`client_ca`).
    public let clientCAPath: String?
    /// More certificates (`certificates`), served when the client's SNI name matches one of theirs (RFC 6066 §3);
    /// `certificatePath` is the default. Empty = one certificate.
    public let additionalCertificates: [TLSCertificatePaths]

    /// Creates TLS settings.
    public init(
        certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil,
        additionalCertificates: [TLSCertificatePaths] = []
    ) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.additionalCertificates = additionalCertificates
    }

    /// Every certificate, the default first.
    public var certificates: [TLSCertificatePaths] {
        [TLSCertificatePaths(certificatePath: self.certificatePath, privateKeyPath: self.privateKeyPath)]
            + self.additionalCertificates
    }
}

/// The admin listener (`admin`): the management surface (metrics, health, admin API), never served on the data
/// plane.
public struct AdminConfiguration: Sendable, Equatable {
    /// The address to bind. Default `127.0.0.1:8001` (SECURITY.md case 31: loopback by default).
    public let listen: ListenAddress
    /// `token`: the bearer token the mutating admin calls (`POST /cache/flush`, `POST /reload`) require, usually
    /// `${ADMIN_TOKEN}`; at least 16 characters. Required when `listen` is not a loopback address. `nil`: the
    /// mutating calls are refused (403).
    public let token: ConfigSecret?
    /// Whether `token` came from `${…}` substitution (the environment) rather than being written in the file;
    /// a literal token is an advisory.
    public let tokenFromEnvironment: Bool

    /// Creates admin settings.
    public init(listen: ListenAddress, token: ConfigSecret? = nil, tokenFromEnvironment: Bool = true) {
        self.listen = listen
        self.token = token
        self.tokenFromEnvironment = tokenFromEnvironment
    }
}

/// `path_params` (SPEC A5).
public enum PathParamsMode: String, Sendable, Equatable, CaseIterable {
    /// A `;` in the path is answered with 400 (default).
    case reject
    /// `;` is an ordinary path character for matching and forwarding.
    case keep
}

/// `encoded_slashes` (SPEC A5, SECURITY 2).
public enum EncodedSlashesMode: String, Sendable, Equatable, CaseIterable {
    /// `%2F` or `%5C` in a path is answered with 400 (default).
    case reject
    /// They stay encoded and opaque for matching and forwarding: never a segment separator.
    case keep
}

/// Introspection / decision cache bounds (`cache`, SPEC A7), and how an introspection answer's times are read.
public struct CacheSettings: Sendable, Equatable {
    /// The largest accepted `clock_skew`: a larger allowance would keep honouring tokens long expired.
    public static let maxClockSkew: Duration = .seconds(300)

    /// Maximum entries per cache, LRU beyond. 0 disables caching. Default 100 000.
    public let maxEntries: Int
    /// Upper bound on any entry's lifetime. 0 disables caching. Default 300 s.
    public let maxTTL: Duration
    /// Lifetime of a cached inactive introspection result. 0 = never cached. Default 10 s.
    public let negativeTTL: Duration
    /// Lifetime bound of an active token without `exp` (optional in RFC 7662), in place of `exp − 5 s`.
    /// 0 = such tokens are introspected on every request. Default 60 s.
    public let ttlWithoutExp: Duration
    /// Allowance between the authorization server's clock and uma-pep's when reading `exp` and `nbf`
    /// (`TokenLifetime`), 0…5 min. Default 30 s.
    public let clockSkew: Duration
    /// `cache.redis`: the shared second-level cache on Redis, or `nil` (default: none).
    public let redis: RedisCacheSettings?

    /// Creates cache settings.
    public init(
        maxEntries: Int = 100_000, maxTTL: Duration = .seconds(300), negativeTTL: Duration = .seconds(10),
        ttlWithoutExp: Duration = .seconds(60), clockSkew: Duration = .seconds(30), redis: RedisCacheSettings? = nil
    ) {
        self.redis = redis
        self.maxEntries = maxEntries
        self.maxTTL = maxTTL
        self.negativeTTL = negativeTTL
        self.ttlWithoutExp = ttlWithoutExp
        self.clockSkew = clockSkew
    }
}

/// A secret configuration value (`client_secret`): its `description` is `REDACTED`, so interpolating it into
/// a log line or dumping a configuration cannot leak it. Read `value` only where the secret is sent.
public struct ConfigSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret itself.
    public let value: String

    /// Wraps a secret.
    public init(_ value: String) {
        self.value = value
    }

    /// `REDACTED`.
    public var description: String { "REDACTED" }
    /// `REDACTED`.
    public var debugDescription: String { "REDACTED" }
    /// A mirror without children, so `dump` shows nothing of the value.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
