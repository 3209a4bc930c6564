extension ScopeExpression {
    /// Evaluates the JsonLogic rule over the boolean vector `granted(data[i])` (SPEC Part B §3.5): `{"var": i}`
    /// is true when scope `data[i]` is granted; an index outside `data` is false.
    ///
    /// Evaluation short-circuits, so `granted` may be called for only some scopes, and possibly more than once
    /// for a scope referenced twice.
    /// - Parameter granted: whether the token holds a scope (exact, case-sensitive comparison is the caller's).
    /// - Returns: the rule's value.
    public func evaluate(granted: (String) -> Bool) -> Bool {
        self.rule.evaluate { index in
            guard self.data.indices.contains(index) else { return false }
            return granted(self.data[index])
        }
    }

    /// Evaluates the rule against a set of granted scopes (SPEC Part B §3.5).
    /// - Parameter grantedScopes: the scopes the token holds (e.g. a permission's `scopes`).
    /// - Returns: the rule's value.
    public func evaluate(grantedScopes: Set<String>) -> Bool {
        self.evaluate { grantedScopes.contains($0) }
    }
}

extension ScopeRule {
    /// Evaluates the rule over a boolean vector (SPEC Part B §3.5, JsonLogic semantics): `and` of no operands
    /// is true, `or` of no operands is false, `!` negates.
    /// - Parameter variable: the vector's value at an index; called only for indices the rule references.
    /// - Returns: the rule's value.
    public func evaluate(variable: (Int) -> Bool) -> Bool {
        switch self {
        case .variable(let index):
            return variable(index)
        case .and(let operands):
            return operands.allSatisfy { $0.evaluate(variable: variable) }
        case .or(let operands):
            return operands.contains { $0.evaluate(variable: variable) }
        case .not(let operand):
            return !operand.evaluate(variable: variable)
        case .literal(let value):
            return value
        }
    }
}
