/// The bearer credential of a request, extracted from its `Authorization` header (RFC 6750 §2.1; SPEC Part B
/// §2.1 with the stricter grammar of SECURITY.md cases 17 and 18).
///
/// Grammar accepted (RFC 6750 §2.1, RFC 9110 §11.4):
/// ```
/// credentials = OWS auth-scheme 1*( SP / HTAB ) b64token OWS      ; auth-scheme "Bearer", case-insensitive
/// b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
/// ```
/// The reference used the unanchored regex `\s*[Bb]earer\s+(.+)`; uma-pep anchors it, accepts any case of
/// the scheme (`bearer`, `BEARER`) and refuses anything after the token, so `Bearer A, Bearer B` cannot be
/// authorized as one token and forwarded as another.
public enum BearerToken: Sendable, Equatable, Hashable {
    /// No bearer credentials: no `Authorization` header, an empty one, or another scheme (`Basic …`).
    /// The request is anonymous (SPEC A1).
    case none
    /// A syntactically valid b64token (never logged whole).
    case token(String)
    /// The scheme is `Bearer` but the credentials are not exactly one b64token (empty, a comma list, spaces,
    /// control or non-ASCII bytes), or the request carried more than one `Authorization` header.
    /// Answered with `401` (`pep.malformed_bearer_token`) whatever the rule.
    case invalid

    /// Extracts the bearer token from every `Authorization` value of a request.
    /// - Parameter values: the raw values of all `Authorization` fields, in order (normally 0 or 1; the codec
    ///   already rejects duplicates with `400`, SECURITY.md case 17).
    /// - Returns: `.none` for no value, the result of `parse(_:)` for one value, `.invalid` for several.
    public static func parse(authorizationValues values: some Collection<some StringProtocol>) -> BearerToken {
        switch values.count {
        case 0: return .none
        case 1: return Self.parse(values[values.startIndex])
        default: return .invalid
        }
    }

    /// Extracts the bearer token from one `Authorization` value: the proxy's hot path (a `String` from the codec),
    /// parsed over its contiguous UTF-8 bytes without generic dispatch.
    /// - Parameter value: the raw field value, or `nil` when the header is absent.
    /// - Returns: `.none`, `.token`, or `.invalid` per the grammar above.
    public static func parse(_ value: String?) -> BearerToken {
        guard var text = value else { return .none }
        return text.withUTF8 { Self.parse(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Extracts the bearer token from one `Authorization` value.
    /// - Parameter value: the raw field value, or `nil` when the header is absent.
    /// - Returns: `.none`, `.token`, or `.invalid` per the grammar above.
    public static func parse(_ value: (some StringProtocol)?) -> BearerToken {
        guard let value else { return .none }
        // The hot path (a `String` from the codec) is parsed over its contiguous UTF-8 bytes, non-generically.
        if var text = value as? String {
            return text.withUTF8 { Self.parse(bytes: UnsafeRawBufferPointer($0)) }
        }
        let bytes = value.utf8
        var index = bytes.startIndex
        Self.skipWhitespace(bytes, &index)
        if index == bytes.endIndex { return .none }

        let schemeStart = index
        while index != bytes.endIndex, !Self.isWhitespace(bytes[index]) { index = bytes.index(after: index) }
        guard HeaderField.namesEqual(value[schemeStart..<index], "bearer") else { return .none }

        let separatorStart = index
        Self.skipWhitespace(bytes, &index)
        guard index != separatorStart, index != bytes.endIndex else { return .invalid }

        let tokenStart = index
        while index != bytes.endIndex, Self.isTokenCharacter(bytes[index]) { index = bytes.index(after: index) }
        guard index != tokenStart else { return .invalid }
        while index != bytes.endIndex, bytes[index] == UInt8(ascii: "=") { index = bytes.index(after: index) }
        let tokenEnd = index

        Self.skipWhitespace(bytes, &index)
        guard index == bytes.endIndex else { return .invalid }
        return .token(String(value[tokenStart..<tokenEnd]))
    }

    /// `parse(_:)` over raw bytes (same grammar, no generic string views).
    static func parse(bytes: UnsafeRawBufferPointer) -> BearerToken {
        var index = 0
        let end = bytes.count
        while index < end, Self.isWhitespace(bytes[index]) { index += 1 }
        if index == end { return .none }
        let schemeStart = index
        while index < end, !Self.isWhitespace(bytes[index]) { index += 1 }
        guard index - schemeStart == 6 else { return .none }
        for (offset, expected) in "bearer".utf8.enumerated() {
            var byte = bytes[schemeStart + offset]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != expected { return .none }
        }
        let separatorStart = index
        while index < end, Self.isWhitespace(bytes[index]) { index += 1 }
        guard index != separatorStart, index != end else { return .invalid }
        let tokenStart = index
        while index < end, Self.isTokenCharacter(bytes[index]) { index += 1 }
        guard index != tokenStart else { return .invalid }
        while index < end, bytes[index] == UInt8(ascii: "=") { index += 1 }
        let tokenEnd = index
        while index < end, Self.isWhitespace(bytes[index]) { index += 1 }
        guard index == end else { return .invalid }
        return .token(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[tokenStart..<tokenEnd]), as: UTF8.self))
    }

    /// The token, or `nil` for `.none` / `.invalid`.
    public var tokenValue: String? {
        if case .token(let token) = self { return token }
        return nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func skipWhitespace<C: Collection<UInt8>>(_ bytes: C, _ index: inout C.Index) {
        while index != bytes.endIndex, Self.isWhitespace(bytes[index]) { index = bytes.index(after: index) }
    }

    /// `b64token` characters before the `=` padding (RFC 6750 §2.1).
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"),
            UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
