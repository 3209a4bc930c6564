/// Why computed upstream headers cannot be sent (SPEC A11, SECURITY.md case 19). The request fails closed
/// with `502` (`EnforcementDenial.unsafeUpstreamHeader`); nothing is cached.
///
/// Cases carry the *configured* header name (`X-Claim-{*}`), never a value or a token-derived name, so they
/// are safe to log.
public enum UpstreamHeaderError: Error, Sendable, Equatable, Hashable {
    /// The value contains CR, LF, NUL or another control character (RFC 9110 §5.5).
    case unsafeValue(header: String)
    /// The resulting name is not an RFC 9110 §5.1 token (e.g. an `iterate` key with a space).
    case invalidName(header: String)
    /// The resulting name is one uma-pep or the data plane owns (`Host`, `Content-Length`, `Authorization`,
    /// hop-by-hop fields, `X-Anonymous-Consumer`, `X-Forwarded-*`): see `CustomHeaderEvaluator.isReservedName`.
    case reservedName(header: String)

    /// Stable detail string.
    public var detail: String {
        switch self {
        case .unsafeValue: return "header.unsafe_value"
        case .invalidName: return "header.invalid_name"
        case .reservedName: return "header.reserved_name"
        }
    }
}
