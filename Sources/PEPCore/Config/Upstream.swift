/// Where a service forwards to (`url`), or an authorization-server base URL, parsed and checked once at load.
///
/// Accepted: `http://` or `https://`, a host (DNS name, IPv4, or bracketed IPv6), an optional port, an
/// optional base path. Rejected: other schemes, user info (`user@`), a query or fragment, whitespace or
/// control characters, an empty host. A trailing `/` of the base path is dropped.
public struct Upstream: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public enum Scheme: String, Sendable, Hashable {
        /// Plain HTTP/1.1.
        case http
        /// HTTP/1.1 over TLS.
        case https

        /// 80 or 443.
        public var defaultPort: UInt16 { self == .http ? 80 : 443 }
    }

    /// The scheme.
    public let scheme: Scheme
    /// Lowercased DNS name or canonical IP literal (IPv6 without brackets).
    public let host: String
    /// The port (the scheme's default when the URL names none).
    public let port: UInt16
    /// The base path prefixed to every forwarded path: empty, or `/`-prefixed without a trailing `/`.
    public let basePath: String

    /// Parses a URL.
    /// - Returns: `nil` with nothing else to say; use `parse(_:)` for the reason.
    public init?(_ text: String) {
        guard case .success(let upstream) = Self.parse(text) else { return nil }
        self = upstream
    }

    private init(scheme: Scheme, host: String, port: UInt16, basePath: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Why a URL was rejected (a human sentence).
    public struct ParseError: Error, Sendable, Equatable {
        /// The reason.
        public let message: String
    }

    /// Parses a URL, explaining a rejection.
    public static func parse(_ text: String) -> Result<Upstream, ParseError> {
        let fail: (String) -> Result<Upstream, ParseError> = { .failure(ParseError(message: $0)) }
        guard !text.contains(where: { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) })
        else { return fail("the URL contains whitespace or control characters") }
        guard let schemeEnd = text.firstRange(of: "://") else { return fail("expected http://host[:port][/path]") }
        guard let scheme = Scheme(rawValue: text[..<schemeEnd.lowerBound].lowercased()) else {
            return fail("the scheme must be http or https")
        }
        let afterScheme = text[schemeEnd.upperBound...]
        guard !afterScheme.contains("?"), !afterScheme.contains("#") else {
            return fail("a query or fragment is not allowed")
        }
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let authority = String(afterScheme[..<authorityEnd])
        guard !authority.contains("@") else { return fail("user info (user@host) is not allowed") }
        guard let (hostText, port) = HostName.splitHostPort(authority, allowZeroPort: false) else {
            return fail("the host or port is missing or invalid")
        }
        let host: String
        if hostText.hasPrefix("[") {
            guard let address = IPAddress(String(hostText.dropFirst().dropLast())), address.isIPv6 else {
                return fail("'\(hostText)' is not an IPv6 address")
            }
            host = address.description
        } else if let address = IPAddress(hostText), !address.isIPv6 {
            host = address.description
        } else {
            guard HostName.isValidDNSName(hostText.lowercased()) else {
                return fail("'\(hostText)' is not a valid host name")
            }
            host = hostText.lowercased()
        }
        var basePath = String(afterScheme[authorityEnd...])
        while basePath.hasSuffix("/") { basePath.removeLast() }
        guard !basePath.contains("//") else { return fail("the path has an empty segment") }
        return .success(Upstream(scheme: scheme, host: host, port: port ?? scheme.defaultPort, basePath: basePath))
    }

    /// The authority for a `Host` header: the host (bracketed if IPv6) plus `:port` unless it is the default.
    public var authority: String {
        let hostText = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == self.scheme.defaultPort ? hostText : "\(hostText):\(self.port)"
    }

    /// The normalised URL: `scheme://authority/basePath`.
    public var description: String { "\(self.scheme.rawValue)://\(self.authority)\(self.basePath)" }
}
