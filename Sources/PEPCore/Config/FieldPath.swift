/// The path of a value inside the configuration, as shown in `ConfigError.fieldPath`:
/// `services[1].uma_scope_expression[0].conditions[0].httpMethods`.
///
/// Keys that are not plain identifiers (`[A-Za-z0-9_-]+`) are quoted: `authorization_servers["my.as"]`.
public struct FieldPath: Sendable, Equatable, CustomStringConvertible {
    /// The rendered path; empty for the document root.
    public private(set) var description: String

    /// The document root.
    public static let root = FieldPath(description: "")

    private init(description: String) {
        self.description = description
    }

    /// The path of member `key` of the mapping at this path.
    public subscript(key: String) -> FieldPath {
        let isPlain =
            !key.isEmpty && key.allSatisfy { $0 == "_" || $0 == "-" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        if !isPlain {
            var escaped = ""
            for character in key {
                if character == "\\" || character == "\"" { escaped.append("\\") }
                escaped.append(character)
            }
            return FieldPath(description: self.description + "[\"\(escaped)\"]")
        }
        return FieldPath(description: self.description.isEmpty ? key : self.description + "." + key)
    }

    /// The path of item `index` of the sequence at this path.
    public subscript(index: Int) -> FieldPath {
        FieldPath(description: self.description + "[\(index)]")
    }
}
