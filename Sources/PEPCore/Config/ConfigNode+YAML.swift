import Yams

extension ConfigNode {
    /// Parses a YAML 1.2 document (JSON is a subset) into a node tree.
    ///
    /// Aliases are expanded, duplicate keys are rejected, mapping keys must be scalars, plain scalars follow the
    /// YAML 1.2 core schema (`ConfigNode`). Syntax errors report line and column but never echo the offending
    /// line, which could hold a secret.
    /// - Parameters:
    ///   - text: The whole file.
    ///   - file: File name for messages.
    /// - Returns: The root node, or `nil` for an empty document (only comments / whitespace).
    /// - Throws: `ConfigError` with reason `.yamlSyntax`.
    static func parseYAML(_ text: String, file: String) throws(ConfigError) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw ConfigError(
                file: file, fieldPath: "", message: Self.describe(error), reason: .yamlSyntax)
        } catch {
            throw ConfigError(file: file, fieldPath: "", message: "unreadable YAML", reason: .yamlSyntax)
        }
        guard let root else { return nil }
        var budget = Self.maximumNodes
        return try Self.convert(root, file: file, depth: 0, budget: &budget)
    }

    /// Nesting deeper than this is refused (a hostile file cannot exhaust the stack).
    static let maximumDepth = 64
    /// Values (after alias expansion) beyond this are refused, so a "billion laughs" alias bomb cannot
    /// exhaust memory or time.
    static let maximumNodes = 100_000

    private static func convert(
        _ node: Node, file: String, depth: Int, budget: inout Int
    ) throws(ConfigError) -> ConfigNode {
        guard depth < Self.maximumDepth else {
            throw ConfigError(
                file: file, fieldPath: "", message: "nesting deeper than \(Self.maximumDepth) levels",
                reason: .yamlSyntax)
        }
        budget -= 1
        guard budget >= 0 else {
            throw ConfigError(
                file: file, fieldPath: "", message: "more than \(Self.maximumNodes) values (after expanding aliases)",
                reason: .yamlSyntax)
        }
        switch node {
        case .scalar(let scalar):
            return Self.resolve(scalar)
        case .alias:
            // Yams expands aliases while composing; an unexpanded one is a broken document.
            throw ConfigError(file: file, fieldPath: "", message: "unresolved YAML alias", reason: .yamlSyntax)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try Self.convert(item, file: file, depth: depth + 1, budget: &budget)) }
            return .sequence(items)
        case .mapping(let mapping):
            var members: [Member] = []
            members.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    let line = key.mark.map { " at line \($0.line)" } ?? ""
                    throw ConfigError(
                        file: file, fieldPath: "", message: "mapping keys must be plain strings\(line)",
                        reason: .yamlSyntax)
                }
                members.append(
                    Member(
                        key: keyScalar.string,
                        value: try Self.convert(value, file: file, depth: depth + 1, budget: &budget)))
            }
            return .mapping(members)
        }
    }

    /// YAML 1.2 core-schema resolution of one scalar: only plain (unquoted) scalars, or scalars with an explicit
    /// non-string tag, can be null, booleans or numbers.
    private static func resolve(_ scalar: Node.Scalar) -> ConfigNode {
        let tag = scalar.tag.description  // "" when implicit, else the explicit tag (`!!int` → tag:yaml.org,…)
        if tag == "tag:yaml.org,2002:str" || tag == "!" { return .string(scalar.string, substituted: false) }
        if scalar.style == .plain || !tag.isEmpty { return Self.resolvePlain(scalar.string) }
        return .string(scalar.string, substituted: false)
    }

    /// Resolves plain scalar text with the YAML 1.2 core schema.
    static func resolvePlain(_ text: String) -> ConfigNode {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if let integer = Self.coreInteger(text) { return .int(integer) }
        if Self.isCoreFloat(text), let value = Double(text) { return .double(value) }
        return .string(text, substituted: false)
    }

    /// `[-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+` (YAML 1.2 core schema).
    private static func coreInteger(_ text: String) -> Int64? {
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int64(text.dropFirst(2), radix: 8) }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (YAML 1.2 core schema).
    private static func isCoreFloat(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let mantissaEnd = rest.firstIndex { $0 == "e" || $0 == "E" } ?? rest.endIndex
        let mantissa = rest[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.allSatisfy(isDigits), parts.contains(where: { !$0.isEmpty }) else { return false }
        if mantissaEnd == rest.endIndex { return true }
        var exponent = rest[rest.index(after: mantissaEnd)...]
        if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && isDigits(exponent)
    }

    /// A message for a Yams error with position but without the source snippet (it may contain secrets).
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return "unreadable YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return "duplicate key \(keys) in a mapping at line \(context.mark.line)"
        default:
            return "unreadable YAML"
        }
    }
}
