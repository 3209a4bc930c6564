/// Key of the decision cache: (service, rule, condition, method, token) → grant (SPEC A7; A3 scopes keys by
/// service; SECURITY.md case 23: a grant for one rule and method never answers another).
///
/// The reference keyed grants by `"<METHOD>:<pattern>:<token>"` across all services (SPEC Part B §2.7, a bug
/// A3 fixes). Rules are identified by their index in the service's compiled protection document and the
/// condition by its index within the rule, both stable for one configuration generation: a reload builds a new
/// cache generation or flushes (DESIGN "Threads and state").
///
/// Strings are hashed once, at construction (see ``IntrospectionCacheKey``). `description` never contains the
/// token.
public struct DecisionCacheKey: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// The service's name (its configuration id).
    public let service: String
    /// The service's authorization server (SPEC A3: keys are scoped by service and authorization server).
    public let authorizationServer: String
    /// Index of the matched rule in the service's protection document.
    public let ruleIndex: Int
    /// Index of the matched condition (HTTP-method group) within the rule.
    public let conditionIndex: Int
    /// The request's HTTP method, as matched.
    public let method: String
    /// The bearer token (RPT) exactly as presented.
    public let token: String
    @usableFromInline let precomputedHash: Int

    /// Creates a key; hashes the fields once.
    public init(
        service: String, authorizationServer: String = "", ruleIndex: Int, conditionIndex: Int, method: String,
        token: String
    ) {
        self.service = service
        self.authorizationServer = authorizationServer
        self.ruleIndex = ruleIndex
        self.conditionIndex = conditionIndex
        self.method = method
        self.token = token
        var hasher = Hasher()
        hasher.combine(service)
        hasher.combine(authorizationServer)
        hasher.combine(ruleIndex)
        hasher.combine(conditionIndex)
        hasher.combine(method)
        hasher.combine(token)
        self.precomputedHash = hasher.finalize()
    }

    /// Equal when every field is equal.
    @inlinable
    public static func == (lhs: DecisionCacheKey, rhs: DecisionCacheKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.ruleIndex == rhs.ruleIndex
            && lhs.conditionIndex == rhs.conditionIndex && lhs.token == rhs.token && lhs.method == rhs.method
            && lhs.service == rhs.service && lhs.authorizationServer == rhs.authorizationServer
    }

    /// Feeds the precomputed hash.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.precomputedHash)
    }

    /// `decision(<service>#<rule>.<condition> <METHOD>, token: <n> bytes)`: the token itself is never shown.
    public var description: String {
        "decision(\(self.service)#\(self.ruleIndex).\(self.conditionIndex) \(self.method), "
            + "token: \(self.token.utf8.count) bytes)"
    }

    /// A mirror without the token (for `dump` and debuggers).
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "service": self.service, "ruleIndex": self.ruleIndex, "conditionIndex": self.conditionIndex,
                "method": self.method, "tokenBytes": self.token.utf8.count,
            ] as KeyValuePairs<String, Any>)
    }
}
