/// One entry of a service's `hosts`: which `Host` header values route to the service (SPEC Part B §1:
/// Kong routes by `Host`).
///
/// Forms: `api.example.com`, `*.example.com` (leading wildcard: one or more labels in front of the suffix),
/// `203.0.113.7`, `[2001:db8::1]`, each optionally followed by `:port`. Names are case-insensitive and stored
/// lowercased; IP literals are stored in canonical form. A bare IPv6 address without brackets is accepted
/// only without a port.
public struct HostPattern: Sendable, Hashable, CustomStringConvertible {
    /// The host: a lowercased DNS name, the suffix after `*.` for a wildcard (e.g. `example.com`), or the
    /// canonical text of an IP literal (IPv6 without brackets).
    public let host: String
    /// Whether this is a `*.suffix` wildcard.
    public let isWildcard: Bool
    /// Whether `host` is an IP literal.
    public let isIPLiteral: Bool
    /// The port, when the pattern names one (`nil` = any port).
    public let port: UInt16?

    /// Parses a `hosts` entry.
    /// - Returns: `nil` if `text` is not a valid host, wildcard or IP literal with an optional port 1…65535.
    public init?(_ text: String) {
        guard let (hostText, port) = HostName.splitHostPort(text, allowZeroPort: false) else { return nil }
        self.port = port
        if hostText.hasPrefix("[") {
            guard hostText.hasSuffix("]"), let address = IPAddress(String(hostText.dropFirst().dropLast())),
                address.isIPv6
            else { return nil }
            self.host = address.description
            self.isWildcard = false
            self.isIPLiteral = true
        } else if let address = IPAddress(hostText) {
            guard !address.isIPv6 || port == nil else { return nil }
            self.host = address.description
            self.isWildcard = false
            self.isIPLiteral = true
        } else if hostText.hasPrefix("*.") {
            let suffix = String(hostText.dropFirst(2)).lowercased()
            guard HostName.isValidDNSName(suffix) else { return nil }
            self.host = suffix
            self.isWildcard = true
            self.isIPLiteral = false
        } else {
            let name = hostText.lowercased()
            guard HostName.isValidDNSName(name) else { return nil }
            self.host = name
            self.isWildcard = false
            self.isIPLiteral = false
        }
    }

    /// The pattern as it would be written in the configuration (normalised).
    public var description: String {
        var text = self.isWildcard ? "*." + self.host : self.host
        if self.isIPLiteral && self.host.contains(":") { text = "[" + text + "]" }
        if let port = self.port { text += ":\(port)" }
        return text
    }
}

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
