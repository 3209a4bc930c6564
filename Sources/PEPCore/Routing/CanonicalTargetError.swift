/// Why a request-target has no canonical form (SPEC A5, SECURITY 1–3, 7, 9). Every case is answered `400`
/// before routing, and nothing is forwarded.
public enum CanonicalTargetError: Error, Sendable, Hashable {
    /// Not origin-form (`/…`), not an allowed absolute-form, and not `*` (RFC 9112 §3.2).
    case notOriginForm
    /// Absolute-form whose authority differs from the Host header (RFC 9112 §3.2.2; SECURITY "absolute-form vs
    /// Host"), or absolute-form on a request without Host.
    case authorityMismatch
    /// `*` (asterisk-form) on a method other than OPTIONS (RFC 9112 §3.2.4).
    case asteriskNotOptions
    /// A `#` anywhere in the target: fragments are never sent (SECURITY 3, RFC 9110 §7.1).
    case fragment
    /// A control byte, space, DEL or non-ASCII byte in the path.
    case invalidCharacter
    /// A control byte, space, DEL or non-ASCII byte in the query.
    case invalidQueryCharacter
    /// A raw `\` in the path: some upstreams read it as `/` (SECURITY 2).
    case backslash
    /// `%` not followed by two hex digits (RFC 3986 §2.1).
    case malformedPercent
    /// `%2F` in the path (SECURITY 2); allowed only with `EncodedSlashes.keep`, then kept opaque.
    case encodedSlash
    /// `%5C` in the path (SECURITY 2); allowed only with `EncodedSlashes.keep`, then kept opaque.
    case encodedBackslash
    /// `%00` in the path (SECURITY 2).
    case encodedNul
    /// Any other percent-encoded control byte (`%01`…`%1F`, `%7F`), e.g. `%0D%0A` (SECURITY 19).
    case encodedControl
    /// `;` path parameters, raw or `%3B`, while `PathParameters.reject` is in force (SPEC A5).
    case pathParameters
    /// A `_method` query parameter (any case, percent-encoded or not): frameworks that honour it (Rails, Laravel,
    /// Express `method-override`) would run another method than the one authorized (SECURITY 35).
    case methodOverrideQuery

    /// The stable machine string for logs, stats and tests.
    public var detail: String {
        switch self {
        case .notOriginForm: "target.not_origin_form"
        case .authorityMismatch: "target.authority_mismatch"
        case .asteriskNotOptions: "target.asterisk_not_options"
        case .fragment: "target.fragment"
        case .invalidCharacter: "path.invalid_character"
        case .invalidQueryCharacter: "query.invalid_character"
        case .backslash: "path.backslash"
        case .malformedPercent: "path.malformed_percent"
        case .encodedSlash: "path.encoded_slash"
        case .encodedBackslash: "path.encoded_backslash"
        case .encodedNul: "path.encoded_nul"
        case .encodedControl: "path.encoded_control"
        case .pathParameters: "path.parameters"
        case .methodOverrideQuery: "query.method_override"
        }
    }

    /// The status the client sees: always 400.
    public var status: Int { 400 }
}

extension CanonicalTargetError: CustomStringConvertible {
    /// The detail string.
    public var description: String { self.detail }
}
