/// A strict RFC 8259 JSON reader for PEPCore's `JSONValue` (the writer is in `JSONCodec+Serialization.swift`).
///
/// Strict means: one top-level value with nothing but whitespace after it, no comments, no trailing commas, no
/// `NaN`, no lone surrogates, valid UTF-8 only, no duplicate member names, nesting at most `maximumDepth`.
/// Integers without fraction or exponent that fit in 64 bits stay `.int` (so `exp` round-trips exactly); every
/// other number is `.double`. Nothing in here traps on input.
public enum JSONCodec {
    /// The deepest array/object nesting accepted (bounded recursion on network input).
    public static let maximumDepth = 64

    /// Parses `bytes` as one JSON text.
    /// - Throws: `JSONCodecError` naming the first offending byte.
    public static func parse(_ bytes: [UInt8]) throws(JSONCodecError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw .trailingData(offset: reader.index) }
        return value
    }

    /// Parses the UTF-8 form of `text` as one JSON text.
    /// - Throws: `JSONCodecError`.
    public static func parse(_ text: String) throws(JSONCodecError) -> JSONValue {
        try JSONCodec.parse(Array(text.utf8))
    }
}

/// The cursor of one parse; recursive descent with an explicit depth bound.
private struct JSONReader {
    let bytes: [UInt8]
    var index = 0

    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    func peek() throws(JSONCodecError) -> UInt8 {
        guard self.index < self.bytes.count else { throw .truncated }
        return self.bytes[self.index]
    }

    mutating func readValue(depth: Int) throws(JSONCodecError) -> JSONValue {
        switch try self.peek() {
        case UInt8(ascii: "{"): return try self.readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try self.readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.readString())
        case UInt8(ascii: "t"):
            try self.readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.readNumber()
        default: throw .unexpectedByte(offset: self.index)
        }
    }

    mutating func readLiteral(_ word: StaticString) throws(JSONCodecError) {
        let start = self.index
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard self.index < self.bytes.count else { throw .truncated }
            guard self.bytes[self.index] == byte else { throw .unexpectedByte(offset: start) }
            self.index += 1
        }
    }

    mutating func readObject(depth: Int) throws(JSONCodecError) -> JSONValue {
        guard depth <= JSONCodec.maximumDepth else { throw .tooDeep }
        self.index += 1  // "{"
        var members: [String: JSONValue] = [:]
        self.skipWhitespace()
        if try self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            let keyOffset = self.index
            guard try self.peek() == UInt8(ascii: "\"") else { throw .unexpectedByte(offset: self.index) }
            let key = try self.readString()
            self.skipWhitespace()
            guard try self.peek() == UInt8(ascii: ":") else { throw .unexpectedByte(offset: self.index) }
            self.index += 1
            self.skipWhitespace()
            let value = try self.readValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else { throw .duplicateKey(offset: keyOffset) }
            self.skipWhitespace()
            switch try self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default: throw .unexpectedByte(offset: self.index)
            }
        }
    }

    mutating func readArray(depth: Int) throws(JSONCodecError) -> JSONValue {
        guard depth <= JSONCodec.maximumDepth else { throw .tooDeep }
        self.index += 1  // "["
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if try self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.readValue(depth: depth))
            self.skipWhitespace()
            switch try self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default: throw .unexpectedByte(offset: self.index)
            }
        }
    }

    /// number = [ minus ] int [ frac ] [ exp ]   (RFC 8259 §6)
    mutating func readNumber() throws(JSONCodecError) -> JSONValue {
        let start = self.index
        var isInteger = true
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < self.bytes.count else { throw .truncated }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
        } else if self.isDigit(at: self.index) {
            while self.isDigit(at: self.index) { self.index += 1 }
        } else {
            throw .invalidNumber(offset: start)
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard self.index < self.bytes.count else { throw .truncated }
            guard self.isDigit(at: self.index) else { throw .invalidNumber(offset: start) }
            while self.isDigit(at: self.index) { self.index += 1 }
        }
        if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            self.index += 1
            if self.index < self.bytes.count,
                self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
            {
                self.index += 1
            }
            guard self.index < self.bytes.count else { throw .truncated }
            guard self.isDigit(at: self.index) else { throw .invalidNumber(offset: start) }
            while self.isDigit(at: self.index) { self.index += 1 }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw .invalidNumber(offset: start) }
        return .double(value)
    }

    func isDigit(at position: Int) -> Bool {
        position < self.bytes.count && self.bytes[position] >= UInt8(ascii: "0")
            && self.bytes[position] <= UInt8(ascii: "9")
    }

    /// string = quotation-mark *char quotation-mark   (RFC 8259 §7); the cursor is on the opening quote.
    mutating func readString() throws(JSONCodecError) -> String {
        let start = self.index
        self.index += 1
        var scalars = String.UnicodeScalarView()
        var asciiOnly = true
        let contentStart = self.index
        while true {
            guard self.index < self.bytes.count else { throw .truncated }
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                defer { self.index += 1 }
                if asciiOnly { return String(decoding: self.bytes[contentStart..<self.index], as: UTF8.self) }
                return String(scalars)
            case UInt8(ascii: "\\"):
                if asciiOnly {
                    scalars.append(
                        contentsOf: String(decoding: self.bytes[contentStart..<self.index], as: UTF8.self)
                            .unicodeScalars)
                    asciiOnly = false
                }
                scalars.append(try self.readEscape(stringStart: start))
            case 0x00..<0x20:
                throw .invalidString(offset: self.index)
            case 0x20..<0x80:
                if !asciiOnly { scalars.append(Unicode.Scalar(byte)) }
                self.index += 1
            default:
                if asciiOnly {
                    scalars.append(
                        contentsOf: String(decoding: self.bytes[contentStart..<self.index], as: UTF8.self)
                            .unicodeScalars)
                    asciiOnly = false
                }
                scalars.append(try self.readUTF8Scalar())
            }
        }
    }

    /// One multi-byte UTF-8 sequence, validated (overlongs, surrogates and truncation rejected).
    mutating func readUTF8Scalar() throws(JSONCodecError) -> Unicode.Scalar {
        let start = self.index
        let lead = self.bytes[start]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: throw .invalidString(offset: start)
        }
        guard start + length <= self.bytes.count else { throw .truncated }
        var decoder = UTF8()
        var iterator = self.bytes[start..<(start + length)].makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { throw .invalidString(offset: start) }
        guard scalar.utf8.count == length else { throw .invalidString(offset: start) }
        self.index += length
        return scalar
    }

    /// `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` or `\uXXXX` (surrogate pairs must be complete).
    mutating func readEscape(stringStart: Int) throws(JSONCodecError) -> Unicode.Scalar {
        let start = self.index
        self.index += 1
        guard self.index < self.bytes.count else { throw .truncated }
        let code = self.bytes[self.index]
        self.index += 1
        switch code {
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
            if (0xD800..<0xDC00).contains(high) {
                // A high surrogate must be followed by `\u` and a low surrogate.
                for (offset, expected) in [UInt8(ascii: "\\"), UInt8(ascii: "u")].enumerated() {
                    guard self.index + offset < self.bytes.count else { throw .truncated }
                    guard self.bytes[self.index + offset] == expected else { throw .invalidString(offset: start) }
                }
                self.index += 2
                let low = try self.readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw .invalidString(offset: start) }
                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw .invalidString(offset: start) }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw .invalidString(offset: start) }
            return scalar
        default:
            throw .invalidString(offset: start)
        }
    }

    mutating func readHex4() throws(JSONCodecError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw .truncated }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidString(offset: self.index)
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }
}
