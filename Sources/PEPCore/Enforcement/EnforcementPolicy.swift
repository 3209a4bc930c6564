/// The compiled, immutable enforcement configuration of one service, built once at config load and shared
/// by every request (one reference, no per-request copying; STYLE rule 14).
///
/// Holds the `ServicePolicy` plus what the state machine needs that is not in it: the mode (SPEC A9), the
/// consumer map (SPEC A1, Part B A6), cache lifetimes (SPEC A7), the reserved header names and the
/// precomputed anonymous headers (custom headers over `introspect_data = {}` + `X-Anonymous-Consumer: true`).
public final class EnforcementPolicy: Sendable {
    /// The service's policy.
    public let service: ServicePolicy
    /// Who decides: oxd `/uma-rs-check-access`, or uma-pep from the RPT's permissions.
    public let mode: EnforcementMode
    /// `consumer_mapping`: an active token's `client_id` must map to a consumer, else `401 Unknown consumer`.
    /// Without it a matching consumer is still mapped; a token without one is accepted.
    public let consumerMapping: Bool
    /// Consumers by `custom_id` (the first wins when two share one; the config layer should reject that).
    public let consumersByClientId: [String: Consumer]
    /// `cache.negative_ttl`: lifetime of an inactive introspection result; `.zero` disables (default 10 s).
    public let negativeCacheTTL: Duration
    /// `cache.max_ttl`: upper bound of every positive cache entry (default 3600 s).
    public let maxCacheTTL: Duration
    /// `cache.ttl_without_exp`: cache bound of an active token without `exp` (default 60 s; `.zero`: not cached).
    public let ttlWithoutExp: Duration
    /// `cache.clock_skew`: allowance on the token's `exp` and `nbf` (`TokenLifetime`; default 30 s).
    public let clockSkew: Duration
    /// Whether introspection results are cached with the object as received (`IntrospectionResult.raw`), which
    /// only custom headers' `introspect_data` and the phantom token read. The introspection cache is shared by
    /// every service of an authorization server, so the runtime sets this for all services at once: `false` when
    /// none of them has custom headers or a phantom token, and cached results are then
    /// ``IntrospectionResult/withoutRaw`` (about 2.2 KB less per cached token). Default `true`.
    public let cachesIntrospectionJSON: Bool
    /// Shares repeating members of the introspection results this service caches (``CacheInterner``); one per
    /// configuration generation, shared by its services. `nil`: results are cached as decoded.
    public let cacheInterner: CacheInterner?
    /// Header names removed from every client request of this service.
    public let reservedHeaders: ReservedHeaderNames
    /// Upstream fields for anonymous requests (public rules, no rule and no token), or the error that makes them
    /// fail closed: the `setHeaders` of every `.publicRule` and `.anonymousUnprotected` forward.
    public let anonymousHeaders: Result<[HeaderField], UpstreamHeaderError>

    /// Compiles a service's enforcement configuration.
    /// - Parameters:
    ///   - service: the service policy.
    ///   - mode: `.oxd`, `.uma2(realm:asURI:)`, or `.plain` (no authorization server).
    ///   - consumerMapping: `consumer_mapping`: require a consumer (default off: uma-pep has no consumer database).
    ///   - consumers: the optional `consumers` list.
    ///   - negativeCacheTTL: `cache.negative_ttl`.
    ///   - maxCacheTTL: `cache.max_ttl`.
    ///   - ttlWithoutExp: `cache.ttl_without_exp`.
    ///   - clockSkew: `cache.clock_skew`.
    ///   - cachesIntrospectionJSON: cache introspection results with their received object (``cachesIntrospectionJSON``).
    ///   - cacheInterner: shares repeating members of cached introspection results (``cacheInterner``).
    public init(
        service: ServicePolicy,
        mode: EnforcementMode,
        consumerMapping: Bool = false,
        consumers: [Consumer] = [],
        negativeCacheTTL: Duration = .seconds(10),
        maxCacheTTL: Duration = .seconds(3600),
        ttlWithoutExp: Duration = .seconds(60),
        clockSkew: Duration = .seconds(30),
        cachesIntrospectionJSON: Bool = true,
        cacheInterner: CacheInterner? = nil
    ) {
        self.cachesIntrospectionJSON = cachesIntrospectionJSON
        self.cacheInterner = cacheInterner
        self.service = service
        self.mode = mode
        self.consumerMapping = consumerMapping
        var byClientId: [String: Consumer] = [:]
        for consumer in consumers {
            if let customId = consumer.customId, byClientId[customId] == nil { byClientId[customId] = consumer }
        }
        self.consumersByClientId = byClientId
        self.negativeCacheTTL = negativeCacheTTL
        self.maxCacheTTL = maxCacheTTL
        self.ttlWithoutExp = ttlWithoutExp
        self.clockSkew = clockSkew
        self.reservedHeaders = ReservedHeaderNames(customHeaders: service.customHeaders)
        self.anonymousHeaders = CustomHeaderEvaluator.evaluate(
            headers: service.customHeaders,
            introspection: nil,
            consumer: nil
        ).map { $0 + [HeaderField(name: "X-Anonymous-Consumer", value: "true")] }
    }
}

extension EnforcementPolicy {
    /// Whether `service` reads `introspect_data` (its custom headers, its phantom token): then the cache must keep
    /// introspection results as received (``cachesIntrospectionJSON``).
    public static func readsIntrospectData(_ service: ServicePolicy) -> Bool {
        !service.customHeaders.isEmpty || service.passCredentials == .phantomToken
    }
}

/// Who takes the access decision (SPEC A9). Both modes give clients identical responses.
public enum EnforcementMode: Sendable, Equatable, Hashable {
    /// oxd `/uma-rs-check-access` decides and builds the challenge (Part B §4.4); grants are cached.
    case oxd
    /// uma-pep decides from the introspected RPT's permissions and asks the permission endpoint for tickets
    /// (Part B §5.11); the challenge is `UMA realm="<realm>",as_uri="<asURI>",…` (SPEC A2).
    case uma2(realm: String, asURI: String)
    /// A plain proxied service (no authorization server, no protection document; a Kong service without the UMA
    /// plugins): every request is forwarded without a token check, `Authorization` per `pass_credentials`.
    case plain
}
