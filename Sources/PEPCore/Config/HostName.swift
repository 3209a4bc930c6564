/// Host-name grammar shared by hosts, listen addresses and URLs.
enum HostName {
    /// A DNS name per RFC 1123 §2.1: dot-separated labels of letters, digits and `-` (not at a label's ends),
    /// 1…63 characters each, at most 253 in total, and not all-numeric in the last label (that would be a
    /// malformed IPv4 address).
    static func isValidDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-",
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        guard let last = labels.last, !last.allSatisfy({ $0.isNumber }) else { return false }
        return true
    }

    /// Splits `host[:port]` / `[v6][:port]` / bare IPv6 (no port). The host part is returned as written
    /// (brackets kept).
    /// - Returns: `nil` for an empty host or a malformed / out-of-range port.
    static func splitHostPort(_ text: String, allowZeroPort: Bool) -> (host: String, port: UInt16?)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[...close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.first == ":", let port = Self.port(rest.dropFirst(), allowZero: allowZeroPort) else {
                return nil
            }
            return (host, port)
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 0 { return text.isEmpty ? nil : (text, nil) }
        if colons > 1 { return (text, nil) }  // bare IPv6; the caller validates it
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Self.port(text[text.index(after: colon)...], allowZero: allowZeroPort) else {
            return nil
        }
        return (host, port)
    }

    /// A decimal port 1…65535 (or 0 when allowed), no sign, no leading zeros.
    static func port(_ text: Substring, allowZero: Bool) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            text == "0" || text.first != "0", let value = UInt16(text)
        else { return nil }
        return value == 0 && !allowZero ? nil : value
    }
}
