/// Durations in the configuration: `"500ms"`, `"10s"`, `"5m"`, `"1h"`, or an integer number of seconds.
///
/// One unit per value (no `"1m30s"`), no fractions, no sign. The upper bound is 7 days, far above any sensible
/// timeout, so that arithmetic on the result cannot overflow.
public enum ConfigDuration {
    /// The largest accepted duration.
    public static let maximum: Duration = .seconds(7 * 24 * 3600)

    /// Parses duration text (without the integer-seconds form).
    /// - Returns: The duration, or `nil` if `text` is not `<digits><ms|s|m|h>`.
    public static func parse(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 9, let amount = Int64(digits) else { return nil }
        switch unit {
        case "ms": return .milliseconds(amount)
        case "s": return .seconds(amount)
        case "m": return .seconds(amount * 60)
        case "h": return .seconds(amount * 3600)
        default: return nil
        }
    }

    /// Reads a duration node (string with unit, or integer seconds), at least `minimum`, at most `maximum`.
    /// - Throws: `ConfigError` `.invalidDuration`, or `.typeMismatch` for lists/mappings.
    static func parse(
        _ node: ConfigNode, at path: FieldPath, file: String, minimum: Duration
    ) throws(ConfigError) -> Duration {
        let duration: Duration?
        switch node.resolvingSubstitution {
        case .int(let seconds) where seconds >= 0 && seconds <= 7 * 24 * 3600: duration = .seconds(seconds)
        case .int: duration = nil
        case .string(let text, _): duration = Self.parse(text)
        default:
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "expected a duration such as \"10s\", found \(node.typeName)", reason: .typeMismatch)
        }
        guard let duration, duration <= Self.maximum else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "not a duration: use an integer number of seconds or a number with ms, s, m or h "
                    + "(\"500ms\", \"10s\", \"5m\", \"1h\"), at most 7 days",
                reason: .invalidDuration)
        }
        guard duration >= minimum else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "must be at least \(Self.format(minimum))", reason: .invalidDuration)
        }
        return duration
    }

    /// Renders a duration the way the configuration writes it (`"500ms"`, `"10s"`, `"5m"`, `"1h"`).
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}
