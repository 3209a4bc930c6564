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
///
/// Laid out for the cache, which holds one key per cached grant (docs/benchmarks.md, "Memory with 100 000
/// tokens"): the service and its authorization server are one shared ``Scope`` (``ServicePolicy/decisionScope``
/// builds it once per service), the two indexes share a word; 56 bytes instead of 88.
public struct DecisionCacheKey: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// The service and its authorization server of a key, hashed once.
    public final class Scope: Sendable, Hashable {
        /// The service's name (its configuration id).
        public let service: String
        /// The service's authorization server (SPEC A3: keys are scoped by service and authorization server).
        public let authorizationServer: String
        @usableFromInline let precomputedHash: Int

        /// Creates a scope; hashes both strings once.
        public init(service: String, authorizationServer: String) {
            self.service = service
            self.authorizationServer = authorizationServer
            var hasher = Hasher()
            hasher.combine(service)
            hasher.combine(authorizationServer)
            self.precomputedHash = hasher.finalize()
        }

        /// Equal when both strings are equal (the same object without comparing them).
        @inlinable
        public static func == (lhs: Scope, rhs: Scope) -> Bool {
            lhs === rhs
                || (lhs.precomputedHash == rhs.precomputedHash && lhs.service == rhs.service
                    && lhs.authorizationServer == rhs.authorizationServer)
        }

        /// Feeds the precomputed hash.
        @inlinable
        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.precomputedHash)
        }
    }

    /// The service and its authorization server.
    public let scope: Scope
    @usableFromInline let storedRuleIndex: Int32
    @usableFromInline let storedConditionIndex: Int32
    /// The request's HTTP method, as matched.
    public let method: String
    /// The bearer token (RPT) exactly as presented.
    public let token: String
    @usableFromInline let precomputedHash: Int

    /// The service's name (its configuration id).
    public var service: String { self.scope.service }
    /// The service's authorization server (SPEC A3: keys are scoped by service and authorization server).
    public var authorizationServer: String { self.scope.authorizationServer }
    /// Index of the matched rule in the service's protection document.
    public var ruleIndex: Int { Int(self.storedRuleIndex) }
    /// Index of the matched condition (HTTP-method group) within the rule.
    public var conditionIndex: Int { Int(self.storedConditionIndex) }

    /// Creates a key for a service's shared scope (``ServicePolicy/decisionScope``); hashes the fields once.
    /// The indexes must fit in 32 bits (a protection document's rules and conditions do).
    public init(scope: Scope, ruleIndex: Int, conditionIndex: Int, method: String, token: String) {
        self.scope = scope
        self.storedRuleIndex = Int32(ruleIndex)
        self.storedConditionIndex = Int32(conditionIndex)
        self.method = method
        self.token = token
        var hasher = Hasher()
        hasher.combine(scope.precomputedHash)
        hasher.combine(ruleIndex)
        hasher.combine(conditionIndex)
        hasher.combine(method)
        hasher.combine(token)
        self.precomputedHash = hasher.finalize()
    }

    /// Creates a key with a scope of its own (equal to a shared one with the same strings); hashes the fields
    /// once.
    public init(
        service: String, authorizationServer: String = "", ruleIndex: Int, conditionIndex: Int, method: String,
        token: String
    ) {
        self.init(
            scope: Scope(service: service, authorizationServer: authorizationServer), ruleIndex: ruleIndex,
            conditionIndex: conditionIndex, method: method, token: token)
    }

    /// Equal when every field is equal.
    @inlinable
    public static func == (lhs: DecisionCacheKey, rhs: DecisionCacheKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.storedRuleIndex == rhs.storedRuleIndex
            && lhs.storedConditionIndex == rhs.storedConditionIndex && lhs.token == rhs.token
            && lhs.method == rhs.method && lhs.scope == rhs.scope
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
