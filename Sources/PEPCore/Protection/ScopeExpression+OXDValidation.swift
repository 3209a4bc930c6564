/// oxd's own check of a scope expression at `/uma-rs-protect` (SPEC Part B §3.2, §4.3): evaluated as JsonLogic
/// over the scope *names* (`{"var": i}` is the string `data[i]`; strings are truthy when non-empty), the rule
/// must yield one of the `data` strings — otherwise oxd answers `400 invalid_scope_expression`. A rule whose top
/// is `!` (a boolean) or that can end on a literal fails it, even though uma-pep itself could evaluate it.
extension ScopeExpression {
    /// Whether oxd would accept this expression in `/uma-rs-protect`.
    public var isAcceptedByOXD: Bool {
        guard case .string(let scope)? = self.rule.jsonLogicValue(data: self.data, depth: 0) else { return false }
        return self.data.contains(scope)
    }
}

extension ScopeRule {
    /// JsonLogic's value semantics (`and`/`or` return an operand, `!` a boolean).
    func jsonLogicValue(data: [String], depth: Int) -> JSONValue? {
        guard depth < 64 else { return nil }
        switch self {
        case .literal(let flag):
            return .bool(flag)
        case .variable(let index):
            guard index >= 0, index < data.count else { return nil }
            return .string(data[index])
        case .not(let operand):
            guard let value = operand.jsonLogicValue(data: data, depth: depth + 1) else { return nil }
            return .bool(!Self.truthy(value))
        case .and(let operands), .or(let operands):
            let isOr: Bool
            if case .or = self { isOr = true } else { isOr = false }
            var last: JSONValue?
            for operand in operands {
                guard let value = operand.jsonLogicValue(data: data, depth: depth + 1) else { return nil }
                last = value
                if Self.truthy(value) == isOr { return value }
            }
            return last
        }
    }

    private static func truthy(_ value: JSONValue) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text): return !text.isEmpty
        default: return false
        }
    }
}
