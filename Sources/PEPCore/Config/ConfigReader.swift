/// Typed access to one mapping of the configuration, with the unknown-field check done up front and every
/// error carrying the field path (SPEC A12).
///
/// A key whose value is `null` (e.g. `client_ca:` with nothing after it) counts as absent.
struct ConfigReader {
    /// The file name, for errors.
    let file: String
    /// The path of this mapping.
    let path: FieldPath
    private let members: [ConfigNode.Member]

    /// Opens `node` as a mapping that may contain only `allowed` keys.
    /// - Throws: `.typeMismatch` if `node` is not a mapping; `.unknownField` naming the first unknown key.
    init(_ node: ConfigNode, at path: FieldPath, file: String, allowed: [String]) throws(ConfigError) {
        guard case .mapping(let members) = node else {
            throw ConfigError(
                file: file, fieldPath: path.description, message: "expected a mapping, found \(node.typeName)",
                reason: .typeMismatch)
        }
        self.file = file
        self.path = path
        self.members = members
        for member in members where !allowed.contains(member.key) {
            var message = "unknown field '\(member.key)'"
            if let suggestion = Self.closest(to: member.key, in: allowed) {
                message += " (did you mean '\(suggestion)'?)"
            }
            throw ConfigError(
                file: file, fieldPath: path[member.key].description, message: message, reason: .unknownField)
        }
    }

    /// The keys present (non-null), in file order.
    var keys: [String] {
        self.members.compactMap { member in
            if case .null = member.value { return nil }
            return member.key
        }
    }

    /// The value of `key`, or `nil` when absent or `null`.
    func node(_ key: String) -> ConfigNode? {
        guard let member = self.members.first(where: { $0.key == key }) else { return nil }
        if case .null = member.value { return nil }
        return member.value
    }

    /// Whether `key` is present with a non-null value.
    func has(_ key: String) -> Bool { self.node(key) != nil }

    /// Builds an error for `key` (or for this mapping when `key` is nil).
    func error(_ key: String?, _ reason: ConfigError.Reason, _ message: String) -> ConfigError {
        let fieldPath = key.map { self.path[$0] } ?? self.path
        return ConfigError(file: self.file, fieldPath: fieldPath.description, message: message, reason: reason)
    }

