/// Percent-encoding of a whole value for the `urlencoded` custom-header format (Part B §1.1, the reference's
/// `ngx.escape_uri`): every byte except the RFC 3986 §2.3 unreserved set (`ALPHA / DIGIT / "-" / "." / "_" /
/// "~"`) becomes `%XX` with uppercase hex (RFC 3986 §2.1).
enum URIComponentEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes a string's UTF-8 bytes.
    /// - Parameter text: the input.
    /// - Returns: the encoded text (ASCII only, always a safe header value).
    static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
