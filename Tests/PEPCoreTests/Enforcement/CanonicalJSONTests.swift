import Testing

@testable import PEPCore

@Suite struct CanonicalJSONTests {
    /// Object members come out sorted by key bytes, with no whitespace, whatever the insertion order.
    @Test func sortsKeys() {
        let value = JSONValue.object(["b": .int(1), "a": .array([.bool(true), .null]), "B": .string("x")])
        #expect(CanonicalJSON.string(value) == #"{"B":"x","a":[true,null],"b":1}"#)
    }

    /// Strings are escaped as lua-cjson does: quote, backslash, slash, short escapes, other controls as \u00xx.
    @Test func escapesLikeCJSON() {
        let value = JSONValue.string("q\"b\\s/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é")
        #expect(CanonicalJSON.string(value) == #""q\"b\\s\/\b\f\n\r\t\u0000\u001f\u007fé""#)
    }

    /// Integers print exactly; integral doubles print like Lua's tostring; others round-trip.
    @Test func printsNumbers() {
        #expect(CanonicalJSON.string(.int(1_535_709_072)) == "1535709072")
        #expect(CanonicalJSON.string(.int(-3)) == "-3")
        #expect(CanonicalJSON.string(.double(3.0)) == "3")
        #expect(CanonicalJSON.string(.double(1.5)) == "1.5")
        #expect(CanonicalJSON.string(.double(.infinity)) == "null")
    }
}
