import Foundation
import PEPCore

/// `application/x-www-form-urlencoded` and query-string helpers (WHATWG URL §5; RFC 3986 §2.1 percent-encoding),
/// plus base64url (RFC 4648 §5) for tokens and JWTs.
enum FormURLEncoding {
    /// Parses `a=1&b=x+y&c=%2F` into ordered pairs. `+` is a space; malformed `%` escapes are kept literally.
    static func parse(_ text: String) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                pairs.append((self.decode(part[..<eq]), self.decode(part[part.index(after: eq)...])))
            } else {
                pairs.append((self.decode(part), ""))
            }
        }
        return pairs
    }

    /// Parses a form body (bytes as UTF-8).
    static func parse(_ body: [UInt8]) -> [(name: String, value: String)] {
        self.parse(String(decoding: body, as: UTF8.self))
    }

    /// Decodes one form component: `+` → space, `%XX` → byte; the bytes are read as UTF-8.
    static func decode<S: StringProtocol>(_ component: S) -> String {
        let bytes = Array(component.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%"), i + 2 < bytes.count, let h = self.hexValue(bytes[i + 1]),
                let l = self.hexValue(bytes[i + 2])
            {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// Builds `a=1&b=2` from pairs, percent-encoding names and values.
    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { self.encode($0.0) + "=" + self.encode($0.1) }.joined(separator: "&")
    }

    /// Appends query pairs to `url`, with `?` or `&` depending on whether it already has a query.
    static func appending(_ pairs: [(String, String)], to url: String) -> String {
        guard !pairs.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + self.query(pairs)
    }

    /// base64url without padding (RFC 4648 §5; RFC 7515 §2): PEPCore's `Base64URL.encode`, which the PEP's JWT
    /// verification decodes with.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Base64URL.encode(bytes)
    }

    /// Decodes base64url or standard base64, padded or not; `nil` if invalid.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension Array where Element == (name: String, value: String) {
    /// The first value named `name` (exact), or `nil`.
    func first(_ name: String) -> String? {
        self.first { $0.name == name }?.value
    }
}
