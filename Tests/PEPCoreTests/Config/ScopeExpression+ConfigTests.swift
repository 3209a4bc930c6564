import Testing

@testable import PEPCore

@Suite struct ScopeExpressionConfigTests {
    private func load(_ json: String) throws(ConfigError) -> ScopeExpression {
        let document = #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scope_expression": "# + json + "}]}]"
        let (loaded, _) = try ProtectionDocument.load(jsonText: document, fieldPath: FieldPath.root["d"], file: "f")
        guard let expression = loaded.rules[0].conditions[0].scopeExpression else {
            throw ConfigError(file: "f", fieldPath: "", message: "no expression", reason: .missingField)
        }
        return expression
    }

    /// The documented operators parse into the shared `ScopeRule` tree.
    @Test func parsesSupportedOperators() throws {
        let expression = try self.load(
            #"{"rule": {"and": [{"var": 0}, {"or": [{"var": 1}, {"var": 2}]}, {"!": [{"var": 2}]}, "#
                + #"{"!": {"var": 0}}, true]},"#
                + #""data": ["admin", "employee", "customer"]}"#)
        #expect(
            expression.rule
                == .and([
                    .variable(0), .or([.variable(1), .variable(2)]), .not(.variable(2)), .not(.variable(0)),
                    .literal(true),
                ]))
        #expect(expression.data == ["admin", "employee", "customer"])
    }

    /// A literal boolean is a valid (if unusual) rule.
    @Test func literalRuleIsAccepted() throws {
        #expect(try self.load(#"{"rule": false, "data": ["a"]}"#).rule == .literal(false))
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let label: String
        let json: String
        let fieldPath: String
        let detail: String
        var testDescription: String { self.label }
    }

    static let invalid: [Invalid] = [
        Invalid(
            label: "var out of range", json: #"{"rule": {"var": 1}, "data": ["a"]}"#,
            fieldPath: "rule.var", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "negative var", json: #"{"rule": {"var": -1}, "data": ["a"]}"#,
            fieldPath: "rule.var", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "var by name", json: #"{"rule": {"var": "a"}, "data": ["a"]}"#,
            fieldPath: "rule.var", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "unsupported operator", json: #"{"rule": {"xor": [{"var": 0}]}, "data": ["a"]}"#,
            fieldPath: "rule.xor", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "two operators", json: #"{"rule": {"and": [{"var": 0}], "or": [{"var": 0}]}, "data": ["a"]}"#,
            fieldPath: "rule", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "empty and", json: #"{"rule": {"and": []}, "data": ["a"]}"#,
            fieldPath: "rule.and", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "or not a list", json: #"{"rule": {"or": {"var": 0}}, "data": ["a"]}"#,
            fieldPath: "rule.or", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "not with two operands", json: #"{"rule": {"!": [{"var": 0}, {"var": 0}]}, "data": ["a"]}"#,
            fieldPath: "rule[\"!\"]", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "string rule", json: #"{"rule": "a", "data": ["a"]}"#,
            fieldPath: "rule", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "number rule", json: #"{"rule": 1, "data": ["a"]}"#,
            fieldPath: "rule", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "nested non-boolean", json: #"{"rule": {"or": [{"var": 0}, "a"]}, "data": ["a"]}"#,
            fieldPath: "rule.or[1]", detail: "config.invalid_scope_expression"),
        Invalid(
            label: "empty data", json: #"{"rule": true, "data": []}"#,
            fieldPath: "data", detail: "config.invalid_scope_expression"),
        Invalid(label: "missing data", json: #"{"rule": true}"#, fieldPath: "data", detail: "config.missing_field"),
        Invalid(label: "missing rule", json: #"{"data": ["a"]}"#, fieldPath: "rule", detail: "config.missing_field"),
        Invalid(
            label: "empty scope name", json: #"{"rule": true, "data": [""]}"#,
            fieldPath: "data[0]", detail: "config.invalid_value"),
        Invalid(
            label: "non-string scope", json: #"{"rule": true, "data": [1]}"#,
            fieldPath: "data[0]", detail: "config.type_mismatch"),
        Invalid(
            label: "unknown field", json: #"{"rule": true, "data": ["a"], "extra": 1}"#,
            fieldPath: "extra", detail: "config.unknown_field"),
    ]

    /// Each expression outside the supported subset is rejected at its exact sub-path.
    @Test(arguments: Self.invalid)
    func rejectsInvalidExpression(_ case_: Invalid) {
        do {
            _ = try self.load(case_.json)
            Issue.record("expression was accepted")
        } catch {
            let prefix = "d[0].conditions[0].scope_expression."
            #expect(error.fieldPath == prefix + case_.fieldPath)
            #expect(error.detail == case_.detail)
        }
    }

    /// Deeply nested rules are refused instead of exhausting the stack.
    @Test func deepNestingIsRefused() {
        let depth = 200
        let rule = String(repeating: #"{"!": "#, count: depth) + #"{"var": 0}"# + String(repeating: "}", count: depth)
        #expect(throws: ConfigError.self) { try self.load(#"{"rule": "# + rule + #", "data": ["a"]}"#) }
    }
}
