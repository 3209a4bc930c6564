/// One `custom_headers` entry (SPEC A11, Part B §1.1): a header computed for the upstream from the
/// introspection data and the consumer.
public struct CustomHeader: Sendable, Equatable {
    /// The header name as configured (`_` becomes `-`; may contain `{*}` when `iterate` is set).
    public var headerName: String
    /// The value expression (`value_lua_exp` in migrated configs).
    public var expression: CustomHeaderExpression
    /// Encoding of the value; `nil` = `string` for scalars, `base64` for objects/arrays.
    public var format: CustomHeaderFormat?
    /// Separator for `list` (default `,`).
    public var separator: String
    /// One header per key of an object value (`{*}` replaced by the key).
    public var iterate: Bool

    /// Creates a custom header.
    public init(
        headerName: String, expression: CustomHeaderExpression, format: CustomHeaderFormat? = nil,
        separator: String = ",", iterate: Bool = false
    ) {
        self.headerName = headerName
        self.expression = expression
        self.format = format
        self.separator = separator
        self.iterate = iterate
    }
}

/// The small path language that replaces Lua expressions (SPEC A11):
/// `introspect_data`, `introspect_data.a.b`, `consumer`, `consumer.id`, or a `"quoted literal"`.
public enum CustomHeaderExpression: Sendable, Equatable {
    /// `introspect_data[.path…]`: the whole object when `path` is empty.
    case introspectData([String])
    /// `consumer[.path…]`.
    case consumer([String])
    /// A quoted literal string.
    case literal(String)
}

/// Custom header encodings (Part B §1.1).
public enum CustomHeaderFormat: String, Sendable, Equatable, CaseIterable {
    case string, jwt, base64, urlencoded, list
}
