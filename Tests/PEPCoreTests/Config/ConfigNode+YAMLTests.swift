import Testing

@testable import PEPCore

@Suite struct ConfigNodeYAMLTests {
    /// Plain scalars follow the YAML 1.2 core schema; quoted ones are strings; YAML 1.1 words are strings.
    @Test(arguments: [
        ("a: 12", ConfigNode.int(12)), ("a: -3", .int(-3)), ("a: 0x1F", .int(31)), ("a: 1.5", .double(1.5)),
        ("a: true", .bool(true)), ("a: False", .bool(false)), ("a: ~", .null), ("a:", .null), ("a: null", .null),
        ("a: '12'", .string("12", substituted: false)), ("a: \"true\"", .string("true", substituted: false)),
        ("a: yes", .string("yes", substituted: false)), ("a: off", .string("off", substituted: false)),
        ("a: 2001-12-14", .string("2001-12-14", substituted: false)),
        ("a: 1_000", .string("1_000", substituted: false)),
        ("a: !!str 12", .string("12", substituted: false)), ("a: 10s", .string("10s", substituted: false)),
        ("a: 1e3", .double(1000)), ("a: 012", .int(12)),
    ])
    func resolvesScalars(_ yaml: String, _ expected: ConfigNode) throws {
        let node = try ConfigNode.parseYAML(yaml, file: "f")
        #expect(node == .mapping([.init(key: "a", value: expected)]))
    }

    /// Anchors and aliases expand to copies of the anchored value.
    @Test func expandsAliases() throws {
        let node = try ConfigNode.parseYAML("x: &h [a, b]\ny: *h\n", file: "f")
        let list = ConfigNode.sequence([.string("a", substituted: false), .string("b", substituted: false)])
        #expect(node == .mapping([.init(key: "x", value: list), .init(key: "y", value: list)]))
    }

    /// Non-scalar mapping keys and multiple documents are refused.
    @Test(arguments: ["? [a]\n: 1\n", "a: 1\n---\nb: 2\n"])
    func refusesOddDocuments(_ yaml: String) {
        #expect(throws: ConfigError.self) { try ConfigNode.parseYAML(yaml, file: "f") }
    }

    /// Deep nesting and alias bombs are refused with an error instead of exhausting stack, memory or time.
    @Test(arguments: ["nesting 2000 deep (libyaml limit)", "nesting 70 deep (our limit)", "alias bomb"])
    func refusesHostileShapes(_ shape: String) {
        let yaml: String
        switch shape {
        case "alias bomb":
            yaml = (0..<9).map { "l\($0 + 1): &l\($0 + 1) [" + String(repeating: "*l\($0), ", count: 9) + "*l\($0)]" }
                .reduce("l0: &l0 [x]\n") { $0 + $1 + "\n" }
        case "nesting 70 deep (our limit)":
            yaml = "a: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        default:
            yaml = "a: " + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        }
        #expect(throws: ConfigError.self) { try ConfigNode.parseYAML(yaml, file: "f") }
    }

    /// A document of only comments is empty.
    @Test func commentOnlyIsEmpty() throws {
        #expect(try ConfigNode.parseYAML("# hi\n", file: "f") == nil)
    }
}
