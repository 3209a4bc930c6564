/// An RPT introspection result: RFC 7662 plus UMA permissions (UMA 2.0 FedAuthz §5.1.1; oxd `/introspect-rpt`,
/// SPEC Part B §4.5 and §5.9).
public struct IntrospectionResult: Sendable, Equatable {
    /// RFC 7662 `active`.
    public var active: Bool
    /// Expiry, seconds since the epoch.
    public var exp: Int64?
    /// Issued-at, seconds since the epoch.
    public var iat: Int64?
    /// Not-before, seconds since the epoch.
    public var nbf: Int64?
    /// The client the RPT was issued to.
    public var clientId: String?
    /// Subject.
    public var sub: String?
    /// Issuer.
    public var iss: String?
    /// UMA permissions carried by the RPT.
    public var permissions: [Permission]
    /// The whole introspection object as received (custom headers' `introspect_data`, phantom token).
    /// `.null` in a ``withoutRaw`` copy.
    public var raw: JSONValue
    /// Set by ``withoutRaw``: whether `raw` had a `permissions` array (``hasRequiredMembers``); nil otherwise.
    var receivedPermissionsArray: Bool?

    /// Creates a result.
    public init(
        active: Bool, exp: Int64? = nil, iat: Int64? = nil, nbf: Int64? = nil, clientId: String? = nil,
        sub: String? = nil, iss: String? = nil, permissions: [Permission] = [], raw: JSONValue = .null
    ) {
        self.active = active
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.clientId = clientId
        self.sub = sub
        self.iss = iss
        self.permissions = permissions
        self.raw = raw
    }

    /// This result without `raw`, for a cache whose readers never ask for `introspect_data` (no custom headers, no
    /// phantom token): the received object is the largest part of a cached result (a dictionary per object, a
    /// string per member; about 2.2 KB for an oxd RPT with four permissions), the typed members are what
    /// enforcement reads. ``hasRequiredMembers`` answers as for the original; ``introspectData(consumer:)`` falls
    /// back to the typed members.
    public var withoutRaw: IntrospectionResult {
        var copy = self
        copy.receivedPermissionsArray = self.receivedPermissionsArray ?? (self.raw["permissions"]?.arrayValue != nil)
        copy.raw = .null
        return copy
    }

    /// Whether this result, read from the shared cache (Redis), holds what `policy` needs. Redis outlives a
    /// reload and is shared by instances: an active result stored there without its received object (``withoutRaw``:
    /// by a generation or an instance where no service reads `introspect_data`) cannot feed custom headers or a
    /// phantom token, so a reader whose policy keeps the object takes it as a miss and introspects again.
    public func serves(_ policy: EnforcementPolicy) -> Bool {
        !policy.cachesIntrospectionJSON || !self.active || self.raw != .null
    }

    /// This result without the permission expiries that cannot matter while it is cached: a permission's `exp`
    /// at or after the token's own `exp`. A cached result is used only while `now < exp − 5 s` (its cache TTL and
    /// ``CacheTTL/isUsable(_:now:)``), and such a permission is live all that time, in ``UMA2Decision`` as in
    /// ``CacheTTL``'s bounds. RPTs with the same permissions then have equal permission lists, which
    /// ``CacheInterner`` shares. Unchanged without a token `exp`.
    public var withoutRedundantPermissionExpiries: IntrospectionResult {
        guard let exp = self.exp, self.permissions.contains(where: { ($0.exp ?? Int64.min) >= exp }) else {
            return self
        }
        var copy = self
        for index in copy.permissions.indices where (copy.permissions[index].exp ?? Int64.min) >= exp {
            copy.permissions[index].exp = nil
        }
        return copy
    }

    /// One UMA permission: a resource and the scopes granted on it (UMA 2.0 FedAuthz §5.1.1).
    public struct Permission: Sendable, Hashable {
        /// The authorization server's resource id (`resource_id`; Keycloak `rsid`).
        public var resourceId: String
        /// Granted scopes (`resource_scopes`; Keycloak `scopes`).
        public var scopes: [String]
        /// Permission expiry, seconds since the epoch.
        public var exp: Int64?

        /// Creates a permission.
        public init(resourceId: String, scopes: [String], exp: Int64? = nil) {
            self.resourceId = resourceId
            self.scopes = scopes
            self.exp = exp
        }
    }
}
