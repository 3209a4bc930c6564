import Foundation

/// `application/x-www-form-urlencoded` bodies and HTTP Basic client authentication for OAuth endpoints.
///
/// Every name and value is percent-encoded on its own (RFC 3986 §2.3: only unreserved characters stay literal), so
/// a token containing `&`, `=`, `+`, CR/LF or non-ASCII bytes can never change the shape of the request
/// (SECURITY.md case 20).
public enum FormEncoding {
    /// Percent-encodes every byte of `text`'s UTF-8 form except RFC 3986 unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`); space becomes `%20`.
    public static func percentEncode(_ text: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if FormEncoding.isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A form body `n1=v1&n2=v2…` in the given order, each name and value percent-encoded on its own.
    public static func body(_ fields: [(name: String, value: String)]) -> [UInt8] {
        let text = fields.map { "\(FormEncoding.percentEncode($0.name))=\(FormEncoding.percentEncode($0.value))" }
            .joined(separator: "&")
        return Array(text.utf8)
    }

    /// The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1: client id and secret are
    /// form-encoded, joined by `:`, then base64-encoded).
    public static func basicAuthorization(clientId: String, clientSecret: String) -> String {
        let pair = "\(FormEncoding.percentEncode(clientId)):\(FormEncoding.percentEncode(clientSecret))"
        return "Basic \(Data(pair.utf8).base64EncodedString())"
    }

    /// Appends query parameters to `url`, using `?` or `&` depending on whether `url` already has a query.
    public static func appendingQuery(to url: String, _ fields: [(name: String, value: String)]) -> String {
        guard !fields.isEmpty else { return url }
        let query = String(decoding: FormEncoding.body(fields), as: UTF8.self)
        return url + (url.contains("?") ? "&" : "?") + query
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