    /// The value of a required field.
    /// - Throws: `.missingField`.
    func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let node = self.node(key) else {
            throw self.error(key, .missingField, "required field '\(key)' is missing")
        }
        return node
    }

    /// An optional string field.
    func string(_ key: String) throws(ConfigError) -> String? {
        guard let node = self.node(key) else { return nil }
        return try node.string(at: self.path[key], file: self.file)
    }

    /// A required, non-empty string field.
    /// - Throws: `.missingField` (absent or empty), `.typeMismatch`.
    func requiredString(_ key: String) throws(ConfigError) -> String {
        let value = try self.required(key).string(at: self.path[key], file: self.file)
        guard !value.isEmpty else { throw self.error(key, .missingField, "'\(key)' must not be empty") }
        return value
    }

    /// A boolean field with a default.
    func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let node = self.node(key) else { return defaultValue }
        return try node.bool(at: self.path[key], file: self.file)
    }

    /// An integer field with a default, checked against `range`.
    func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let node = self.node(key) else { return defaultValue }
        return try node.int(at: self.path[key], file: self.file, range: range)
    }

    /// A duration field with a default (`ConfigDuration` grammar), checked to be at least `minimum`.
    func duration(
        _ key: String, default defaultValue: Duration, minimum: Duration = .milliseconds(1)
    ) throws(ConfigError) -> Duration {
        guard let node = self.node(key) else { return defaultValue }
        return try ConfigDuration.parse(node, at: self.path[key], file: self.file, minimum: minimum)
    }

    /// A byte-size field with a default (`ConfigByteSize` grammar), checked against `range`.
    func byteSize(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let node = self.node(key) else { return defaultValue }
        return try ConfigByteSize.parse(node, at: self.path[key], file: self.file, range: range)
    }

    /// An enumeration field (string raw values) with a default.
    func enumeration<Value: RawRepresentable & CaseIterable>(
        _ key: String, default defaultValue: Value
    ) throws(ConfigError) -> Value where Value.RawValue == String {
        guard let text = try self.string(key) else { return defaultValue }
        guard let value = Value(rawValue: text) else {
            let choices = Value.allCases.map(\.rawValue).joined(separator: " | ")
            throw self.error(key, .invalidValue, "'\(text)' is not one of \(choices)")
        }
        return value
    }

    /// An optional list field.
    func sequence(_ key: String) throws(ConfigError) -> [ConfigNode]? {
        guard let node = self.node(key) else { return nil }
        guard case .sequence(let items) = node else {
            throw self.error(key, .typeMismatch, "expected a list, found \(node.typeName)")
        }
        return items
    }

    /// An optional list of strings; each must be non-empty.
    func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let items = try self.sequence(key) else { return nil }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            let value = try item.string(at: self.path[key][index], file: self.file)
            guard !value.isEmpty else {
                throw ConfigError(
                    file: self.file, fieldPath: self.path[key][index].description,
                    message: "empty string not allowed", reason: .invalidValue)
            }
            strings.append(value)
        }
        return strings
    }

    /// The allowed key closest to `key` (case-insensitive equality or edit distance ≤ 2), for "did you mean".
    static func closest(to key: String, in allowed: [String]) -> String? {
        let lowered = key.lowercased()
        if let match = allowed.first(where: { $0.lowercased() == lowered }) { return match }
        let scored = allowed.map { ($0, Self.editDistance(lowered, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    private static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                row[j] = Swift.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }
}

extension ConfigNode {
    /// The string payload.
    /// - Throws: `.typeMismatch` (a number or boolean must be quoted to be a string).
    func string(at path: FieldPath, file: String) throws(ConfigError) -> String {
        guard case .string(let text, _) = self else {
            let hint = self.isScalar ? " (quote it to make it a string)" : ""
            throw ConfigError(
                file: file, fieldPath: path.description, message: "expected a string, found \(self.typeName)\(hint)",
                reason: .typeMismatch)
        }
        return text
    }

    /// The boolean payload; a string produced by `${…}` substitution may also read `true` / `false`.
    /// - Throws: `.typeMismatch`.
    func bool(at path: FieldPath, file: String) throws(ConfigError) -> Bool {
        switch self.resolvingSubstitution {
        case .bool(let value): return value
        default:
            throw ConfigError(
                file: file, fieldPath: path.description, message: "expected true or false, found \(self.typeName)",
                reason: .typeMismatch)
        }
    }

    /// The integer payload within `range`; a string produced by `${…}` substitution may also hold an integer.
    /// - Throws: `.typeMismatch`, `.invalidValue` (out of range).
    func int(at path: FieldPath, file: String, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .int(let value) = self.resolvingSubstitution else {
            throw ConfigError(
                file: file, fieldPath: path.description, message: "expected an integer, found \(self.typeName)",
                reason: .typeMismatch)
        }
        guard let integer = Int(exactly: value), range.contains(integer) else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "\(value) is out of range \(range.lowerBound)...\(range.upperBound)", reason: .invalidValue)
        }
        return integer
    }

    /// Whether this is a scalar (not a list or mapping).
    var isScalar: Bool {
        switch self {
        case .sequence, .mapping: return false
        default: return true
        }
    }

    /// A string that came from `${…}` substitution, re-resolved as a plain YAML scalar (so `${PORT}` can be a
    /// number); any other node unchanged.
    var resolvingSubstitution: ConfigNode {
        if case .string(let text, true) = self { return ConfigNode.resolvePlain(text) }
        return self
    }
}
