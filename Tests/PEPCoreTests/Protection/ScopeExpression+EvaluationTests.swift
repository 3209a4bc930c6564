import Testing

@testable import PEPCore

@Suite struct ScopeExpressionEvaluationTests {
    /// SPEC Part B §3.1 example `and(var0, or(var1, var2))` over [admin, employee, customer].
    @Test(
        arguments: [
            ([], false), (["admin"], false), (["admin", "employee"], true), (["admin", "customer"], true),
            (["employee", "customer"], false), (["admin", "employee", "customer"], true),
        ] as [([String], Bool)])
    func andOfOrExample(granted: [String], expected: Bool) {
        let expression = ScopeExpression(
            rule: .and([.variable(0), .or([.variable(1), .variable(2)])]), data: ["admin", "employee", "customer"])
        #expect(expression.evaluate(grantedScopes: Set(granted)) == expected)
        #expect(expression.evaluate(granted: { granted.contains($0) }) == expected)
    }

    /// SPEC Part B §3.5 example `or(var0, var1, !var2)`: true when `a` or `b` is held, or `c` is not.
    @Test(
        arguments: [
            ([], true), (["c"], false), (["a", "c"], true), (["b", "c"], true), (["a"], true),
        ] as [([String], Bool)])
    func orWithNegationExample(granted: [String], expected: Bool) {
        let expression = ScopeExpression(
            rule: .or([.variable(0), .variable(1), .not(.variable(2))]), data: ["a", "b", "c"])
        #expect(expression.evaluate(grantedScopes: Set(granted)) == expected)
    }

    /// JsonLogic identities: `and` of nothing is true, `or` of nothing is false; literals are themselves.
    @Test func emptyOperandsAndLiterals() {
        #expect(ScopeRule.and([]).evaluate { _ in false })
        #expect(!ScopeRule.or([]).evaluate { _ in true })
        #expect(ScopeRule.literal(true).evaluate { _ in false })
        #expect(!ScopeRule.not(.literal(true)).evaluate { _ in false })
    }

    /// A `var` index outside `data` (or negative) is false, never a trap, and never consults `granted`.
    @Test(arguments: [3, -1, Int.max])
    func outOfRangeVariableIsFalse(index: Int) {
        let expression = ScopeExpression(rule: .variable(index), data: ["a", "b", "c"])
        var consulted = false
        #expect(
            !expression.evaluate { _ in
                consulted = true; return true
            })
        #expect(!consulted)
        #expect(ScopeExpression(rule: .not(.variable(index)), data: ["a"]).evaluate(grantedScopes: ["a"]))
    }

    /// Scope names compare exactly (case-sensitive), as the set passed in defines.
    @Test func scopeComparisonIsExact() {
        let expression = ScopeExpression(rule: .variable(0), data: ["View"])
        #expect(!expression.evaluate(grantedScopes: ["view"]))
        #expect(expression.evaluate(grantedScopes: ["View"]))
    }
}
