/// A strict RFC 8259 JSON reader producing `ConfigNode`s, used for the reference's JSON-string form of
/// `uma_scope_expression` (SPEC Part B §1.2: invalid JSON is rejected at load, unlike the reference's "safe"
/// decoder) and for config files that are JSON documents.
///
/// Strict means: no comments, no trailing commas, no single quotes, no leading zeros, no unescaped control
/// characters, no lone surrogates, no duplicate object keys, nothing after the value but whitespace,
/// nesting at most `ConfigNode.maximumDepth`.
struct StrictJSONReader {
    /// Why the text is not JSON, with the byte offset where reading stopped.
    struct Failure: Error, Equatable {
        var message: String
        var offset: Int
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// Reads one JSON value that must span the whole text (surrounding whitespace allowed).
    /// - Throws: `Failure` describing the first problem.
    static func read(_ text: String) throws(Failure) -> ConfigNode {
        var reader = StrictJSONReader(text)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else { throw reader.failure("unexpected text after the value") }
        return value
    }

    private func failure(_ message: String) -> Failure {
        Failure(message: message, offset: self.index)
    }

    private var current: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    private mutating func expect(_ literal: String, _ value: ConfigNode) throws(Failure) -> ConfigNode {
        for byte in literal.utf8 {
            guard self.current == byte else { throw self.failure("invalid literal") }
            self.index += 1
        }
        return value
    }

    private mutating func readValue(depth: Int) throws(Failure) -> ConfigNode {
        guard depth < ConfigNode.maximumDepth else { throw self.failure("nesting too deep") }
        guard let byte = self.current else { throw self.failure("unexpected end of text") }
        switch byte {
        case UInt8(ascii: "{"): return try self.readObject(depth: depth)
        case UInt8(ascii: "["): return try self.readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try self.readString(), substituted: false)
        case UInt8(ascii: "t"): return try self.expect("true", .bool(true))
        case UInt8(ascii: "f"): return try self.expect("false", .bool(false))
        case UInt8(ascii: "n"): return try self.expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.readNumber()
        default: throw self.failure("unexpected character")
        }
    }

    private mutating func readObject(depth: Int) throws(Failure) -> ConfigNode {
        self.index += 1
        var members: [ConfigNode.Member] = []
        var seen: Set<String> = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return .mapping(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { throw self.failure("expected a string key") }
            let keyOffset = self.index
            let key = try self.readString()
            guard seen.insert(key).inserted else {
                throw Failure(message: "duplicate key '\(key)'", offset: keyOffset)
            }
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw self.failure("expected ':'") }
            self.index += 1
            self.skipWhitespace()
            members.append(ConfigNode.Member(key: key, value: try self.readValue(depth: depth + 1)))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .mapping(members)
            default: throw self.failure("expected ',' or '}'")
            }
        }
    }

    private mutating func readArray(depth: Int) throws(Failure) -> ConfigNode {
        self.index += 1
        var items: [ConfigNode] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return .sequence(items)
        }
        while true {
            self.skipWhitespace()
            items.append(try self.readValue(depth: depth + 1))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .sequence(items)
            default: throw self.failure("expected ',' or ']'")
            }
        }
    }

    private mutating func readString() throws(Failure) -> String {
        self.index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = self.index
        while true {
            guard let byte = self.current else { throw self.failure("unterminated string") }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                // Flush the run of plain bytes (valid UTF-8: the input came from a Swift String).
                scalars.append(
                    contentsOf: String(decoding: self.bytes[runStart..<self.index], as: UTF8.self)
                        .unicodeScalars)
                if byte == UInt8(ascii: "\"") {
                    self.index += 1
                    return String(scalars)
                }
                scalars.append(try self.readEscape())
                runStart = self.index
                continue
            }
            guard byte >= 0x20 else { throw self.failure("control character in string") }
            self.index += 1
        }
    }

    private mutating func readEscape() throws(Failure) -> Unicode.Scalar {
        self.index += 1  // backslash
        guard let byte = self.current else { throw self.failure("unterminated escape") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try self.readHex4()
            if (0xD800...0xDBFF).contains(high) {
                guard self.current == UInt8(ascii: "\\") else { throw self.failure("lone surrogate") }
                self.index += 1
                guard self.current == UInt8(ascii: "u") else { throw self.failure("lone surrogate") }
                self.index += 1
                let low = try self.readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw self.failure("lone surrogate") }
                let combined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                guard let scalar = Unicode.Scalar(combined) else { throw self.failure("invalid escape") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw self.failure("lone surrogate") }
            return scalar
        default:
            self.index -= 1
            throw self.failure("invalid escape")
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.current, let digit = Self.hexValue(byte) else {
                throw self.failure("invalid \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// `number = [ minus ] int [ frac ] [ exp ]` (RFC 8259 §6).
    private mutating func readNumber() throws(Failure) -> ConfigNode {
        let start = self.index
        let isDigit: (UInt8?) -> Bool = { $0.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        if self.current == UInt8(ascii: "0") {
            self.index += 1
            guard !isDigit(self.current) else { throw self.failure("leading zero in number") }
        } else {
            guard isDigit(self.current) else { throw self.failure("invalid number") }
            while isDigit(self.current) { self.index += 1 }
        }
        var isInteger = true
        if self.current == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard isDigit(self.current) else { throw self.failure("invalid number") }
            while isDigit(self.current) { self.index += 1 }
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            guard isDigit(self.current) else { throw self.failure("invalid number") }
            while isDigit(self.current) { self.index += 1 }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .int(integer) }
        guard let double = Double(text), double.isFinite else {
            throw Failure(message: "number out of range", offset: start)
        }
        return .double(double)
    }
}
