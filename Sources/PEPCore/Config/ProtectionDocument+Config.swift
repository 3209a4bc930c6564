extension ProtectionDocument {
    /// The reference's messages for the SPEC Part B §3.2 checks, kept verbatim for operators who search them.
    enum ReferenceMessage {
        static let emptyExpression = "Empty expression not allowed"
        static let missingPath = "Path is missing or empty in expression"
        static let multipleWildcards = "Multiple ?? patterns in path are not supported"
        static let duplicatePath = "Duplicate path in expression"
        static let missingConditions = "Conditions are missing in expression"
        static let missingMethods = "HTTP Methods are missing or empty from condition in expression"
        static let duplicateMethod = "Duplicate http method from conditions in expression"
    }

    /// Parses and validates a protection document given as a JSON text (the reference's stringified
    /// `uma_scope_expression`), e.g. for tools and the development authorization server.
    /// - Parameters:
    ///   - jsonText: A JSON array of rules.
    ///   - fieldPath: Where the text came from, for errors (default `uma_scope_expression`).
    ///   - file: File (or source) name for errors.
    /// - Returns: The document and the decoded JSON value (what oxd `/uma-rs-protect` receives).
    /// - Throws: `ConfigError` as described for the `uma_scope_expression` field in docs/configuration.md.
    public static func load(
        jsonText: String, fieldPath: FieldPath = FieldPath.root["uma_scope_expression"],
        file: String = "uma_scope_expression"
    ) throws(ConfigError) -> (document: ProtectionDocument, json: JSONValue) {
        try Self.load(.string(jsonText, substituted: false), at: fieldPath, file: file)
    }

    /// Parses and validates `uma_scope_expression`: a YAML list of rules, or a string holding the same array
    /// as JSON text (SPEC A12). Applies every SPEC Part B §3.2 rule with the **spec** fixes.
    /// - Returns: The document and its JSON value.
    static func load(
        _ node: ConfigNode, at path: FieldPath, file: String
    ) throws(ConfigError) -> (document: ProtectionDocument, json: JSONValue) {
        var value = node
        if case .string(let text, _) = node {
            do {
                value = try StrictJSONReader.read(text)
            } catch {
                throw ConfigError(
                    file: file, fieldPath: path.description,
                    message: "invalid JSON at byte \(error.offset): \(error.message)", reason: .invalidJSON)
            }
        }
        guard case .sequence(let ruleNodes) = value else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "expected a list of rules (or a JSON string of one), found \(value.typeName)",
                reason: .typeMismatch)
        }
        guard !ruleNodes.isEmpty else {
            throw ConfigError(
                file: file, fieldPath: path.description, message: ReferenceMessage.emptyExpression,
                reason: .emptyExpression)
        }
        var rules: [ResourceRule] = []
        var seenPaths: Set<String> = []
        for (index, ruleNode) in ruleNodes.enumerated() {
            let rule = try Self.loadRule(ruleNode, at: path[index], file: file)
            guard seenPaths.insert(rule.path).inserted else {
                throw ConfigError(
                    file: file, fieldPath: path[index]["path"].description,
                    message: "\(ReferenceMessage.duplicatePath): '\(rule.path)'", reason: .duplicatePath)
            }
            rules.append(rule)
        }
        return (ProtectionDocument(rules: rules), value.jsonValue)
    }

    private static func loadRule(
        _ node: ConfigNode, at path: FieldPath, file: String
    ) throws(ConfigError) -> ResourceRule {
        let reader = try ConfigReader(node, at: path, file: file, allowed: ["path", "conditions"])
        guard let pattern = try reader.string("path"), !pattern.isEmpty else {
            throw reader.error("path", .missingPath, ReferenceMessage.missingPath)
        }
        if let (reason, message) = PathPatternCheck.problem(in: pattern) {
            throw reader.error("path", reason, message)
        }
        guard let conditionNodes = try reader.sequence("conditions"), !conditionNodes.isEmpty else {
            throw reader.error("conditions", .missingConditions, ReferenceMessage.missingConditions)
        }
        var conditions: [RuleCondition] = []
        var seenMethods: Set<String> = []
        for (index, conditionNode) in conditionNodes.enumerated() {
            let condition = try Self.loadCondition(
                conditionNode, at: path["conditions"][index], file: file, seenMethods: &seenMethods)
            conditions.append(condition)
        }
        return ResourceRule(path: pattern, conditions: conditions)
    }

    private static func loadCondition(
        _ node: ConfigNode, at path: FieldPath, file: String, seenMethods: inout Set<String>
    ) throws(ConfigError) -> RuleCondition {
        let reader = try ConfigReader(
            node, at: path, file: file,
            allowed: ["httpMethods", "scope_expression", "scopes", "ticketScopes", "public"])
        guard let methodNodes = try reader.sequence("httpMethods"), !methodNodes.isEmpty else {
            throw reader.error("httpMethods", .missingMethods, ReferenceMessage.missingMethods)
        }
        var methods: [String] = []
        for (index, methodNode) in methodNodes.enumerated() {
            let methodPath = path["httpMethods"][index]
            let method = try methodNode.string(at: methodPath, file: file)
            if let message = Self.methodProblem(method) {
                throw ConfigError(
                    file: file, fieldPath: methodPath.description, message: message, reason: .invalidMethod)
            }
            guard seenMethods.insert(method).inserted else {
                throw ConfigError(
                    file: file, fieldPath: methodPath.description,
                    message: "\(ReferenceMessage.duplicateMethod): '\(method)'", reason: .duplicateMethod)
            }
            methods.append(method)
        }
        let expression = try reader.node("scope_expression").map { (node) throws(ConfigError) in
            try ScopeExpression.load(node, at: path["scope_expression"], file: file)
        }
        let scopes = try reader.stringList("scopes") ?? []
        let ticketScopes = try reader.stringList("ticketScopes") ?? []
        let isPublic = try reader.bool("public", default: false)
        if isPublic && (expression != nil || !scopes.isEmpty || !ticketScopes.isEmpty) {
            throw reader.error(
                "public", .publicWithScopes,
                "a public condition is never checked, so it cannot have scopes, ticketScopes or scope_expression")
        }
        // A protected condition may have neither `scopes` nor `scope_expression` (the reference's own test
        // documents do): then any permission for its resource grants (`RuleCondition.requiresScopes`).
        return RuleCondition(
            httpMethods: methods, scopeExpression: expression, scopes: scopes, ticketScopes: ticketScopes,
            isPublic: isPublic)
    }

    /// Why `method` is not allowed, or `nil`: a method is `?` (any) or an RFC 9110 §9.1 token of uppercase
    /// letters; `??` and `{regex}` are refused (SPEC Part B §3.2 rule 8, **spec**: at load).
    static func methodProblem(_ method: String) -> String? {
        if method == "?" { return nil }
        if method == "??" { return "'??' is not allowed as an HTTP method (write '?' for any method)" }
        if method.hasPrefix("{") { return "a {regex} is not allowed as an HTTP method; list the methods" }
        if method.isEmpty { return "empty HTTP method" }
        if method.allSatisfy({ $0.isASCII && $0.isLetter }) && method.contains(where: { $0.isLowercase }) {
            return "HTTP methods are case-sensitive and must be uppercase: write '\(method.uppercased())'"
        }
        guard method.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            return "'\(method)' is not an HTTP method (uppercase letters only, or '?' for any method)"
        }
        return nil
    }
}

