/// Why a configured host pattern (a service's `hosts` entry) is invalid (SPEC Part B §1: Kong route `hosts`).
public enum HostPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is empty, has an empty or over-long label, or contains a character outside letters, digits,
    /// `-`, `_` and `.`; or a bracketed IPv6 literal is malformed.
    case invalidHost(pattern: String)
    /// The port after `:` is missing, not decimal, or outside 1…65535.
    case invalidPort(pattern: String)
    /// A `*` appears other than as a whole leading label (`*.example.com`), the suffix is empty, or the suffix
    /// ends in an all-digit label (an IPv4 address cannot have subdomains).
    case invalidWildcard(pattern: String)

    /// Stable machine-readable reason (STYLE.md rule 8).
    public var detail: String {
        switch self {
        case .invalidHost: "route.invalid_host"
        case .invalidPort: "route.invalid_port"
        case .invalidWildcard: "route.invalid_wildcard"
        }
    }

    /// A human-readable message naming the pattern.
    public var description: String {
        switch self {
        case .invalidHost(let pattern): "invalid host name in \"\(pattern)\""
        case .invalidPort(let pattern): "invalid port in \"\(pattern)\" (expected 1...65535)"
        case .invalidWildcard(let pattern): "invalid wildcard in \"\(pattern)\" (only a leading \"*.\" is allowed)"
        }
    }
}
