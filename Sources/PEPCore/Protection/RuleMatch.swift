/// The result of matching a request against a compiled protection document (SPEC A4).
public struct RuleMatch: Sendable, Equatable {
    /// Index of the matched rule in `ProtectionDocument.rules`; a stable rule id for cache keys and metrics.
    public var ruleIndex: Int
    /// Index of the matched condition in that rule's `conditions`.
    public var conditionIndex: Int
    /// The rule's configured pattern string (e.g. `/posts/??`), sent to oxd as `path`.
    public var pattern: String
    /// The method the request is authorized as when it is not the request's own: `GET` for a `HEAD` request
    /// that a condition listing `GET` but not `HEAD` covers (upstreams run the GET handler for HEAD). `nil`
    /// when the request's own method (or `?`) matched.
    public var authorizedMethod: String?
    /// How the request missed the rule when it did not match it exactly (`near_miss: protect`); `nil` for an
    /// exact match.
    public var nearMiss: NearMiss?

    /// Creates a match.
    public init(
        ruleIndex: Int, conditionIndex: Int, pattern: String, authorizedMethod: String? = nil,
        nearMiss: NearMiss? = nil
    ) {
        self.ruleIndex = ruleIndex
        self.conditionIndex = conditionIndex
        self.pattern = pattern
        self.authorizedMethod = authorizedMethod
        self.nearMiss = nearMiss
    }
}

/// How a request that matches no rule exactly still reaches a protected rule: after folding ASCII case, after
/// dropping one trailing `/`, or both. Upstreams that route case-insensitively or serve `/a/` as `/a` would run
/// that rule's handler, so the request is enforced as that rule (`near_miss: protect`).
public struct NearMiss: Sendable, Equatable, CustomStringConvertible {
    /// The path matched only with ASCII letters compared case-insensitively.
    public var foldedCase: Bool
    /// The path matched only without its trailing `/`.
    public var droppedTrailingSlash: Bool

    /// Creates a near-miss description.
    public init(foldedCase: Bool, droppedTrailingSlash: Bool) {
        self.foldedCase = foldedCase
        self.droppedTrailingSlash = droppedTrailingSlash
    }

    /// `case`, `trailing_slash` or `case+trailing_slash`.
    public var description: String {
        switch (self.foldedCase, self.droppedTrailingSlash) {
        case (true, true): return "case+trailing_slash"
        case (true, false): return "case"
        default: return "trailing_slash"
        }
    }
}
