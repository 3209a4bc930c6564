/// Header names uma-pep owns for one service: client-sent copies are removed before forwarding, matched
/// case-insensitively, whether or not uma-pep sets a value on this request (SPEC A11, SECURITY.md case 18).
///
/// Contents: every custom header name (`_` → `-`; an `iterate` name with `{*}` becomes a prefix/suffix
/// pattern, so `X-Claim-{*}` reserves every `X-Claim-…`), plus `identityDefaults` — the names the reference
/// (or its documentation) used for identity, which an upstream migrated from Gluu Gateway may trust.
/// Lookups compare bytes in place and do not allocate.
public struct ReservedHeaderNames: Sendable, Equatable {
    /// Identity header names reserved on every service, lower-case: `X-Anonymous-Consumer` (set by uma-pep),
    /// the Kong `X-Consumer-*` / `X-Credential-*` / `X-Authenticated-*` family, `X-OAuth-Client-ID`,
    /// `X-RPT-Expiration` (Appendix A row 18) and `X-Forwarded-Client-Cert`.
    public static let identityDefaults: [String] = [
        "x-anonymous-consumer", "x-authenticated-scope", "x-authenticated-userid", "x-consumer-custom-id",
        "x-consumer-id", "x-consumer-username", "x-credential-identifier", "x-credential-username",
        "x-forwarded-client-cert", "x-oauth-client-id", "x-rpt-expiration",
    ]

    /// Exact names, lower-case.
    public let exactNames: [String]
    /// `iterate` patterns as lower-case (prefix, suffix) pairs around `{*}`.
    public let patterns: [Pattern]

    /// One `{*}` pattern: a name matches when it starts with `prefix` and ends with `suffix` (an empty key
    /// matches too).
    public struct Pattern: Sendable, Equatable {
        /// Text before the first `{*}`, lower-case.
        public let prefix: String
        /// Text after the last `{*}`, lower-case.
        public let suffix: String
    }

    /// Builds the reserved set of a service.
    /// - Parameter customHeaders: the service's custom headers.
    public init(customHeaders: [CustomHeader]) {
        var exact = Self.identityDefaults
        var patterns: [Pattern] = []
        for header in customHeaders {
            let name = CustomHeaderEvaluator.headerName(header.headerName).lowercased()
            if header.iterate, let first = name.firstRange(of: "{*}"), let last = name.ranges(of: "{*}").last {
                patterns.append(
                    Pattern(prefix: String(name[..<first.lowerBound]), suffix: String(name[last.upperBound...]))
                )
            } else if !exact.contains(name) {
                exact.append(name)
            }
        }
        self.exactNames = exact
        self.patterns = patterns
    }

    /// Whether a client-sent header must be removed.
    /// - Parameter name: the header name as received.
    /// - Returns: `true` when the name is reserved (case-insensitive).
    public func contains(_ name: some StringProtocol) -> Bool {
        for reserved in self.exactNames where HeaderField.namesEqual(reserved, name) { return true }
        for pattern in self.patterns where Self.matches(name.utf8, pattern) { return true }
        return false
    }

    private static func matches(_ name: some Collection<UInt8>, _ pattern: Pattern) -> Bool {
        let prefix = pattern.prefix.utf8
        let suffix = pattern.suffix.utf8
        let count = name.count
        guard count >= prefix.count + suffix.count else { return false }
        let hasPrefix = zip(name, prefix).allSatisfy { HeaderField.lowercased($0) == $1 }
        let hasSuffix = zip(name.dropFirst(count - suffix.count), suffix).allSatisfy {
            HeaderField.lowercased($0) == $1
        }
        return hasPrefix && hasSuffix
    }
}
