/// Why a protection document could not be compiled into a `PathMatcher` (SPEC Part A4, Part B §3.2).
///
/// Config validation (`ProtectionDocument+Validation`) rejects most of these with its own messages first; the
/// matcher re-checks everything it relies on so that an unvalidated document can never make it trap.
/// Every case names the rule index so the config layer can build a field path (`services[i].rules[j].path`).
public enum PathMatcherError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule's path is empty or does not start with `/` (it could never match a canonical path).
    case patternNotAbsolute(ruleIndex: Int, pattern: String)
    /// The rule's path has more than one `??` segment (SPEC Part B §3.2 rule 3). At most one `??` per pattern
    /// is also what bounds backtracking (see `PathMatcher`).
    case multipleGlobstars(ruleIndex: Int, pattern: String)
    /// The rule's path has more than `PathMatcher.maxPatternSegments` segments. Matching recurses once per
    /// pattern segment, so this bounds the stack a request can use.
    case patternTooLong(ruleIndex: Int, pattern: String)
    /// A `{regex}` segment does not compile as a Swift `Regex`; `regex` is the text between the braces.
    case invalidRegex(ruleIndex: Int, pattern: String, regex: String)
    /// A condition's method is empty, contains `/`, is `??` or a `{regex}` (SPEC Part B §3.2 rule 8);
    /// `?` (any method) and literal method names are accepted.
    case invalidMethod(ruleIndex: Int, conditionIndex: Int, method: String)
    /// The same method + path pattern is registered twice (SPEC Part B §3.2 rules 4 and 7): the second
    /// registration could never win. `existingRuleIndex` is the rule that registered it first.
    case duplicateRoute(ruleIndex: Int, conditionIndex: Int, method: String, pattern: String, existingRuleIndex: Int)

    /// Stable machine-readable reason, used in logs, stats and test assertions (STYLE.md rule 8).
    public var detail: String {
        switch self {
        case .patternNotAbsolute: "matcher.pattern_not_absolute"
        case .multipleGlobstars: "matcher.multiple_globstars"
        case .patternTooLong: "matcher.pattern_too_long"
        case .invalidRegex: "matcher.invalid_regex"
        case .invalidMethod: "matcher.invalid_method"
        case .duplicateRoute: "matcher.duplicate_route"
        }
    }

    /// The index of the offending rule in `ProtectionDocument.rules`.
    public var ruleIndex: Int {
        switch self {
        case .patternNotAbsolute(let index, _), .multipleGlobstars(let index, _), .patternTooLong(let index, _),
            .invalidRegex(let index, _, _), .invalidMethod(let index, _, _), .duplicateRoute(let index, _, _, _, _):
            index
        }
    }

    /// A human-readable message naming the rule index and the pattern.
    public var description: String {
        switch self {
        case .patternNotAbsolute(let index, let pattern):
            "rule \(index): path \"\(pattern)\" must start with \"/\""
        case .multipleGlobstars(let index, let pattern):
            "rule \(index): path \"\(pattern)\" has more than one ?? segment"
        case .patternTooLong(let index, let pattern):
            "rule \(index): path \"\(pattern)\" has more than \(PathMatcher.maxPatternSegments) segments"
        case .invalidRegex(let index, let pattern, let regex):
            "rule \(index): path \"\(pattern)\" has an invalid regular expression {\(regex)}"
        case .invalidMethod(let index, let condition, let method):
            "rule \(index) condition \(condition): invalid HTTP method \"\(method)\""
        case .duplicateRoute(let index, let condition, let method, let pattern, let existing):
            "rule \(index) condition \(condition): \(method) \(pattern) is already registered by rule \(existing)"
        }
    }
}
