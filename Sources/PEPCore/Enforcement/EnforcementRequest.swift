/// Everything the enforcement state machine knows about one request when it starts (DESIGN "Request flow"):
/// the canonical method, the matched rule, the bearer token, and the cache hits the shell found.
public struct EnforcementRequest: Sendable, Equatable {
    /// The request method as received (case-sensitive, RFC 9110 §9.1).
    public var method: String
    /// The matched rule, or `nil` when no rule matches method + canonical path.
    public var rule: MatchedRule?
    /// The bearer token from `BearerToken.parse(authorizationValues:)`.
    public var token: BearerToken
    /// Seconds since the epoch at the start of enforcement.
    public var now: Int64
    /// Hit of the introspection cache for (authorization server, token), if any.
    public var cachedIntrospection: IntrospectionResult?
    /// Hit of the decision cache for (service, authorization server, rule, method, token), if any.
    public var cachedGrant: CachedGrant?
    /// Hit of the upstream-header cache for (service, authorization server, token), if any.
    public var cachedUpstreamHeaders: [HeaderField]?
    /// The token is the RPT of the browser's claims-gathering session, not one the client sent (`obtain_rpt`:
    /// a denial then asks for a new RPT). Default `false`.
    public var tokenFromSession = false

    /// Creates a request view.
    public init(
        method: String,
        rule: MatchedRule?,
        token: BearerToken,
        now: Int64,
        cachedIntrospection: IntrospectionResult? = nil,
        cachedGrant: CachedGrant? = nil,
        cachedUpstreamHeaders: [HeaderField]? = nil
    ) {
        self.method = method
        self.rule = rule
        self.token = token
        self.now = now
        self.cachedIntrospection = cachedIntrospection
        self.cachedGrant = cachedGrant
        self.cachedUpstreamHeaders = cachedUpstreamHeaders
    }

    /// The method the request is authorized as: the matched rule's `authorizedMethod` (`GET` for a `HEAD`
    /// covered by a GET condition), else the request's own. It is what oxd's `/uma-rs-check-access` is asked
    /// with (oxd registers resources per method) and what the decision cache key holds.
    public var authorizationMethod: String {
        self.rule?.match.authorizedMethod ?? self.method
    }
}

/// A matched protection rule: the matcher's result, the matched condition, and (in `uma2` mode) the
/// authorization server's resource id registered for that (rule, condition) (Part B §5.3).
public struct MatchedRule: Sendable, Equatable {
    /// The match (rule index, condition index, configured pattern).
    public var match: RuleMatch
    /// The matched condition (methods, scopes, ticket scopes, `public`).
    public var condition: RuleCondition
    /// The registered resource id (`uma2` mode); `nil` in oxd mode or when registration has not succeeded.
    public var resourceId: String?

    /// Creates a matched rule.
    public init(match: RuleMatch, condition: RuleCondition, resourceId: String? = nil) {
        self.match = match
        self.condition = condition
        self.resourceId = resourceId
    }
}
