import Testing

@testable import PEPCore

@Suite struct HeaderFieldTests {
    /// Names must be RFC 9110 tokens.
    @Test(arguments: [
        ("X-Consumer-ID", true), ("x_a!#$%&'*+.^`|~9", true), ("", false), ("X Consumer", false), ("X:Y", false),
        ("X\r\nY", false), ("Ä", false), ("X-{*}", false),
    ])
    func validatesNames(name: String, valid: Bool) {
        #expect(HeaderField.isValidName(name) == valid)
    }

    /// Values may hold VCHAR, SP, HTAB and obs-text, never CR, LF, NUL, other controls or DEL.
    @Test(arguments: [
        ("plain value", true), ("tab\tinside", true), ("UTF-8 ünïcödé", true), ("", true), ("a\rb", false),
        ("a\nb", false), ("a\u{0}b", false), ("a\u{1}b", false), ("a\u{7f}b", false),
    ])
    func validatesValues(value: String, valid: Bool) {
        #expect(HeaderField.isValidValue(value) == valid)
    }

    /// Names compare ASCII case-insensitively and length-exactly.
    @Test func comparesNamesIgnoringCase() {
        #expect(HeaderField.namesEqual("Authorization", "aUTHORIZATION"))
        #expect(!HeaderField.namesEqual("Authorization", "Authorizatio"))
        #expect(!HeaderField.namesEqual("X-A", "X-B"))
        #expect(HeaderField.namesEqual("", ""))
    }
}
