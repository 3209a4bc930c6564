/// A JWS in compact serialization (RFC 7515 §3.1, §7.1): `BASE64URL(header) "." BASE64URL(payload) "."
/// BASE64URL(signature)`, decoded but not verified.
public struct JWSCompact: Sendable, Equatable {
    /// The largest token accepted, in bytes (8 KiB). A longer bearer value is refused before any decoding.
    public static let maximumLength = 8192

    /// The JOSE header (RFC 7515 §4), a JSON object.
    public let header: [String: JSONValue]
    /// The JWT claims set (RFC 7519 §4), a JSON object.
    public let payload: JSONValue
    /// The JWS signing input `ASCII(BASE64URL(header) "." BASE64URL(payload))` (RFC 7515 §5.2 step 8).
    public let signingInput: [UInt8]
    /// The decoded signature bytes.
    public let signature: [UInt8]

    /// Whether `token` has the shape of a JWS the PEP should verify locally rather than introspect: three
    /// dot-separated segments whose header decodes to a JSON object (the reference's test, Part B §2.1). An
    /// opaque RPT never contains two dots and a base64url JSON object, so it keeps being introspected. Length is
    /// not checked here: an oversized JWS is refused by `parse`, not introspected.
    /// - Parameter token: the bearer credentials.
    /// - Returns: `true` when the first segment is a base64url JSON object and there are exactly three segments.
    public static func looksLikeJWS(_ token: String) -> Bool {
        let utf8 = token.utf8
        guard utf8.first == UInt8(ascii: "e") else { return false }
        var dots = 0
        for byte in utf8 where byte == UInt8(ascii: ".") { dots += 1 }
        guard dots == 2, let end = utf8.firstIndex(of: UInt8(ascii: ".")),
            utf8.distance(from: utf8.startIndex, to: end) <= Self.maximumLength
        else { return false }
        guard let bytes = Base64URL.decode(utf8[utf8.startIndex..<end]),
            let json = try? JSONCodec.parse(bytes)
        else { return false }
        return json.objectValue != nil
    }

    /// Parses a compact JWS.
    /// - Parameter token: the bearer credentials.
    /// - Returns: the decoded parts, or `.malformed` (`.oversized` for a token over `maximumLength`), not three segments, a
    ///   segment that is not unpadded base64url (RFC 7515 §2), or a header or payload that is not a JSON object.
    public static func parse(_ token: String) -> Result<JWSCompact, JWTVerificationFailure> {
        let utf8 = Array(token.utf8)
        guard utf8.count <= Self.maximumLength else { return .failure(.oversized) }
        let segments = utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, !segments[0].isEmpty, !segments[1].isEmpty else { return .failure(.malformed) }
        guard let headerBytes = Base64URL.decode(segments[0]), let payloadBytes = Base64URL.decode(segments[1]),
            let signature = Base64URL.decode(segments[2]),
            let header = (try? JSONCodec.parse(headerBytes))?.objectValue,
            let payload = try? JSONCodec.parse(payloadBytes), payload.objectValue != nil
        else { return .failure(.malformed) }
        let inputLength = segments[0].count + 1 + segments[1].count
        return .success(
            JWSCompact(
                header: header, payload: payload, signingInput: Array(utf8[0..<inputLength]), signature: signature))
    }
}

/// Unpadded base64url (RFC 4648 §5, RFC 7515 §2).
public enum Base64URL {
    /// Decodes unpadded base64url; `nil` for any other byte (`=`, `+`, `/`, whitespace) or an impossible length.
    /// - Parameter text: the encoded bytes.
    /// - Returns: the decoded bytes.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            buffer = (buffer << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        // Non-zero leftover bits are a non-canonical encoding.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    /// Encodes unpadded base64url.
    /// - Parameter bytes: the bytes to encode.
    /// - Returns: the text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text = Base64.encode(bytes, padding: false)
        text = String(
            text.map { character -> Character in
                switch character {
                case "+": return "-"
                case "/": return "_"
                default: return character
                }
            })
        return text
    }
}
