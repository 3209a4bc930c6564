import PEPCore
import Testing

@testable import DevAuthorizationServer

/// The strict JSON reader/writer (RFC 8259).
@Suite struct JSONTextTests {
    /// Valid documents parse to the expected values.
    @Test func parsesValues() {
        let value = JSONText.parse(#"{"a":[1,-2.5,true,null,"x\n\u00e9\ud83d\ude00"],"b":{"c":1e2}}"#)
        #expect(
            value
                == .object([
                    "a": .array([.int(1), .double(-2.5), .bool(true), .null, .string("x\né😀")]),
                    "b": .object(["c": .double(100)]),
                ]))
        #expect(JSONText.parse(" 9223372036854775807 ") == .int(Int64.max))
    }

    /// Invalid documents are rejected.
    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "\"\u{01}\"", "\"\\x\"", "[1] [2]", "{'a':1}", "\"\\ud800\"",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func rejectsInvalid(text: String) {
        #expect(JSONText.parse(text) == nil)
    }

    /// Rendering sorts keys, escapes control characters and round-trips.
    @Test func rendersDeterministically() {
        let value = JSONValue.object(["b": .string("q\"\\\u{0}\r"), "a": .array([.int(1), .double(0.5), .null])])
        let text = JSONText.render(value)
        #expect(text == #"{"a":[1,0.5,null],"b":"q\"\\\u0000\r"}"#)
        #expect(JSONText.parse(text) == value)
    }
}
