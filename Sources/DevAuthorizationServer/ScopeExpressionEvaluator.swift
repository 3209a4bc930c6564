import PEPCore

/// Evaluates Gluu JsonLogic scope expressions `{"rule": …, "data": [scope, …]}` (SPEC Part B §3.5) as the AS does:
/// a boolean per position of `data`, combined by `and` / `or` / `!`.
enum ScopeExpressionEvaluator {
    /// The `data` scopes of a valid expression, or `nil` when the expression is invalid for oxd
    /// `/uma-rs-protect` (400 `invalid_scope_expression`, SPEC Part B §3.2): it needs a `rule` of the supported
    /// subset (`and`, `or`, `!`, `var` by in-range index, boolean literals) and a non-empty string `data`, and
    /// evaluating the rule with JsonLogic value semantics over the scope names must yield one of them.
    static func validatedData(_ expression: JSONValue) -> [String]? {
        guard let data = DevRequest.strings(expression["data"]), !data.isEmpty, let rule = expression["rule"],
            let value = self.jsonLogicValue(rule, data: data, depth: 0), case .string(let s) = value,
            data.contains(s)
        else { return nil }
        return data
    }

    /// Evaluates `rule` over a boolean per `data` position; `nil` when the rule is malformed.
    static func evaluate(_ rule: JSONValue, vector: [Bool], depth: Int = 0) -> Bool? {
        guard depth < 32 else { return nil }
        switch rule {
        case .bool(let b):
            return b
        case .object(let members) where members.count == 1:
            guard let (op, argument) = members.first else { return nil }
            let arguments = argument.arrayValue ?? [argument]
            switch op {
            case "var":
                guard let index = arguments.first?.intValue, index >= 0, index < vector.count else { return nil }
                return vector[Int(index)]
            case "and", "or":
                var results: [Bool] = []
                for item in arguments {
                    guard let r = self.evaluate(item, vector: vector, depth: depth + 1) else { return nil }
                    results.append(r)
                }
                return op == "and" ? results.allSatisfy { $0 } : results.contains(true)
            case "!":
                guard arguments.count == 1, let r = self.evaluate(arguments[0], vector: vector, depth: depth + 1)
                else { return nil }
                return !r
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// JsonLogic evaluation where `{"var": i}` is the scope name `data[i]` (strings are truthy when non-empty).
    private static func jsonLogicValue(_ rule: JSONValue, data: [String], depth: Int) -> JSONValue? {
        guard depth < 32 else { return nil }
        switch rule {
        case .bool:
            return rule
        case .object(let members) where members.count == 1:
            guard let (op, argument) = members.first else { return nil }
            let arguments = argument.arrayValue ?? [argument]
            switch op {
            case "var":
                guard let index = arguments.first?.intValue, index >= 0, index < data.count else { return nil }
                return .string(data[Int(index)])
            case "and", "or":
                guard !arguments.isEmpty else { return nil }
                var last: JSONValue = .null
                for item in arguments {
                    guard let value = self.jsonLogicValue(item, data: data, depth: depth + 1) else { return nil }
                    last = value
                    if self.truthy(value) == (op == "or") { return value }
                }
                return last
            case "!":
                guard arguments.count == 1,
                    let value = self.jsonLogicValue(arguments[0], data: data, depth: depth + 1)
                else { return nil }
                return .bool(!self.truthy(value))
            default:
                return nil
            }
        default:
            return nil
        }
    }

    private static func truthy(_ value: JSONValue) -> Bool {
        switch value {
        case .bool(let b): return b
        case .string(let s): return !s.isEmpty
        default: return false
        }
    }
}
