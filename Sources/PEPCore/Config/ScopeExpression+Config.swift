extension ScopeExpression {
    /// Reads a `scope_expression` object `{"rule": …, "data": [scope, …]}` (SPEC Part B §3.5).
    ///
    /// `data` is a non-empty list of non-empty strings; `rule` must be boolean-valued: `true` / `false`, or an
    /// operation with exactly one operator among `and`, `or` (non-empty operand lists), `!` (one operand, or a
    /// one-element list) and `var` (an integer index into `data`).
    /// - Throws: `ConfigError` `.invalidScopeExpression` (or `.unknownField` / `.missingField` /
    ///   `.typeMismatch`) naming the offending sub-path, e.g. `…scope_expression.rule.or[1].var`.
    static func load(_ node: ConfigNode, at path: FieldPath, file: String) throws(ConfigError) -> ScopeExpression {
        let reader = try ConfigReader(node, at: path, file: file, allowed: ["rule", "data"])
        guard let data = try reader.stringList("data") else {
            throw reader.error("data", .missingField, "required field 'data' is missing")
        }
        guard !data.isEmpty else {
            throw reader.error("data", .invalidScopeExpression, "'data' must list at least one scope")
        }
        let rule = try ScopeRule.load(
            reader.required("rule"), at: path["rule"], file: file, dataCount: data.count, depth: 0)
        return ScopeExpression(rule: rule, data: data)
    }
}

extension ScopeRule {
    /// The JsonLogic operators of the supported subset.
    static let operators = ["and", "or", "!", "var"]

    /// Reads one JsonLogic rule node (see `ScopeExpression.load`).
    static func load(
        _ node: ConfigNode, at path: FieldPath, file: String, dataCount: Int, depth: Int
    ) throws(ConfigError) -> ScopeRule {
        let fail = { (path: FieldPath, message: String) -> ConfigError in
            ConfigError(file: file, fieldPath: path.description, message: message, reason: .invalidScopeExpression)
        }
        guard depth < ConfigNode.maximumDepth else { throw fail(path, "scope rule nested too deeply") }
        switch node {
        case .bool(let value):
            return .literal(value)
        case .mapping(let members):
            guard members.count == 1, let member = members.first else {
                throw fail(
                    path, "an operation must have exactly one operator (and, or, !, var), found \(members.count)")
            }
            let operandPath = path[member.key]
            switch member.key {
            case "and", "or":
                guard case .sequence(let operands) = member.value, !operands.isEmpty else {
                    throw fail(operandPath, "'\(member.key)' takes a non-empty list of operands")
                }
                var rules: [ScopeRule] = []
                for (index, operand) in operands.enumerated() {
                    rules.append(
                        try Self.load(
                            operand, at: operandPath[index], file: file, dataCount: dataCount, depth: depth + 1))
                }
                return member.key == "and" ? .and(rules) : .or(rules)
            case "!":
                if case .sequence(let operands) = member.value {
                    guard operands.count == 1, let operand = operands.first else {
                        throw fail(operandPath, "'!' takes exactly one operand, found \(operands.count)")
                    }
                    return .not(
                        try Self.load(operand, at: operandPath[0], file: file, dataCount: dataCount, depth: depth + 1))
                }
                return .not(
                    try Self.load(member.value, at: operandPath, file: file, dataCount: dataCount, depth: depth + 1))
            case "var":
                guard case .int(let index) = member.value else {
                    throw fail(operandPath, "'var' takes an integer index into 'data', found \(member.value.typeName)")
                }
                guard index >= 0, index < Int64(dataCount) else {
                    throw fail(operandPath, "'var' index \(index) is outside 'data' (0...\(dataCount - 1))")
                }
                return .variable(Int(index))
            default:
                var message = "unsupported operator '\(member.key)' (supported: and, or, !, var)"
                if let suggestion = ConfigReader.closest(to: member.key, in: Self.operators) {
                    message += "; did you mean '\(suggestion)'?"
                }
                throw fail(operandPath, message)
            }
        default:
            throw fail(
                path,
                "a rule must be boolean-valued: an operation (and, or, !, var) or true/false, "
                    + "found \(node.typeName)")
        }
    }
}