/// Load-time checks of one path pattern (SPEC A4, Part B §3.2–3.3).
enum PathPatternCheck {
    /// The first problem with `pattern`, or `nil` if it can match a canonical request path.
    ///
    /// Checks: a leading `/`; no empty segment except a trailing one (`//` never survives canonicalisation,
    /// SPEC A5); no `.` / `..` segments (removed by canonicalisation); `??` only as a whole segment (so only
    /// after `/`) and at most once; every `{regex}` segment compiles as a Swift `Regex`.
    static func problem(in pattern: String) -> (ConfigError.Reason, String)? {
        guard pattern.hasPrefix("/") else { return (.invalidPath, "a path pattern must start with '/'") }
        let segments = pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var wildcards = 0
        for (index, segment) in segments.enumerated() {
            if segment.isEmpty && index != segments.count - 1 {
                return (
                    .invalidPath,
                    "empty segment ('//') in '\(pattern)' can never match: request paths are "
                        + "normalised before matching"
                )
            }
            if segment == "." || segment == ".." {
                return (
                    .invalidPath,
                    "dot segment in '\(pattern)' can never match: request paths are normalised "
                        + "before matching"
                )
            }
            if segment.count >= 2 && segment.hasPrefix("{") && segment.hasSuffix("}") {
                let body = String(segment.dropFirst().dropLast())
                guard !body.isEmpty else { return (.invalidRegex, "empty regex segment '{}' in '\(pattern)'") }
                do {
                    _ = try Regex(body)
                } catch {
                    return (.invalidRegex, "'{\(body)}' is not a valid regular expression: \(error)")
                }
                continue
            }
            if segment == "??" {
                wildcards += 1
                if wildcards > 1 { return (.multipleWildcards, ProtectionDocument.ReferenceMessage.multipleWildcards) }
            } else if segment.contains("??") {
                return (
                    .invalidWildcard,
                    "'??' must be a whole path segment after '/' (as in '/posts/??'), "
                        + "found '\(segment)'"
                )
            }
        }
        return nil
    }
}
