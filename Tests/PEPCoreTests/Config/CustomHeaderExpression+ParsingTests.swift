import Testing

@testable import PEPCore

@Suite struct CustomHeaderExpressionParsingTests {
    /// Every form of the path language parses to the shared expression type.
    @Test(arguments: [
        ("introspect_data", CustomHeaderExpression.introspectData([])),
        ("introspect_data.client_id", .introspectData(["client_id"])),
        ("introspect_data.a.b_2", .introspectData(["a", "b_2"])),
        ("consumer", .consumer([])),
        ("consumer.id", .consumer(["id"])),
        (" consumer.custom_id ", .consumer(["custom_id"])),
        ("\"version 1.0\"", .literal("version 1.0")),
        ("\"\"", .literal("")),
    ])
    func parsesSupportedForms(_ text: String, _ expected: CustomHeaderExpression) {
        #expect(CustomHeaderExpression(parsing: text) == expected)
    }

    /// Lua beyond the subset, and malformed literals, are rejected.
    @Test(arguments: [
        "", "introspect_data.", "introspect_data..a", "consumer.1abc", "introspect_data[\"a\"]", "os.exit()",
        "introspect_data.client_id .. \"x\"", "'single'", "\"unterminated", "\"a\"b\"", "\"esc\\\"\"",
        "\"line\nbreak\"", "consumer.id or \"x\"", "token", "introspect_data.a-b",
    ])
    func rejectsEverythingElse(_ text: String) {
        #expect(CustomHeaderExpression(parsing: text) == nil)
    }

    /// `expressionText` renders a parsed expression back to text that parses to the same value.
    @Test(arguments: ["introspect_data", "introspect_data.a.b", "consumer.id", "\"lit eral\""])
    func rendersRoundTrip(_ text: String) throws {
        let expression = try #require(CustomHeaderExpression(parsing: text))
        #expect(expression.expressionText == text)
    }
}
