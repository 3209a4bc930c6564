/// Why a byte sequence is not accepted as JSON by `JSONCodec` (RFC 8259, strict).
public enum JSONCodecError: Error, Sendable, Equatable {
    /// The input ended inside a value (truncated body).
    case truncated
    /// A byte that cannot start or continue a value here; `offset` is its index in the input.
    case unexpectedByte(offset: Int)
    /// A number outside the RFC 8259 §6 grammar, or one that overflows a `Double`.
    case invalidNumber(offset: Int)
    /// A string with a raw control character, a bad escape, a lone surrogate or invalid UTF-8.
    case invalidString(offset: Int)
    /// An object repeats a member name (ambiguous: `{"active":false,"active":true}`).
    case duplicateKey(offset: Int)
    /// Arrays/objects nested deeper than `JSONCodec.maximumDepth`.
    case tooDeep
    /// Non-whitespace bytes after the top-level value.
    case trailingData(offset: Int)

    /// A stable identifier for logs, stats and tests.
    public var detail: String {
        switch self {
        case .truncated: return "json.truncated"
        case .unexpectedByte: return "json.unexpected_byte"
        case .invalidNumber: return "json.invalid_number"
        case .invalidString: return "json.invalid_string"
        case .duplicateKey: return "json.duplicate_key"
        case .tooDeep: return "json.too_deep"
        case .trailingData: return "json.trailing_data"
        }
    }
}
