/// Why an RPT introspection response cannot be used (RFC 7662 §2.2, UMA 2.0 FedAuthz §5.1.1, SPEC §4.5, §5.9).
/// The PEP answers 502 for every case (SECURITY.md case 20: never fail open).
public enum IntrospectionFormatError: Error, Sendable, Equatable {
    /// The response is not a JSON object.
    case notAnObject
    /// A required member is absent (`active`, or a permission's resource id).
    case missingField(String)
    /// A member has the wrong JSON type, e.g. `"active":"true"` (a string is not a boolean). Carries the member path
    /// such as `permissions[0].resource_scopes`.
    case invalidField(String)

    /// A stable identifier for logs, stats and tests.
    public var detail: String {
        switch self {
        case .notAnObject: return "introspection.not_object"
        case .missingField: return "introspection.missing_field"
        case .invalidField: return "introspection.invalid_field"
        }
    }
}
