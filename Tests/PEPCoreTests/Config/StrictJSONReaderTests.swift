import Testing

@testable import PEPCore

@Suite struct StrictJSONReaderTests {
    /// Valid JSON reads into the node tree with key order kept and escapes decoded.
    @Test func readsValidJSON() throws {
        let node = try StrictJSONReader.read(
            #" {"b": [1, -2.5e1, true, false, null], "a": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}} "#)
        #expect(
            node
                == .mapping([
                    .init(key: "b", value: .sequence([.int(1), .double(-25), .bool(true), .bool(false), .null])),
                    .init(key: "a", value: .string("x\"\\/\n\u{e9}\u{1F600}", substituted: false)),
                    .init(key: "c", value: .mapping([])),
                ]))
    }

    /// Everything RFC 8259 forbids is refused.
    @Test(arguments: [
        "", "[", "[1,]", "{\"a\":1,}", "{'a':1}", "[01]", "[1.]", "[.5]", "[+1]", "[NaN]", "[\"\t\"]", "[\"\\x\"]",
        "[\"\\ud800\"]", "{\"a\":1,\"a\":2}", "[1] x", "// c\n[]", "[1e999]", "{a:1}", "[\"\\u12\"]", "tru",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: StrictJSONReader.Failure.self) { try StrictJSONReader.read(text) }
    }

    /// Deep nesting is refused rather than recursing without bound.
    @Test func refusesDeepNesting() {
        let text = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: StrictJSONReader.Failure.self) { try StrictJSONReader.read(text) }
    }

    /// The failure offset points at the problem.
    @Test func reportsOffset() {
        #expect(throws: StrictJSONReader.Failure(message: "expected ',' or ']'", offset: 3)) {
            try StrictJSONReader.read("[1 2]")
        }
    }
}
