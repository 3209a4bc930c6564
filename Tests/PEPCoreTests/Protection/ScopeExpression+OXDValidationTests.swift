import Testing

@testable import PEPCore

@Suite struct ScopeExpressionOXDValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let rule: ScopeRule
        let data: [String]
        let accepted: Bool
        var testDescription: String { self.label }
    }

    /// oxd accepts an expression only when its JsonLogic value over the scope names is one of them (Part B §3.2).
    @Test(arguments: [
        Case(label: "tutorial or", rule: .or([.variable(0)]), data: ["read"], accepted: true),
        Case(
            label: "and with nested or", rule: .and([.variable(0), .or([.variable(1), .variable(2)])]),
            data: ["admin", "employee", "customer"], accepted: true),
        Case(label: "top-level not", rule: .not(.variable(0)), data: ["read"], accepted: false),
        Case(
            label: "and ending in not", rule: .and([.variable(0), .not(.variable(1))]), data: ["a", "b"],
            accepted: false),
        Case(label: "literal", rule: .literal(true), data: ["read"], accepted: false),
        Case(label: "out of range var", rule: .variable(3), data: ["read"], accepted: false),
    ])
    func oxdAcceptance(_ item: Case) {
        #expect(ScopeExpression(rule: item.rule, data: item.data).isAcceptedByOXD == item.accepted)
    }

    /// With register_resources on an oxd server, a rejected expression is a config error naming the field.
    @Test func configRejectsWhatOXDWouldReject() throws {
        let text = try ConfigTestSupport.fixture("tutorial.yaml").replacingOccurrences(
            of: "rule: {or: [{var: 0}]}", with: "rule: {\"!\": [{var: 0}]}")
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.detail == "config.invalid_scope_expression")
        #expect(error.fieldPath == "services[0].uma_scope_expression[0].conditions[0].scope_expression")
    }
}
