import Testing

@testable import PEPCore

@Suite struct EnvironmentSubstitutionTests {
    private let substitution = EnvironmentSubstitution(environment: ["A": "alpha", "EMPTY": "", "N": "7"])

    /// References are replaced, defaults apply when unset or empty, `$${` escapes, lone `$` stays.
    @Test(arguments: [
        ("plain", "plain", false),
        ("${A}", "alpha", true),
        ("x-${A}-y", "x-alpha-y", true),
        ("${A}${N}", "alpha7", true),
        ("${MISSING:-fallback}", "fallback", true),
        ("${EMPTY:-fallback}", "fallback", true),
        ("${EMPTY}", "", true),
        ("${A:-fallback}", "alpha", true),
        ("${MISSING:-}", "", true),
        ("${MISSING:-a:b-c}", "a:b-c", true),
        ("$${A}", "${A}", false),
        ("cost $5", "cost $5", false),
        ("$$", "$$", false),
        ("{regex}$", "{regex}$", false),
    ])
    func substitutes(_ input: String, _ expected: String, _ substituted: Bool) throws {
        let result = try self.substitution.substitute(input)
        #expect(result.text == expected)
        #expect(result.substituted == substituted)
    }

    /// A value taken from the environment is not scanned again.
    @Test func substitutionIsSinglePass() throws {
        let nested = EnvironmentSubstitution(environment: ["OUTER": "${INNER}"])
        #expect(try nested.substitute("${OUTER}").text == "${INNER}")
    }

    /// An unset variable without a default is reported by name.
    @Test func missingVariableIsNamed() {
        #expect(throws: EnvironmentSubstitution.Failure.missingVariable("NOPE")) {
            try self.substitution.substitute("a ${NOPE} b")
        }
    }

    /// Malformed references are errors, not literal text.
    @Test(arguments: ["${", "${A", "${}", "${1A}", "${A B}", "${A-x}", "${:-x}"])
    func malformedReferencesFail(_ input: String) {
        #expect(throws: EnvironmentSubstitution.Failure.self) { try self.substitution.substitute(input) }
    }

    /// In a configuration, substitution reaches nested strings, names the field on error, leaves keys alone,
    /// and lets a substituted string be read as a number.
    @Test func appliesInsideConfiguration() throws {
        let text = ConfigTestSupport.config(topExtra: "workers: ${WORKERS}\nlimits: {header_timeout: \"${HT:-3s}\"}")
            .replacingOccurrences(of: "[api.example.com]", with: "[\"${HOST}\"]")
        let config = try ConfigTestSupport.load(text, environment: ["WORKERS": "3", "HOST": "h.example.com"])
        #expect(config.workerCount == 3)
        #expect(config.limits.headerTimeout == .seconds(3))
        #expect(config.services[0].hosts[0].name == .exact("h.example.com"))
        let error = try #require(ConfigTestSupport.error(text, environment: ["WORKERS": "3"]))
        #expect(error.fieldPath == "services[0].hosts[0]")
        #expect(error.detail == "config.missing_environment_variable")
        #expect(error.message.contains("HOST"))
    }

    /// Numbers and booleans written literally are not strings, and a quoted number is not an integer.
    @Test func literalScalarsAreNotSubstituted() throws {
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "workers: \"3\"")))
        #expect(error.fieldPath == "workers")
        #expect(error.detail == "config.invalid_value")
    }

    /// Substitution happens inside a JSON-string document before it is parsed.
    @Test func appliesInsideJSONStringDocument() throws {
        let document = ConfigTestSupport.jsonDocument(
            #"[{"path": "/a", "conditions": [{"httpMethods": ["GET"], "scopes": ["${SCOPE:-read}"]}]}]"#)
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(document: document), environment: ["SCOPE": "view"])
        #expect(config.services[0].protectionDocument.rules[0].conditions[0].scopes == ["view"])
    }
}
