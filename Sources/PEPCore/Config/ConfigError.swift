/// A configuration error: which file, which field, what is wrong (SPEC A12, STYLE rule 8 and 15).
///
/// `description` renders `"<file>: <fieldPath>: <message>"` (or `"<file>: <message>"` for errors about the
/// whole document, whose `fieldPath` is empty). Field paths use dots for mapping keys and `[i]` for sequence
/// items, e.g. `services[1].uma_scope_expression[0].conditions[0].httpMethods`.
/// `detail` is a stable machine string (e.g. `config.unknown_field`) shared by logs and tests.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name given to the loader (used only in messages).
    public var file: String
    /// The field path of the offending value; empty for document-level errors (YAML syntax, empty file).
    public var fieldPath: String
    /// What is wrong, for humans. Never contains a secret value.
    public var message: String
    /// The error class.
    public var reason: Reason

    /// Creates an error.
    public init(file: String, fieldPath: String, message: String, reason: Reason) {
        self.file = file
        self.fieldPath = fieldPath
        self.message = message
        self.reason = reason
    }

    /// The stable detail string of `reason`, e.g. `config.duplicate_path`.
    public var detail: String { self.reason.rawValue }

    /// `"<file>: <fieldPath>: <message>"`.
    public var description: String {
        if self.fieldPath.isEmpty { return "\(self.file): \(self.message)" }
        return "\(self.file): \(self.fieldPath): \(self.message)"
    }

    /// The error classes; the raw value is the stable `detail` string.
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        // Document level.
        /// The text is not valid YAML (or JSON).
        case yamlSyntax = "config.yaml_syntax"
        /// The file is empty or its top level is not a mapping.
        case emptyDocument = "config.empty_document"
        /// A JSON string (e.g. `uma_scope_expression`) is not valid JSON (RFC 8259). Part B §1.2 **spec** fix.
        case invalidJSON = "config.invalid_json"
        // Shape.
        /// A mapping key that is not part of the schema.
        case unknownField = "config.unknown_field"
        /// A required field is absent.
        case missingField = "config.missing_field"
        /// A value has the wrong YAML type (string vs. number vs. list vs. mapping).
        case typeMismatch = "config.type_mismatch"
        /// A value of the right type is outside its allowed set or range.
        case invalidValue = "config.invalid_value"
        /// A field is only valid in another mode (e.g. `oxd_url` with `mode: uma2`).
        case fieldNotAllowed = "config.field_not_allowed"
        // Environment substitution.
        /// `${VAR}` names a variable that is not set and has no default.
        case missingEnvironmentVariable = "config.missing_environment_variable"
        /// A malformed `${…}` reference.
        case invalidSubstitution = "config.invalid_substitution"
        // Scalars with a grammar.
        /// Not a duration (`500ms`, `10s`, `5m`, `1h` or integer seconds).
        case invalidDuration = "config.invalid_duration"
        /// Not a byte size (integer bytes, or `KiB`/`MiB`/`GiB` suffixed).
        case invalidSize = "config.invalid_size"
        /// Not a `host:port` listen address.
        case invalidAddress = "config.invalid_address"
        /// Not a valid host name, IP literal or leading wildcard.
        case invalidHost = "config.invalid_host"
        /// Not an `http`/`https` URL of the accepted shape.
        case invalidURL = "config.invalid_url"
        /// Not a CIDR range.
        case invalidCIDR = "config.invalid_cidr"
        /// A name (service, authorization server) with characters outside `[A-Za-z0-9._-]`.
        case invalidName = "config.invalid_name"
        // Cross references and uniqueness.
        /// Two listeners bind the same address.
        case duplicateListener = "config.duplicate_listener"
        /// Two services share a host (+port).
        case duplicateHost = "config.duplicate_host"
        /// Two services share a name.
        case duplicateService = "config.duplicate_service"
        /// Two consumers share an `id` or a `custom_id`.
        case duplicateConsumer = "config.duplicate_consumer"
        /// `authorization_server` names no key of `authorization_servers`.
        case unknownAuthorizationServer = "config.unknown_authorization_server"
        // Protection document (SPEC Part B §3.2).
        /// "Empty expression not allowed".
        case emptyExpression = "config.empty_expression"
        /// "Path is missing or empty in expression".
        case missingPath = "config.missing_path"
        /// A path that can never match a canonical request path (no leading `/`, empty or dot segments).
        case invalidPath = "config.invalid_path"
        /// "Multiple ?? patterns in path are not supported".
        case multipleWildcards = "config.multiple_wildcards"
        /// `??` that is not a whole segment following `/`.
        case invalidWildcard = "config.invalid_wildcard"
        /// A `{regex}` segment that does not compile.
        case invalidRegex = "config.invalid_regex"
        /// "Duplicate path in expression".
        case duplicatePath = "config.duplicate_path"
        /// "Conditions are missing in expression".
        case missingConditions = "config.missing_conditions"
        /// "HTTP Methods are missing or empty from condition in expression".
        case missingMethods = "config.missing_methods"
        /// A method that is not an uppercase RFC 9110 token or `?` (e.g. `get`, `??`, `{GET|POST}`).
        case invalidMethod = "config.invalid_method"
        /// "Duplicate http method from conditions in expression".
        case duplicateMethod = "config.duplicate_method"
        /// A scope expression outside the supported JsonLogic subset (SPEC Part B §3.5).
        case invalidScopeExpression = "config.invalid_scope_expression"
        /// A `public: true` condition that also lists scopes.
        case publicWithScopes = "config.public_with_scopes"
        // Custom headers (SPEC A11).
        /// A header name that is not an RFC 9110 token, misuses `{*}`, or is a framing/hop-by-hop header.
        case invalidHeaderName = "config.invalid_header_name"
        /// Two custom headers with the same name.
        case duplicateHeader = "config.duplicate_header"
        /// A `value_lua_exp` outside the supported path language.
        case invalidHeaderExpression = "config.invalid_header_expression"
    }
}
