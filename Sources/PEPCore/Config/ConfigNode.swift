/// A parsed configuration value before schema checks: YAML (or JSON) reduced to the JSON data model, with
/// mapping keys kept in file order so that errors come out in a predictable order.
///
/// Plain YAML scalars are resolved with the YAML 1.2 core schema (`true`/`false`, integers, floats, `null`,
/// `~`); quoted scalars are always strings, so `"8000"` is a string and `yes` is the string `yes`.
enum ConfigNode: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// A string scalar. `substituted` is true when `${…}` environment substitution produced (part of) it;
    /// such a string may then be read as a number, boolean or duration (`workers: ${WORKERS:-auto}`).
    case string(String, substituted: Bool)
    case sequence([ConfigNode])
    case mapping([Member])

    /// One `key: value` pair of a mapping.
    struct Member: Sendable, Equatable {
        var key: String
        var value: ConfigNode
    }

    /// A short type name for messages ("a string", "a list", …).
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The value as a `JSONValue` (what oxd `/uma-rs-protect` receives). Later duplicates of a key cannot
    /// occur: both the YAML reader and the JSON reader reject duplicate keys.
    var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s, _): return .string(s)
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let members):
            var object: [String: JSONValue] = [:]
            for member in members { object[member.key] = member.value.jsonValue }
            return .object(object)
        }
    }
}
