/// One HTTP header field that uma-pep emits: upstream (custom headers, phantom token, `X-Anonymous-Consumer`)
/// or downstream (`Content-Type`, `WWW-Authenticate` of a `PEPResponse`).
///
/// Values built from authorization-server or token data are checked with `isValidValue(_:)` before they
/// become a `HeaderField` (SECURITY.md case 19, STYLE rule 10).
public struct HeaderField: Sendable, Equatable, Hashable {
    /// The field name as it is written (case preserved; compared case-insensitively, RFC 9110 §5.1).
    public var name: String
    /// The field value, already validated.
    public var value: String

    /// Creates a field. No validation: use `isValidName(_:)` / `isValidValue(_:)` for untrusted input.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `field-name = token`, `token = 1*tchar`,
    /// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" /
    /// DIGIT / ALPHA` (RFC 9110 §5.1, §5.6.2).
    /// - Parameter name: a candidate header name.
    /// - Returns: `true` when `name` is a non-empty token.
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        var sawByte = false
        for byte in name.utf8 {
            guard Self.isTokenCharacter(byte) else { return false }
            sawByte = true
        }
        return sawByte
    }

    /// `field-value = *field-content`; `field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]`;
    /// `field-vchar = VCHAR / obs-text` (RFC 9110 §5.5). Every control character except HTAB (so CR, LF, NUL and
    /// DEL) is refused; bytes ≥ 0x80 (UTF-8) are allowed as obs-text.
    /// - Parameter value: a candidate header value.
    /// - Returns: `true` when the value can be written without splitting or corrupting the message.
    public static func isValidValue(_ value: some StringProtocol) -> Bool {
        for byte in value.utf8 where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            return false
        }
        return true
    }

    /// Case-insensitive (ASCII) comparison of two header names (RFC 9110 §5.1), without allocating.
    /// - Returns: `true` when both names are equal ignoring ASCII case.
    public static func namesEqual(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case (let l?, let r?):
                if Self.lowercased(l) != Self.lowercased(r) { return false }
            default:
                return false
            }
        }
    }

    /// ASCII lower-casing of one byte.
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    /// The `tchar` set of RFC 9110 §5.6.2.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
