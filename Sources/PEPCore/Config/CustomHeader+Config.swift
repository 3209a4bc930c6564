extension CustomHeader {
    /// Header names a custom header may not set: message framing (RFC 9112 §6), hop-by-hop fields
    /// (RFC 9110 §7.6.1) and the `X-Forwarded-*` fields uma-pep owns (SPEC A6). Lowercase.
    static let reservedNames: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade",
        "proxy-connection", "proxy-authenticate", "proxy-authorization", "expect",
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
    ]

    /// Reads a service's `custom_headers` list (SPEC A11, Part B §1.1).
    ///
    /// Each entry: `header_name` (required; `_` becomes `-`; an RFC 9110 token, with `{*}` only when
    /// `iterate` is true, and then required), `value_lua_exp` (required; `CustomHeaderExpression` language),
    /// `format` (optional `CustomHeaderFormat`), `sep` (default `,`), `iterate` (default false).
    /// - Throws: `ConfigError` `.invalidHeaderName`, `.invalidHeaderExpression` (naming the header),
    ///   `.duplicateHeader`, or a shape error.
    static func loadList(_ items: [ConfigNode], at path: FieldPath, file: String) throws(ConfigError) -> [CustomHeader]
    {
        var headers: [CustomHeader] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let reader = try ConfigReader(
                item, at: path[index], file: file,
                allowed: ["header_name", "value_lua_exp", "format", "sep", "iterate"])
            let iterate = try reader.bool("iterate", default: false)
            let name = try reader.requiredString("header_name").replacingUnderscores()
            try Self.checkName(name, iterate: iterate, reader: reader)
            guard seen.insert(name.lowercased()).inserted else {
                throw reader.error("header_name", .duplicateHeader, "header '\(name)' is configured twice")
            }
            let expressionText = try reader.requiredString("value_lua_exp")
            guard let expression = CustomHeaderExpression(parsing: expressionText) else {
                throw reader.error(
                    "value_lua_exp", .invalidHeaderExpression,
                    "header '\(name)': value_lua_exp must be introspect_data[.key…], consumer[.key…] or a "
                        + "double-quoted literal such as '\"text\"' (Lua expressions are not supported)")
            }
            let format: CustomHeaderFormat? =
                reader.has("format") ? try reader.enumeration("format", default: CustomHeaderFormat.string) : nil
            let separator = try reader.string("sep") ?? ","
            guard !separator.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw reader.error("sep", .invalidValue, "the separator must not contain control characters")
            }
            headers.append(
                CustomHeader(
                    headerName: name, expression: expression, format: format, separator: separator, iterate: iterate))
        }
        return headers
    }

    /// `token = 1*tchar` (RFC 9110 §5.6.2), with the `{*}` placeholder allowed (and required) when iterating.
    private static func checkName(_ name: String, iterate: Bool, reader: ConfigReader) throws(ConfigError) {
        let hasPlaceholder = name.contains("{*}")
        if iterate && !hasPlaceholder {
            throw reader.error(
                "header_name", .invalidHeaderName,
                "header '\(name)': iterate needs a '{*}' placeholder in header_name (it is replaced by each key)")
        }
        if !iterate && hasPlaceholder {
            throw reader.error(
                "header_name", .invalidHeaderName, "header '\(name)': '{*}' is only allowed with iterate: true")
        }
        let stripped = name.replacingPlaceholder()
        guard iterate || !stripped.isEmpty, stripped.unicodeScalars.allSatisfy(Self.isTokenCharacter) else {
            throw reader.error(
                "header_name", .invalidHeaderName, "header '\(name)' is not a valid HTTP field name (RFC 9110 §5.1)")
        }
        guard !Self.reservedNames.contains(name.lowercased()) else {
            throw reader.error(
                "header_name", .invalidHeaderName, "header '\(name)' is managed by uma-pep and cannot be set")
        }
    }

    /// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" /
    /// DIGIT / ALPHA` (RFC 9110 §5.6.2).
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": return true
        default: return false
        }
    }
}

extension String {
    /// `header_name` normalisation of the reference: `_` becomes `-`.
    fileprivate func replacingUnderscores() -> String {
        String(self.map { $0 == "_" ? "-" : $0 })
    }

    /// The name with every `{*}` removed.
    fileprivate func replacingPlaceholder() -> String {
        var output = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: "{*}") {
            output += rest[..<range.lowerBound]
            rest = rest[range.upperBound...]
        }
        return output + rest
    }
}
