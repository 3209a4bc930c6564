extension CustomHeaderExpression {
    /// Parses a `value_lua_exp` in the path language that replaces Lua (SPEC A11):
    ///
    /// ```
    /// expression = root *( "." key ) / literal
    /// root       = "introspect_data" / "consumer"
    /// key        = ( ALPHA / "_" ) *( ALPHA / DIGIT / "_" )
    /// literal    = DQUOTE *( any character except DQUOTE, "\" and control characters ) DQUOTE
    /// ```
    /// Surrounding spaces are ignored. Examples: `introspect_data`, `introspect_data.client_id`, `consumer.id`,
    /// `"version 1.0"` (in YAML: `value_lua_exp: '"version 1.0"'`).
    /// - Returns: `nil` for anything outside the language (the loader reports it naming the header).
    public init?(parsing text: String) {
        let trimmed = text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let expression = String(trimmed)
        if expression.hasPrefix("\"") {
            guard expression.count >= 2, expression.hasSuffix("\"") else { return nil }
            let inner = expression.dropFirst().dropLast()
            guard !inner.contains(where: { $0 == "\"" || $0 == "\\" || Self.isControl($0) }) else { return nil }
            self = .literal(String(inner))
            return
        }
        let parts = expression.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = parts.first, parts.dropFirst().allSatisfy(Self.isKey) else { return nil }
        let keys = Array(parts.dropFirst())
        switch root {
        case "introspect_data": self = .introspectData(keys)
        case "consumer": self = .consumer(keys)
        default: return nil
        }
    }

    /// The expression in configuration syntax (`introspect_data.client_id`, `"literal"`).
    public var expressionText: String {
        switch self {
        case .introspectData(let keys): return (["introspect_data"] + keys).joined(separator: ".")
        case .consumer(let keys): return (["consumer"] + keys).joined(separator: ".")
        case .literal(let text): return "\"\(text)\""
        }
    }

    private static func isKey(_ key: String) -> Bool {
        guard let first = key.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}
