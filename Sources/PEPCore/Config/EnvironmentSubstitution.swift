/// `${VAR}` / `${VAR:-default}` substitution inside string scalars (SPEC A12: secrets may come from the
/// environment instead of the file).
///
/// Grammar, applied to every string *value* (never to keys, numbers or booleans):
/// - `${NAME}`: the variable's value; an unset variable is an error (an empty one gives an empty string).
/// - `${NAME:-default}`: the value if set and non-empty, else `default` (any text without `}`).
/// - `$${`: a literal `${`.
/// `NAME` is `[A-Za-z_][A-Za-z0-9_]*`. A `$` not followed by `{` is kept as is. Substitution is one pass: a
/// value coming from the environment is never itself scanned for `${`.
struct EnvironmentSubstitution: Sendable {
    /// Why a string could not be substituted.
    enum Failure: Error, Equatable {
        /// `${NAME}` with `NAME` unset and no default.
        case missingVariable(String)
        /// A `${` without a closing `}` or with an invalid name.
        case malformed(String)
    }

    /// The environment (the CLI passes `ProcessInfo.processInfo.environment`; tests pass a literal).
    let environment: [String: String]

    /// Substitutes every reference in `text`.
    /// - Returns: The new text and whether any `${…}` reference was replaced.
    /// - Throws: `Failure`.
    func substitute(_ text: String) throws(Failure) -> (text: String, substituted: Bool) {
        guard text.contains("$") else { return (text, false) }
        var output = ""
        var substituted = false
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                output += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.first == "{" else {
                output += "$"
                rest = afterDollar
                continue
            }
            let body = afterDollar.dropFirst()
            guard let close = body.firstIndex(of: "}") else {
                throw .malformed("'${' without a closing '}'")
            }
            output += try self.resolve(body[..<close])
            substituted = true
            rest = body[body.index(after: close)...]
        }
        output += rest
        return (output, substituted)
    }

    /// Resolves the inside of one `${…}`.
    private func resolve(_ reference: Substring) throws(Failure) -> String {
        let name: Substring
        let fallback: Substring?
        if let separator = reference.firstRange(of: ":-") {
            name = reference[..<separator.lowerBound]
            fallback = reference[separator.upperBound...]
        } else {
            name = reference
            fallback = nil
        }
        guard Self.isValidName(name) else {
            throw .malformed("'${\(name)}' is not a valid variable reference (expected ${NAME} or ${NAME:-default})")
        }
        let value = self.environment[String(name)]
        if let fallback {
            if let value, !value.isEmpty { return value }
            return String(fallback)
        }
        guard let value else { throw .missingVariable(String(name)) }
        return value
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

extension ConfigNode {
    /// Applies `substitution` to every string value in the tree (keys untouched).
    /// - Parameters:
    ///   - substitution: The environment.
    ///   - path: The field path of this node (for errors).
    ///   - file: File name for errors.
    /// - Throws: `ConfigError` `.missingEnvironmentVariable` (naming the variable and the field) or
    ///   `.invalidSubstitution`.
    func substitutingEnvironment(
        _ substitution: EnvironmentSubstitution, path: FieldPath, file: String
    ) throws(ConfigError) -> ConfigNode {
        switch self {
        case .null, .bool, .int, .double:
            return self
        case .string(let text, _):
            do {
                let (result, substituted) = try substitution.substitute(text)
                return .string(result, substituted: substituted)
            } catch {
                switch error {
                case .missingVariable(let name):
                    throw ConfigError(
                        file: file, fieldPath: path.description,
                        message: "environment variable \(name) is not set (referenced as ${\(name)}; "
                            + "set it or write ${\(name):-default})",
                        reason: .missingEnvironmentVariable)
                case .malformed(let message):
                    throw ConfigError(
                        file: file, fieldPath: path.description, message: message, reason: .invalidSubstitution)
                }
            }
        case .sequence(let items):
            var result: [ConfigNode] = []
            result.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                result.append(try item.substitutingEnvironment(substitution, path: path[offset], file: file))
            }
            return .sequence(result)
        case .mapping(let members):
            var result: [Member] = []
            result.reserveCapacity(members.count)
            for member in members {
                let value = try member.value.substitutingEnvironment(
                    substitution, path: path[member.key], file: file)
                result.append(Member(key: member.key, value: value))
            }
            return .mapping(result)
        }
    }
}
