import Testing

@testable import PEPCore

@Suite struct JSONValueTests {
    /// A string "true" is not a boolean (SECURITY.md case 20: `{"active":"true"}` must not count as active).
    @Test func stringTrueIsNotBoolean() {
        #expect(JSONValue.string("true").boolValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
    }

    /// Integral doubles read as integers so `exp` survives a round trip through a JSON parser.
    @Test func integralDoubleReadsAsInt() {
        #expect(JSONValue.double(1_535_709_072).intValue == 1_535_709_072)
        #expect(JSONValue.double(1.5).intValue == nil)
    }
}
