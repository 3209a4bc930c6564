/// An RPT introspection result: RFC 7662 plus UMA permissions (UMA 2.0 FedAuthz §5.1.1; oxd `/introspect-rpt`,
/// SPEC Part B §4.5 and §5.9).
public struct IntrospectionResult: Sendable, Equatable {
    // Storage is laid out for the caches, which hold one result per cached token (docs/benchmarks.md, "Memory
    // with 100 000 tokens"): 64 bytes instead of 136. The times are plain words whose presence is a flag, the
    // members that repeat from token to token (`client_id`, `iss`, the flags) share one interned `Descriptor`, and
    // the received object sits behind a reference that is nil for `.null`.
    @usableFromInline var storedExp: Int64
    @usableFromInline var storedIat: Int64
    @usableFromInline var storedNbf: Int64
    /// Subject.
    public var sub: String?
    /// Nil for a result without `client_id`, `iss` and flags (an inactive one, typically).
    @usableFromInline var descriptor: Descriptor?
    /// UMA permissions carried by the RPT.
    public var permissions: [Permission]
    @usableFromInline var rawBox: RawBox?

    /// `active`, which of the times are present, and ``receivedPermissionsArray``.
    @usableFromInline
    struct Flags: OptionSet, Sendable, Hashable {
        @usableFromInline let rawValue: UInt8
        @inlinable init(rawValue: UInt8) { self.rawValue = rawValue }
        @inlinable static var active: Flags { Flags(rawValue: 1) }
        @inlinable static var hasExp: Flags { Flags(rawValue: 2) }
        @inlinable static var hasIat: Flags { Flags(rawValue: 4) }
        @inlinable static var hasNbf: Flags { Flags(rawValue: 8) }
        @inlinable static var knowsPermissionsArray: Flags { Flags(rawValue: 16) }
        @inlinable static var receivedPermissionsArray: Flags { Flags(rawValue: 32) }

        @inlinable
        mutating func set(_ flag: Flags, _ on: Bool) {
            if on { self.insert(flag) } else { self.remove(flag) }
        }
    }

    /// `client_id`, `iss` and the flags of a result: few distinct values, shared by equal results through
    /// ``CacheInterner``. Immutable: a change makes a new one.
    @usableFromInline
    final class Descriptor: Sendable, Hashable {
        @usableFromInline let clientId: String?
        @usableFromInline let iss: String?
        @usableFromInline let flags: Flags

        @usableFromInline
        init(clientId: String?, iss: String?, flags: Flags) {
            self.clientId = clientId
            self.iss = iss
            self.flags = flags
        }

        /// Nil when there is nothing to hold.
        @usableFromInline
        static func make(clientId: String?, iss: String?, flags: Flags) -> Descriptor? {
            clientId == nil && iss == nil && flags.isEmpty
                ? nil : Descriptor(clientId: clientId, iss: iss, flags: flags)
        }

        @usableFromInline
        static func == (lhs: Descriptor, rhs: Descriptor) -> Bool {
            lhs === rhs || (lhs.flags == rhs.flags && lhs.clientId == rhs.clientId && lhs.iss == rhs.iss)
        }

        @usableFromInline
        func hash(into hasher: inout Hasher) {
            hasher.combine(self.clientId)
            hasher.combine(self.iss)
            hasher.combine(self.flags)
        }
    }

    /// The received object (never `.null`).
    @usableFromInline
    final class RawBox: Sendable {
        @usableFromInline let value: JSONValue

        @usableFromInline
        init(_ value: JSONValue) {
            self.value = value
        }
    }

    @inlinable
    var flags: Flags {
        get { self.descriptor?.flags ?? [] }
        set { self.descriptor = Descriptor.make(clientId: self.clientId, iss: self.iss, flags: newValue) }
    }

    /// RFC 7662 `active`.
    @inlinable
    public var active: Bool {
        get { self.flags.contains(.active) }
        set { self.flags.set(.active, newValue) }
    }

    /// Set by ``withoutRaw``: whether `raw` had a `permissions` array (``hasRequiredMembers``); nil otherwise.
    var receivedPermissionsArray: Bool? {
        get {
            let flags = self.flags
            return flags.contains(.knowsPermissionsArray) ? flags.contains(.receivedPermissionsArray) : nil
        }
        set {
            var flags = self.flags
            flags.set(.knowsPermissionsArray, newValue != nil)
            flags.set(.receivedPermissionsArray, newValue == true)
            self.flags = flags
        }
    }

    /// A stored time, or nil when `flag` says it is absent.
    @inlinable
    func time(_ stored: Int64, _ flag: Flags) -> Int64? {
        self.flags.contains(flag) ? stored : nil
    }

    /// Records whether a time is present (`flag`) and returns the word to store (0 when absent).
    @inlinable
    mutating func storing(_ time: Int64?, _ flag: Flags) -> Int64 {
        self.flags.set(flag, time != nil)
        return time ?? 0
    }

    /// Expiry, seconds since the epoch.
    @inlinable
    public var exp: Int64? {
        get { self.time(self.storedExp, .hasExp) }
        set { self.storedExp = self.storing(newValue, .hasExp) }
    }

    /// Issued-at, seconds since the epoch.
    @inlinable
    public var iat: Int64? {
        get { self.time(self.storedIat, .hasIat) }
        set { self.storedIat = self.storing(newValue, .hasIat) }
    }

    /// Not-before, seconds since the epoch.
    @inlinable
    public var nbf: Int64? {
        get { self.time(self.storedNbf, .hasNbf) }
        set { self.storedNbf = self.storing(newValue, .hasNbf) }
    }

    /// The client the RPT was issued to.
    @inlinable
    public var clientId: String? {
        get { self.descriptor?.clientId }
        set { self.descriptor = Descriptor.make(clientId: newValue, iss: self.iss, flags: self.flags) }
    }

    /// Issuer.
    @inlinable
    public var iss: String? {
        get { self.descriptor?.iss }
        set { self.descriptor = Descriptor.make(clientId: self.clientId, iss: newValue, flags: self.flags) }
    }

    /// The whole introspection object as received (custom headers' `introspect_data`, phantom token).
    /// `.null` in a ``withoutRaw`` copy.
    @inlinable
    public var raw: JSONValue {
        get { self.rawBox?.value ?? .null }
        set { self.rawBox = newValue == .null ? nil : RawBox(newValue) }
    }

    /// Creates a result.
    public init(
        active: Bool, exp: Int64? = nil, iat: Int64? = nil, nbf: Int64? = nil, clientId: String? = nil,
        sub: String? = nil, iss: String? = nil, permissions: [Permission] = [], raw: JSONValue = .null
    ) {
        var flags: Flags = active ? .active : []
        flags.set(.hasExp, exp != nil)
        flags.set(.hasIat, iat != nil)
        flags.set(.hasNbf, nbf != nil)
        self.descriptor = Descriptor.make(clientId: clientId, iss: iss, flags: flags)
        self.storedExp = exp ?? 0
        self.storedIat = iat ?? 0
        self.storedNbf = nbf ?? 0
        self.sub = sub
        self.permissions = permissions
        self.rawBox = raw == .null ? nil : RawBox(raw)
    }

    /// Equal when every member is equal (the received object compared by value).
    public static func == (lhs: IntrospectionResult, rhs: IntrospectionResult) -> Bool {
        lhs.descriptor == rhs.descriptor && lhs.exp == rhs.exp && lhs.iat == rhs.iat && lhs.nbf == rhs.nbf
            && lhs.sub == rhs.sub && lhs.permissions == rhs.permissions
            && (lhs.rawBox === rhs.rawBox || lhs.raw == rhs.raw)
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
