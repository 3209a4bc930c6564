import PEPCore
import Testing

@testable import UMAClient

@Suite("JSONCodec")
struct JSONCodecTests {
    /// Valid documents parse to the expected values; integers stay `.int`.
    @Test(arguments: [
        ("{\"a\":1}", JSONValue.object(["a": .int(1)])),
        ("[true,false,null]", .array([.bool(true), .bool(false), .null])),
        (" \"x\\u00e9\\n\" ", .string("xé\n")),
        ("-0", .int(0)),
        ("1535709072", .int(1_535_709_072)),
        ("1.5e2", .double(150)),
        ("12345678901234567890", .double(1.2345678901234567e19)),
        ("\"\\ud83d\\ude00\"", .string("😀")),
        ("\"caf\u{e9}\"", .string("café")),
        (
            "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}",
            .object(["a": .object(["b": .array([.int(1), .object(["c": .string("d")])])])])
        ),
    ])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try JSONCodec.parse(text) == expected)
    }

    /// Invalid, truncated or ambiguous documents are rejected with a stable detail.
    @Test(arguments: [
        ("", "json.truncated"),
        ("{\"active\":tr", "json.truncated"),
        ("{\"active\":true", "json.truncated"),
        ("not json", "json.unexpected_byte"),
        ("{\"a\":1,}", "json.unexpected_byte"),
        ("[1,]", "json.unexpected_byte"),
        ("{'a':1}", "json.unexpected_byte"),
        ("01", "json.trailing_data"),
        ("{} {}", "json.trailing_data"),
        ("1.", "json.truncated"),
        ("-", "json.truncated"),
        ("1e999", "json.invalid_number"),
        ("NaN", "json.unexpected_byte"),
        ("\"a\u{01}b\"", "json.invalid_string"),
        ("\"\\x\"", "json.invalid_string"),
        ("\"\\ud800\"", "json.invalid_string"),
        ("{\"active\":false,\"active\":true}", "json.duplicate_key"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "json.too_deep"),
    ])
    func rejectsInvalidJSON(text: String, detail: String) {
        #expect(throws: JSONCodecError.self) { try JSONCodec.parse(text) }
        do {
            _ = try JSONCodec.parse(text)
        } catch {
            #expect(error.detail == detail)
        }
    }

    /// Invalid UTF-8 bytes inside a string are rejected.
    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONCodecError.self) { try JSONCodec.parse([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONCodecError.self) { try JSONCodec.parse([0x22, 0xC0, 0x80, 0x22]) }
        #expect(throws: JSONCodecError.self) { try JSONCodec.parse([0x22, 0xE2, 0x82, 0x22]) }
    }

    /// Serialization is compact, sorted and escapes control characters; it round-trips.
    @Test func serializesDeterministically() throws {
        let value: JSONValue = .object([
            "b": .array([.int(1), .double(2.5), .null]), "a": .string("q\"\\\n\u{01}é"), "c": .bool(true),
        ])
        let text = JSONCodec.serializeToString(value)
        #expect(text == "{\"a\":\"q\\\"\\\\\\n\\u0001é\",\"b\":[1,2.5,null],\"c\":true}")
        #expect(try JSONCodec.parse(text) == value)
    }
}
