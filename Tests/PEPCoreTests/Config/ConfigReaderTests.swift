import Testing

@testable import PEPCore

@Suite struct ConfigReaderTests {
    /// Unknown keys get a close suggestion (edit distance ≤ 2 or a case difference), none when far off.
    @Test(arguments: [
        ("httpMethod", "httpMethods"), ("HTTPMETHODS", "httpMethods"), ("scope", "scopes"),
        ("ticketscopes", "ticketScopes"), ("banana", nil as String?),
    ])
    func suggestsClosestField(_ key: String, _ expected: String?) {
        let allowed = ["httpMethods", "scope_expression", "scopes", "ticketScopes", "public"]
        #expect(ConfigReader.closest(to: key, in: allowed) == expected)
    }

    /// The first unknown key (in file order) is reported with its full path and a quoted key when needed.
    @Test func reportsFirstUnknownKey() throws {
        let node = try #require(try ConfigNode.parseYAML("ok: 1\n\"a.b\": 2\nzzz: 3\n", file: "f"))
        do {
            _ = try ConfigReader(node, at: FieldPath.root["root"], file: "f", allowed: ["ok"])
            Issue.record("accepted")
        } catch {
            #expect(error.fieldPath == "root[\"a.b\"]")
            #expect(error.detail == "config.unknown_field")
            #expect(error.description == "f: root[\"a.b\"]: unknown field 'a.b'")
        }
    }

    /// Field paths render keys with dots and items with brackets.
    @Test func fieldPathRendering() {
        let path = FieldPath.root["services"][1]["uma_scope_expression"][0]["conditions"][0]["httpMethods"]
        #expect(path.description == "services[1].uma_scope_expression[0].conditions[0].httpMethods")
        #expect(FieldPath.root.description.isEmpty)
    }

    /// A scalar where a mapping is expected is a type mismatch at that path.
    @Test func scalarForMappingIsTypeMismatch() throws {
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "limits: 5")))
        #expect(error.fieldPath == "limits")
        #expect(error.detail == "config.type_mismatch")
    }

    /// Every error detail is a stable `config.` string and unique.
    @Test func detailsAreStableAndUnique() {
        let details = ConfigError.Reason.allCases.map(\.rawValue)
        #expect(details.allSatisfy { $0.hasPrefix("config.") })
        #expect(Set(details).count == details.count)
    }
}
