import Foundation
import Testing

@testable import PEPCore

@Suite struct ProtectionDocumentConfigTests {
    /// One invalid document (JSON text) and the error it must give.
    struct Invalid: CustomTestStringConvertible, Sendable {
        let label: String
        let json: String
        let fieldPath: String
        let detail: String
        let message: String?
        var testDescription: String { self.label }

        init(_ label: String, _ json: String, _ fieldPath: String, _ detail: String, message: String? = nil) {
            self.label = label
            self.json = json
            self.fieldPath = fieldPath
            self.detail = detail
            self.message = message
        }
    }

    static let invalidDocuments: [Invalid] = [
        Invalid(
            "empty document (§3.2 rule 1)", "[]", "d", "config.empty_expression",
            message: "Empty expression not allowed"),
        Invalid("not a list", #"{"path": "/x"}"#, "d", "config.type_mismatch"),
        Invalid(
            "missing path (rule 2)", #"[{"conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.missing_path", message: "Path is missing or empty in expression"),
        Invalid(
            "empty path (rule 2)", #"[{"path": "", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.missing_path"),
        Invalid(
            "two ?? (rule 3)", #"[{"path": "/a/??/b/??", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.multiple_wildcards", message: "Multiple ?? patterns in path are not supported"),
        Invalid(
            "?? not after / ", #"[{"path": "/a??", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_wildcard"),
        Invalid(
            "?? glued to text", #"[{"path": "/??x", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_wildcard"),
        Invalid(
            "duplicate path (rule 4)",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]},"#
                + #"{"path": "/a", "conditions": [{"httpMethods": ["POST"], "scopes": ["r"]}]}]"#,
            "d[1].path", "config.duplicate_path", message: "Duplicate path in expression: '/a'"),
        Invalid(
            "missing conditions (rule 5)", #"[{"path": "/a"}]"#, "d[0].conditions", "config.missing_conditions",
            message: "Conditions are missing in expression"),
        Invalid(
            "empty conditions (rule 5)", #"[{"path": "/a", "conditions": []}]"#, "d[0].conditions",
            "config.missing_conditions"),
        Invalid(
            "missing httpMethods (rule 6)", #"[{"path": "/a", "conditions": [{"scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods", "config.missing_methods",
            message: "HTTP Methods are missing or empty from condition in expression"),
        Invalid(
            "empty httpMethods (rule 6)", #"[{"path": "/a", "conditions": [{"httpMethods": [], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods", "config.missing_methods"),
        Invalid(
            "method repeated across conditions (rule 7)",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET", "POST"], "scopes": ["r"]},"#
                + #"{"httpMethods": ["PUT"], "scopes": ["r"]}, {"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[2].httpMethods[0]", "config.duplicate_method",
            message: "Duplicate http method from conditions in expression: 'GET'"),
        Invalid(
            "method repeated within a condition (rule 7, spec)",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET", "GET"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[1]", "config.duplicate_method"),
        Invalid(
            "?? as method (rule 8)", #"[{"path": "/a", "conditions": [{"httpMethods": ["??"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[0]", "config.invalid_method"),
        Invalid(
            "regex as method (rule 8)",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["{GET|POST}"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[0]", "config.invalid_method"),
        Invalid(
            "lowercase method", #"[{"path": "/a", "conditions": [{"httpMethods": ["get"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[0]", "config.invalid_method",
            message: "HTTP methods are case-sensitive and must be uppercase: write 'GET'"),
        Invalid(
            "method with a symbol", #"[{"path": "/a", "conditions": [{"httpMethods": ["GE-T"], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[0]", "config.invalid_method"),
        Invalid(
            "method not a string", #"[{"path": "/a", "conditions": [{"httpMethods": [1], "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].httpMethods[0]", "config.type_mismatch"),
        Invalid(
            "regex that does not compile",
            #"[{"path": "/a/{[0-9}", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_regex"),
        Invalid(
            "path without leading slash",
            #"[{"path": "a", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_path"),
        Invalid(
            "empty middle segment", #"[{"path": "/a//b", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_path"),
        Invalid(
            "dot segment", #"[{"path": "/a/../b", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].path", "config.invalid_path"),
        Invalid(
            "unknown condition field",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scope": ["r"]}]}]"#,
            "d[0].conditions[0].scope", "config.unknown_field"),
        Invalid(
            "unknown rule field",
            #"[{"path": "/a", "methods": ["GET"], "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]"#,
            "d[0].methods", "config.unknown_field"),
        Invalid(
            "public condition with scopes",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "public": true, "scopes": ["r"]}]}]"#,
            "d[0].conditions[0].public", "config.public_with_scopes"),
        Invalid(
            "public given as a string",
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "public": "true"}]}]"#,
            "d[0].conditions[0].public", "config.type_mismatch"),
        Invalid(
            "empty scope string", #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scopes": [""]}]}]"#,
            "d[0].conditions[0].scopes[0]", "config.invalid_value"),
        Invalid("trailing comma", #"[{"path": "/a",}]"#, "d", "config.invalid_json"),
        Invalid("single quotes", "[{'path': '/a'}]", "d", "config.invalid_json"),
        Invalid("duplicate JSON key", #"[{"path": "/a", "path": "/b"}]"#, "d", "config.invalid_json"),
        Invalid("text after the array", #"[] []"#, "d", "config.invalid_json"),
    ]

    /// Every SPEC Part B §3.2 rule (with the spec fixes) rejects its document with a precise path and detail.
    @Test(arguments: Self.invalidDocuments)
    func rejectsInvalidDocument(_ case_: Invalid) throws {
        do {
            _ = try ProtectionDocument.load(jsonText: case_.json, fieldPath: FieldPath.root["d"], file: "f")
            Issue.record("document was accepted")
        } catch {
            #expect(error.fieldPath == case_.fieldPath)
            #expect(error.detail == case_.detail)
            if let message = case_.message { #expect(error.message == message) }
        }
    }

    /// Valid patterns of every segment kind are accepted, in order, with their conditions intact.
    @Test func acceptsEverySegmentKind() throws {
        let json = """
            [{"path": "/", "conditions": [{"httpMethods": ["?"], "public": true}]},
             {"path": "/folder/?/file", "conditions": [{"httpMethods": ["GET"], "scopes": ["a"]}]},
             {"path": "/path/??/image.jpg", "conditions": [{"httpMethods": ["GET"], "scopes": ["a"]}]},
             {"path": "/users/?/{todos|photos}/", "conditions": [{"httpMethods": ["GET", "PATCH"], "scopes": ["a"],
               "ticketScopes": ["b"]}, {"httpMethods": ["DELETE"],
               "scope_expression": {"rule": {"and": [{"var": 0}, {"!": {"var": 1}}]}, "data": ["x", "y"]}}]},
             {"path": "/re/{a??}", "conditions": [{"httpMethods": ["GET"], "scopes": ["a"]}]}]
            """
        let (document, raw) = try ProtectionDocument.load(jsonText: json)
        #expect(
            document.rules.map(\.path) == [
                "/", "/folder/?/file", "/path/??/image.jpg", "/users/?/{todos|photos}/", "/re/{a??}",
            ])
        let conditions = document.rules[3].conditions
        #expect(conditions[0] == RuleCondition(httpMethods: ["GET", "PATCH"], scopes: ["a"], ticketScopes: ["b"]))
        #expect(conditions[1].scopeExpression?.rule == .and([.variable(0), .not(.variable(1))]))
        #expect(document.rules[0].conditions[0].isPublic)
        #expect(raw.arrayValue?.count == 5)
        #expect(raw.arrayValue?[3]["conditions"]?.arrayValue?[0]["ticketScopes"] == .array([.string("b")]))
    }

    /// A protected condition with only `httpMethods` loads (Gluu Gateway's own test documents use this form):
    /// it requires no scopes, its tickets name none, and the raw document sent to `/uma-rs-protect` is unchanged.
    @Test func scopeLessConditionLoads() throws {
        let (document, raw) = try ProtectionDocument.load(
            jsonText: #"[{"path": "/a", "conditions": [{"httpMethods": ["GET", "POST"]}]}]"#)
        let condition = document.rules[0].conditions[0]
        #expect(condition == RuleCondition(httpMethods: ["GET", "POST"]))
        #expect(!condition.isPublic)
        #expect(condition.requiredScopes.isEmpty)
        #expect(condition.effectiveTicketScopes.isEmpty)
        #expect(
            raw
                == .array([
                    .object([
                        "path": .string("/a"),
                        "conditions": .array([.object(["httpMethods": .array([.string("GET"), .string("POST")])])]),
                    ])
                ]))
    }

    /// Every rule set of the shared path-match vectors loads (they only use valid patterns).
    @Test func pathMatchVectorsLoad() throws {
        let url = try #require(
            Bundle.module.url(forResource: "path-match", withExtension: "json", subdirectory: "Fixtures"))
        let data = try Data(contentsOf: url)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(object["cases"] as? [[String: Any]])
        #expect(!cases.isEmpty)
        for vector in cases {
            let rules = try JSONSerialization.data(withJSONObject: try #require(vector["rules"]))
            _ = try ProtectionDocument.load(jsonText: String(decoding: rules, as: UTF8.self))
        }
    }

    /// The YAML-list form and the reference's JSON-string form compile to the same document and raw JSON.
    @Test func jsonStringAndYAMLListAreEquivalent() throws {
        let yamlList = """
                  - path: /posts/??
                    conditions:
                      - httpMethods: [GET, POST]
                        scope_expression: {rule: {or: [{var: 0}, {var: 1}]}, data: [read, write]}
                      - httpMethods: [DELETE]
                        scopes: [admin]
                        ticketScopes: [admin]
                  - path: /public/??
                    conditions:
                      - {httpMethods: ["?"], public: true}
            """
        let jsonString = ConfigTestSupport.jsonDocument(
            #"[{"path": "/posts/??", "conditions": [{"httpMethods": ["GET", "POST"], "scope_expression": "#
                + #"{"rule": {"or": [{"var": 0}, {"var": 1}]}, "data": ["read", "write"]}}, "#
                + #"{"httpMethods": ["DELETE"], "scopes": ["admin"], "ticketScopes": ["admin"]}]}, "#
                + #"{"path": "/public/??", "conditions": [{"httpMethods": ["?"], "public": true}]}]"#)
        let fromYAML = try ConfigTestSupport.load(ConfigTestSupport.config(document: yamlList)).services[0]
        let fromJSON = try ConfigTestSupport.load(ConfigTestSupport.config(document: jsonString)).services[0]
        #expect(fromYAML.protectionDocument == fromJSON.protectionDocument)
        #expect(fromYAML.rawProtectionDocument == fromJSON.rawProtectionDocument)
        #expect(fromYAML.protectionDocument.rules.count == 2)
    }

    /// Errors inside a JSON string use the same field paths as the YAML form.
    @Test func jsonStringErrorsUseFieldPaths() throws {
        let text = ConfigTestSupport.config(
            document: ConfigTestSupport.jsonDocument(
                #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"], "httpMethodz": []}]}]"#))
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.fieldPath == "services[0].uma_scope_expression[0].conditions[0].httpMethodz")
        #expect(error.detail == "config.unknown_field")
    }

    /// A service without `uma_scope_expression` has no rules and no raw document.
    @Test func absentDocumentMeansNoRules() throws {
        let text = ConfigTestSupport.config(document: "").replacingOccurrences(
            of: "    uma_scope_expression:\n", with: "")
        let service = try ConfigTestSupport.load(text).services[0]
        #expect(service.protectionDocument.rules.isEmpty)
        #expect(service.rawProtectionDocument == nil)
    }

    /// Method checks: `?` and uppercase tokens pass; everything else gets a reason.
    @Test(arguments: [
        ("GET", true), ("?", true), ("PROPFIND", true), ("??", false), ("get", false), ("G1", false),
        ("{GET}", false), ("", false), ("GÉT", false),
    ])
    func methodGrammar(_ method: String, _ valid: Bool) {
        #expect((ProtectionDocument.methodProblem(method) == nil) == valid)
    }
}
