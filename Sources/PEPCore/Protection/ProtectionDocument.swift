/// The protection document of one service: what gluu-uma-pep called `uma_scope_expression`
/// (SPEC Part B §3.1, A4, A13).
///
/// Shape (JSON or YAML): an array of rules, each a `path` pattern with one or more `conditions`:
/// ```json
/// [{"path": "/photos/??",
///   "conditions": [{"httpMethods": ["GET"], "scope_expression": {"rule": {"or": [{"var": 0}]}, "data": ["view"]}},
///                  {"httpMethods": ["POST", "PUT"], "scopes": ["add"], "ticketScopes": ["add"]}]}]
/// ```
/// The same document (as a JSON value) is what oxd `/uma-rs-protect` registers (Part B §4.3).
public struct ProtectionDocument: Sendable, Equatable {
    /// The rules in configuration order. Order matters only as the registration order of `{regex}`
    /// segments (SPEC Part B §3.3); precedence otherwise comes from segment kinds.
    public var rules: [ResourceRule]

    /// Creates a document from its rules (no validation; see `ProtectionDocument+Validation`).
    public init(rules: [ResourceRule]) {
        self.rules = rules
    }
}

/// One rule of a protection document: a path pattern and its conditions (SPEC Part B §3.1).
public struct ResourceRule: Sendable, Equatable {
    /// The path pattern: `/`-separated segments, each a literal, `?` (one segment), `??` (zero or more
    /// segments, at most once) or `{regex}` (one segment, anchored; SPEC A4). This exact string is what is
    /// sent to oxd as `path` in `/uma-rs-check-access`.
    public var path: String
    /// The conditions; each names the HTTP methods it applies to. Non-empty after validation.
    public var conditions: [RuleCondition]

    /// Creates a rule.
    public init(path: String, conditions: [RuleCondition]) {
        self.path = path
        self.conditions = conditions
    }
}

/// One condition of a rule: the methods it covers and the scopes that protect it (SPEC Part B §3.1, A13).
public struct RuleCondition: Sendable, Equatable {
    /// Methods this condition applies to, case-sensitive (`GET`, `POST`, …); `?` means any method.
    public var httpMethods: [String]
    /// Optional JsonLogic scope expression (Gluu extension), evaluated over `data`.
    public var scopeExpression: ScopeExpression?
    /// Plain scopes (oxd `/uma-rs-protect` form). Used as the required scopes when there is no expression. A
    /// protected condition may have neither (the resource alone is protected; its tickets name no scopes).
    public var scopes: [String]
    /// Scopes to put into a permission ticket for this condition (oxd `ticketScopes`).
    public var ticketScopes: [String]
    /// `public: true` (SPEC A13): matching requests are forwarded without a token check.
    public var isPublic: Bool

    /// Creates a condition.
    public init(
        httpMethods: [String], scopeExpression: ScopeExpression? = nil, scopes: [String] = [],
        ticketScopes: [String] = [], isPublic: Bool = false
    ) {
        self.httpMethods = httpMethods
        self.scopeExpression = scopeExpression
        self.scopes = scopes
        self.ticketScopes = ticketScopes
        self.isPublic = isPublic
    }

    /// The scopes an RPT must hold (any of them) for this condition: `scopes` when non-empty, else the
    /// expression's `data` (oxd `RsCheckAccessOperation`, SPEC Part B §4.4 step 2). Empty for a protected
    /// condition written with neither: then any permission for its resource grants (`UMA2Decision`).
    public var requiredScopes: [String] {
        if !self.scopes.isEmpty { return self.scopes }
        return self.scopeExpression?.data ?? []
    }

    /// The scopes a ticket is registered with: the expression's `data` if there is an expression, else
    /// `ticketScopes` if non-empty, else `scopes` (SPEC Part B §4.4 step 5).
    public var effectiveTicketScopes: [String] {
        if let expression = self.scopeExpression { return expression.data }
        if !self.ticketScopes.isEmpty { return self.ticketScopes }
        return self.scopes
    }
}

/// A JsonLogic scope expression `{"rule": …, "data": [scope, …]}` (SPEC Part B §3.5).
public struct ScopeExpression: Sendable, Equatable {
    /// The boolean rule over positions of `data`.
    public var rule: ScopeRule
    /// The scopes; `{"var": i}` refers to `data[i]`. Non-empty after validation.
    public var data: [String]

    /// Creates an expression.
    public init(rule: ScopeRule, data: [String]) {
        self.rule = rule
        self.data = data
    }
}

/// The JsonLogic subset used by scope expressions: `and`, `or`, `!`, and `var` by index (SPEC Part B §3.5).
public indirect enum ScopeRule: Sendable, Equatable {
    /// `{"var": i}`: true when scope `data[i]` is granted.
    case variable(Int)
    /// `{"and": [a, b, …]}`.
    case and([ScopeRule])
    /// `{"or": [a, b, …]}`.
    case or([ScopeRule])
    /// `{"!": [a]}` or `{"!": a}`.
    case not(ScopeRule)
    /// A literal boolean (`true` / `false`).
    case literal(Bool)
}
