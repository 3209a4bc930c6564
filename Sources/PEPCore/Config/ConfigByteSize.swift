/// Byte sizes in the configuration: an integer number of bytes, or a string with `KiB`, `MiB` or `GiB`
/// (`"16KiB"`, `"10MiB"`).
public enum ConfigByteSize {
    /// Parses size text.
    /// - Returns: The size in bytes, or `nil` if `text` is not `<digits>[KiB|MiB|GiB]`.
    public static func parse(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 12, let amount = Int(digits) else { return nil }
        let multiplier: Int
        switch unit {
        case "": multiplier = 1
        case "KiB": multiplier = 1 << 10
        case "MiB": multiplier = 1 << 20
        case "GiB": multiplier = 1 << 30
        default: return nil
        }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// Reads a size node within `range`.
    /// - Throws: `ConfigError` `.invalidSize` or `.typeMismatch`.
    static func parse(
        _ node: ConfigNode, at path: FieldPath, file: String, range: ClosedRange<Int>
    ) throws(ConfigError) -> Int {
        let size: Int?
        switch node.resolvingSubstitution {
        case .int(let bytes): size = Int(exactly: bytes)
        case .string(let text, _): size = Self.parse(text)
        default:
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "expected a byte size such as 16384 or \"16KiB\", found \(node.typeName)",
                reason: .typeMismatch)
        }
        guard let size else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "not a byte size: use an integer number of bytes or a number with KiB, MiB or GiB",
                reason: .invalidSize)
        }
        guard range.contains(size) else {
            throw ConfigError(
                file: file, fieldPath: path.description,
                message: "\(size) bytes is out of range \(range.lowerBound)...\(range.upperBound)", reason: .invalidSize
            )
        }
        return size
    }
}
