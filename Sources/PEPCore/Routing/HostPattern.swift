/// One entry of a service's `hosts` list: which `Host` header values and listener ports route to the service
/// (SPEC Part B §1, Kong route `hosts`; DESIGN.md "route by Host").
///
/// Forms (case-insensitive, one trailing `.` ignored):
/// - `api.example.com`, `10.0.0.5`, `[::1]`: exactly that host;
/// - `*.example.com`: any name **below** `example.com`, at any depth (`a.example.com`, `a.b.example.com`), but
///   not the apex `example.com` itself (list it separately if wanted);
/// - any of the above with `:port` (`api.example.com:8443`): only connections accepted on that listener port.
///   Without a port the pattern matches every listener.
///
/// The port is compared with the **listener** port the connection arrived on, not with the port in the
/// client's `Host` header: the header is client-controlled, so `Host: admin.internal:8443` sent to a public
/// listener must not reach a service restricted to the internal listener on 8443.
/// IPv6 literals are compared textually after lowercasing (`[::1]` and `[0::1]` are different patterns).
public struct HostPattern: Sendable, Hashable, CustomStringConvertible {
    /// The name part of a pattern.
    public enum Name: Sendable, Hashable {
        /// An exact, lowercased host name or IP literal (IPv6 without brackets).
        case exact(String)
        /// `*.suffix`: any name ending in `.suffix` with at least one more label; `suffix` is lowercased.
        case wildcard(suffix: String)
    }

    /// The name part.
    public let name: Name
    /// The listener port this pattern is restricted to (1…65535), or `nil` for any listener.
    public let port: Int?

    /// Parses a configured pattern.
    /// - Parameter text: `name`, `name:port`, `*.suffix`, `*.suffix:port`, `[v6]` or `[v6]:port`.
    /// - Throws: `HostPatternError` naming `text`.
    public init(parsing text: String) throws(HostPatternError) {
        var hostPart = Substring(text)
        var portPart: Substring? = nil
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost(pattern: text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .invalidHost(pattern: text) }
                portPart = rest.dropFirst()
            }
            guard let address = HostPattern.normalizedIPv6(hostPart) else { throw .invalidHost(pattern: text) }
            self.name = .exact(address)
        } else {
            if let colon = text.firstIndex(of: ":") {
                hostPart = text[..<colon]
                portPart = text[text.index(after: colon)...]
            }
            if hostPart.hasPrefix("*.") {
                let suffix = hostPart.dropFirst(2)
                guard !suffix.contains("*"), let normalized = HostPattern.normalizedName(suffix) else {
                    throw .invalidWildcard(pattern: text)
                }
                let lastLabel = normalized.split(separator: ".").last ?? ""
                guard !lastLabel.allSatisfy(\.isASCIIDigitForHost) else { throw .invalidWildcard(pattern: text) }
                self.name = .wildcard(suffix: normalized)
            } else {
                guard !hostPart.contains("*") else { throw .invalidWildcard(pattern: text) }
                guard let normalized = HostPattern.normalizedName(hostPart) else {
                    throw .invalidHost(pattern: text)
                }
                self.name = .exact(normalized)
            }
        }
        if let portPart {
            guard let port = HostPattern.parsePort(portPart), port > 0 else { throw .invalidPort(pattern: text) }
            self.port = port
        } else {
            self.port = nil
        }
    }

    /// Whether a request routes here by this pattern alone (`RouteTable` adds precedence between patterns).
    /// - Parameters:
    ///   - hostName: a normalized host name, as in `HostHeader.name`.
    ///   - listenerPort: the local port the connection was accepted on.
    /// - Returns: `true` when name and port both match.
    public func matches(hostName: String, listenerPort: Int) -> Bool {
        if let port = self.port, port != listenerPort { return false }
        switch self.name {
        case .exact(let name):
            return name == hostName
        case .wildcard(let suffix):
            return hostName.utf8.count > suffix.utf8.count + 1 && hostName.hasSuffix("." + suffix)
        }
    }

    /// The pattern in configuration syntax, normalized (`*.example.com:8443`, `[::1]`).
    public var description: String {
        let name: String
        switch self.name {
        case .exact(let exact): name = exact.contains(":") ? "[\(exact)]" : exact
        case .wildcard(let suffix): name = "*.\(suffix)"
        }
        return self.port.map { "\(name):\($0)" } ?? name
    }
}

extension Character {
    /// `0`…`9` only (not other Unicode digits).
    fileprivate var isASCIIDigitForHost: Bool { ("0"..."9").contains(self) }
}
