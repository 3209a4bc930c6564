/// The result of matching a request against a compiled protection document (SPEC A4).
public struct RuleMatch: Sendable, Equatable {
    /// Index of the matched rule in `ProtectionDocument.rules`; a stable rule id for cache keys and metrics.
    public var ruleIndex: Int
    /// Index of the matched condition in that rule's `conditions`.
    public var conditionIndex: Int
    /// The rule's configured pattern string (e.g. `/posts/??`), sent to oxd as `path`.
    public var pattern: String

    /// Creates a match.
    public init(ruleIndex: Int, conditionIndex: Int, pattern: String) {
        self.ruleIndex = ruleIndex
        self.conditionIndex = conditionIndex
        self.pattern = pattern
    }
}
