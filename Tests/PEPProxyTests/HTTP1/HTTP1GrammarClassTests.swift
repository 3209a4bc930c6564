import Testing

@testable import PEPProxy

/// The byte-class table in `HTTP1Grammar` against the ABNF it stands for, for all 256 byte values.
@Suite struct HTTP1GrammarClassTests {
    static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    static func isVisible(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    static func oneOf(_ byte: UInt8, _ set: String) -> Bool { set.utf8.contains(byte) }

    /// `tchar` (RFC 9110 §5.6.2).
    static func token(_ byte: UInt8) -> Bool {
        Self.isAlpha(byte) || Self.isDigit(byte) || Self.oneOf(byte, "!#$%&'*+-.^_`|~")
    }

    /// `field-vchar / SP / HTAB`, `field-vchar = VCHAR / obs-text` (RFC 9110 §5.5).
    static func fieldValue(_ byte: UInt8) -> Bool {
        Self.isVisible(byte) || byte >= 0x80 || byte == 0x20 || byte == 0x09
    }

    /// VCHAR except `#` (RFC 9112 §3.2, RFC 9110 §7.1).
    static func target(_ byte: UInt8) -> Bool { Self.isVisible(byte) && byte != UInt8(ascii: "#") }

    /// unreserved / pct-encoded / sub-delims / `:` / `[` / `]` (RFC 9110 §7.2, RFC 3986 §3.2.2).
    static func host(_ byte: UInt8) -> Bool {
        Self.isAlpha(byte) || Self.isDigit(byte) || Self.oneOf(byte, "-._~%!$&'()*+,;=:[]")
    }

    @Test func everyByteValueIsClassifiedAsTheABNFSays() {
        for value in 0...255 {
            let byte = UInt8(value)
            #expect(HTTP1Grammar.isTokenChar(byte) == Self.token(byte), "tchar \(value)")
            #expect(HTTP1Grammar.isFieldValueChar(byte) == Self.fieldValue(byte), "field value \(value)")
            #expect(HTTP1Grammar.isTargetChar(byte) == Self.target(byte), "target \(value)")
            #expect(HTTP1Grammar.isHostChar(byte) == Self.host(byte), "host \(value)")
            #expect(
                HTTP1Grammar.isPlainHostChar(byte) == (Self.host(byte) && !Self.oneOf(byte, "%[]:")),
                "plain host \(value)")
        }
    }
}
