/// What the introspection cache keeps per token (SPEC A7): the introspection result and, inline, the token's first
/// cached grant.
///
/// A token is usually granted on one rule and method: keeping that grant in the token's own record costs 24
/// bytes instead of a decision-cache slot (96 bytes), its index and its key (docs/benchmarks.md, "Memory with
/// 100 000 tokens"). Further grants of the same token go to the decision cache, which also keeps the
/// single-flight markers of check-access calls.
public struct IntrospectionRecord: Sendable {
    /// The introspection result (RFC 7662 + UMA permissions).
    public var result: IntrospectionResult
    /// The token's first grant, if one is cached here.
    public var grant: InlineGrant?

    /// A record without a grant.
    public init(_ result: IntrospectionResult) {
        self.result = result
        self.grant = nil
    }
}

/// A grant (``CachedGrant``) kept in its token's ``IntrospectionRecord``: the decision key's service scope, rule,
/// condition and method, and one deadline.
///
/// The token and the authorization server are the record's own key, so they are not repeated. The method is kept
/// as a code for RFC 9110's nine methods (§9.3); a grant for another method, or for a condition index beyond 16
/// bits, cannot be kept inline (``init(key:grant:ttl:now:)`` returns nil) and goes to the
/// decision cache.
///
/// **Time.** One deadline in epoch seconds: the grant's `validUntil` (SPEC A7), capped by the cache TTL
/// (`now + ttl`, whole seconds, rounded down). The decision cache keeps both on two clocks; they are the same
/// deadline (the state machine grants for `ttl` seconds until `validUntil`), and a TTL capped by a shared
/// (Redis) entry's remaining lifetime moves the deadline earlier. A grant is live while `now < deadline`.
public struct InlineGrant: Sendable, Equatable {
    /// The service and its authorization server (``DecisionCacheKey/Scope``).
    public let scope: DecisionCacheKey.Scope
    @usableFromInline let rule: Int32
    @usableFromInline let condition: UInt16
    @usableFromInline let method: UInt8
    /// Epoch seconds: live while `now < deadline`.
    public let deadline: Int64

    /// The grant for `key`, or nil when it cannot be kept inline: a method outside RFC 9110's nine, a condition
    /// index beyond `UInt16`, or a TTL under one second (nothing to keep).
    /// - Parameters:
    ///   - grant: the grant (its `validUntil` in epoch seconds).
    ///   - ttl: the cache lifetime the grant was stored with.
    ///   - now: epoch seconds.
    public init?(key: DecisionCacheKey, grant: CachedGrant, ttl: Duration, now: Int64) {
        guard let method = Self.methodCode(key.method), let condition = UInt16(exactly: key.storedConditionIndex)
        else { return nil }
        let seconds = ttl.components.seconds
        guard seconds > 0 else { return nil }
        let (capped, overflow) = now.addingReportingOverflow(seconds)
        self.scope = key.scope
        self.rule = key.storedRuleIndex
        self.condition = condition
        self.method = method
        self.deadline = overflow ? grant.validUntil : min(grant.validUntil, capped)
    }

    /// Whether this is the grant of (`scope`, `ruleIndex`, `conditionIndex`, `method`) — for the record's token.
    @inlinable
    public func answers(scope: DecisionCacheKey.Scope, ruleIndex: Int, conditionIndex: Int, method: String) -> Bool {
        Int(self.rule) == ruleIndex && Int(self.condition) == conditionIndex && self.scope == scope
            && Self.methodCode(method) == self.method
    }

    /// Whether this is the grant of `key` (whose token is the record's).
    @inlinable
    public func answers(_ key: DecisionCacheKey) -> Bool {
        self.answers(
            scope: key.scope, ruleIndex: key.ruleIndex, conditionIndex: key.conditionIndex, method: key.method)
    }

    /// The grant as the decision cache hands it out, while live at `now` (epoch seconds); otherwise nil.
    @inlinable
    public func grant(at now: Int64) -> CachedGrant? {
        now < self.deadline ? CachedGrant(validUntil: self.deadline) : nil
    }

    /// The grant's expiry on the cache's clock (nanoseconds, like ``LRUTTLCache`` expiries): `instant` plus the
    /// seconds left until the deadline, never past `recordExpiresAt` (the grant leaves with its record).
    @inlinable
    public func expiresAt(now: Int64, instant: CacheInstant, recordExpiresAt: Int64) -> Int64 {
        let left = CacheInstant.saturatingNanoseconds(.seconds(max(0, self.deadline &- now)))
        let (sum, overflow) = instant.nanoseconds.addingReportingOverflow(left)
        return overflow ? recordExpiresAt : min(sum, recordExpiresAt)
    }

    /// The code of a method: 1…9 for RFC 9110 §9.3's `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `CONNECT`, `OPTIONS`,
    /// `TRACE` and `PATCH`, compared by bytes (methods are case-sensitive tokens, RFC 9110 §9.1); nil for any
    /// other.
    @inlinable
    static func methodCode(_ method: String) -> UInt8? {
        switch method.utf8.count {
        case 3:
            if method == "GET" { return 1 }
            if method == "PUT" { return 4 }
        case 4:
            if method == "HEAD" { return 2 }
            if method == "POST" { return 3 }
        case 5:
            if method == "TRACE" { return 8 }
            if method == "PATCH" { return 9 }
        case 6: if method == "DELETE" { return 5 }
        case 7:
            if method == "CONNECT" { return 6 }
            if method == "OPTIONS" { return 7 }
        default: break
        }
        return nil
    }
}
