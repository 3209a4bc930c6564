import Testing

@testable import PEPCore

@Suite struct CustomHeaderConfigTests {
    private func load(_ headersYAML: String) throws(ConfigError) -> [CustomHeader] {
        let text = ConfigTestSupport.config(serviceExtra: "    custom_headers:\n" + headersYAML)
        return try ConfigTestSupport.load(text).services[0].policy.customHeaders
    }

    /// Names get `_` → `-`; format, sep and iterate are carried over.
    @Test func loadsAllFields() throws {
        let headers = try self.load(
            """
                  - {header_name: x_consumer_id, value_lua_exp: consumer.id}
                  - {header_name: x-rpt, value_lua_exp: introspect_data, format: jwt}
                  - {header_name: 'x-perm-{*}', value_lua_exp: introspect_data.perms, format: list, sep: ";",
                     iterate: true}
                  - {header_name: x-version, value_lua_exp: '"version 1.0"'}
            """)
        #expect(
            headers == [
                CustomHeader(headerName: "x-consumer-id", expression: .consumer(["id"])),
                CustomHeader(headerName: "x-rpt", expression: .introspectData([]), format: .jwt),
                CustomHeader(
                    headerName: "x-perm-{*}", expression: .introspectData(["perms"]), format: .list, separator: ";",
                    iterate: true),
                CustomHeader(headerName: "x-version", expression: .literal("version 1.0")),
            ])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let label: String
        let yaml: String
        let field: String
        let detail: String
        var testDescription: String { self.label }
    }

    static let invalid: [Invalid] = [
        Invalid(
            label: "Lua expression", yaml: "- {header_name: x-a, value_lua_exp: 'os.getenv(\"HOME\")'}",
            field: "[0].value_lua_exp", detail: "config.invalid_header_expression"),
        Invalid(
            label: "unquoted literal", yaml: "- {header_name: x-a, value_lua_exp: hello}",
            field: "[0].value_lua_exp", detail: "config.invalid_header_expression"),
        Invalid(
            label: "space in name", yaml: "- {header_name: x a, value_lua_exp: consumer.id}",
            field: "[0].header_name", detail: "config.invalid_header_name"),
        Invalid(
            label: "colon in name", yaml: "- {header_name: 'x:a', value_lua_exp: consumer.id}",
            field: "[0].header_name", detail: "config.invalid_header_name"),
        Invalid(
            label: "placeholder without iterate", yaml: "- {header_name: 'x-{*}', value_lua_exp: consumer}",
            field: "[0].header_name", detail: "config.invalid_header_name"),
        Invalid(
            label: "iterate without placeholder", yaml: "- {header_name: x-a, value_lua_exp: consumer, iterate: true}",
            field: "[0].header_name", detail: "config.invalid_header_name"),
        Invalid(
            label: "framing header", yaml: "- {header_name: Content_Length, value_lua_exp: '\"1\"'}",
            field: "[0].header_name", detail: "config.invalid_header_name"),
        Invalid(
            label: "duplicate name",
            yaml:
                "- {header_name: X-A, value_lua_exp: consumer.id}\n"
                + "      - {header_name: x_a, value_lua_exp: consumer.id}",
            field: "[1].header_name", detail: "config.duplicate_header"),
        Invalid(
            label: "unknown format", yaml: "- {header_name: x-a, value_lua_exp: consumer, format: xml}",
            field: "[0].format", detail: "config.invalid_value"),
        Invalid(
            label: "unknown field", yaml: "- {header_name: x-a, value_lua_exp: consumer, value: x}",
            field: "[0].value", detail: "config.unknown_field"),
        Invalid(
            label: "missing expression", yaml: "- {header_name: x-a}",
            field: "[0].value_lua_exp", detail: "config.missing_field"),
    ]

    /// Each invalid custom header fails at its exact field; expression errors name the header.
    @Test(arguments: Self.invalid)
    func rejectsInvalidHeader(_ case_: Invalid) {
        do {
            _ = try self.load("      " + case_.yaml + "\n")
            Issue.record("headers were accepted")
        } catch {
            #expect(error.fieldPath == "services[0].custom_headers" + case_.field)
            #expect(error.detail == case_.detail)
            if case_.detail == "config.invalid_header_expression" { #expect(error.message.contains("'x-a'")) }
        }
    }
}
