import PEPCore

/// JSON text ⇄ `JSONValue` for the development authorization server (RFC 8259).
///
/// The parser is strict (no trailing commas, no comments, no leading zeros, one top-level value) and bounded
/// (nesting depth `maxDepth`), because every body it reads comes from the network. The renderer sorts object
/// keys so responses are byte-for-byte reproducible.
enum JSONText {
    /// Deepest array/object nesting accepted.
    static let maxDepth = 64

    /// Parses `bytes` as one JSON value; `nil` when the text is not valid JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.parseValue(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? value : nil
    }

    /// Parses a string as one JSON value; `nil` when the text is not valid JSON.
    static func parse(_ text: String) -> JSONValue? {
        self.parse(Array(text.utf8))
    }

    /// Renders `value` as compact JSON with sorted object keys. Non-finite doubles become `null`.
    static func render(_ value: JSONValue) -> String {
        var out = ""
        self.render(value, into: &out)
        return out
    }

    private static func render(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null:
            out += "null"
        case .bool(let b):
            out += b ? "true" : "false"
        case .int(let i):
            out += String(i)
        case .double(let d):
            out += d.isFinite ? String(d) : "null"
        case .string(let s):
            self.renderString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                self.render(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                self.renderString(key, into: &out)
                out += ":"
                self.render(members[key] ?? .null, into: &out)
            }
            out += "}"
        }
    }

    private static func renderString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while self.index < self.bytes.count,
                self.bytes[self.index] == 0x20 || self.bytes[self.index] == 0x09
                    || self.bytes[self.index] == 0x0A || self.bytes[self.index] == 0x0D
            {
                self.index += 1
            }
        }

        mutating func parseValue(depth: Int) -> JSONValue? {
            guard depth <= JSONText.maxDepth else { return nil }
            self.skipWhitespace()
            guard self.index < self.bytes.count else { return nil }
            switch self.bytes[self.index] {
            case UInt8(ascii: "{"): return self.parseObject(depth: depth)
            case UInt8(ascii: "["): return self.parseArray(depth: depth)
            case UInt8(ascii: "\""): return self.parseString().map { .string($0) }
            case UInt8(ascii: "t"): return self.parseLiteral("true", .bool(true))
            case UInt8(ascii: "f"): return self.parseLiteral("false", .bool(false))
            case UInt8(ascii: "n"): return self.parseLiteral("null", .null)
            default: return self.parseNumber()
            }
        }

        mutating func parseLiteral(_ word: String, _ value: JSONValue) -> JSONValue? {
            let w = Array(word.utf8)
            guard self.index + w.count <= self.bytes.count,
                Array(self.bytes[self.index..<(self.index + w.count)]) == w
            else { return nil }
            self.index += w.count
            return value
        }

        mutating func parseObject(depth: Int) -> JSONValue? {
            self.index += 1
            var members: [String: JSONValue] = [:]
            self.skipWhitespace()
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
                self.index += 1
                return .object(members)
            }
            while true {
                self.skipWhitespace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\""),
                    let key = self.parseString()
                else { return nil }
                self.skipWhitespace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else { return nil }
                self.index += 1
                guard let value = self.parseValue(depth: depth + 1) else { return nil }
                members[key] = value
                self.skipWhitespace()
                guard self.index < self.bytes.count else { return nil }
                if self.bytes[self.index] == UInt8(ascii: ",") {
                    self.index += 1
                    continue
                }
                guard self.bytes[self.index] == UInt8(ascii: "}") else { return nil }
                self.index += 1
                return .object(members)
            }
        }

        mutating func parseArray(depth: Int) -> JSONValue? {
            self.index += 1
            var items: [JSONValue] = []
            self.skipWhitespace()
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
                self.index += 1
                return .array(items)
            }
            while true {
                guard let value = self.parseValue(depth: depth + 1) else { return nil }
                items.append(value)
                self.skipWhitespace()
                guard self.index < self.bytes.count else { return nil }
                if self.bytes[self.index] == UInt8(ascii: ",") {
                    self.index += 1
                    continue
                }
                guard self.bytes[self.index] == UInt8(ascii: "]") else { return nil }
                self.index += 1
                return .array(items)
            }
        }

        mutating func parseHex4() -> UInt32? {
            guard self.index + 4 <= self.bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = self.bytes[self.index]
                let digit: UInt8
                switch c {
                case 0x30...0x39: digit = c - 0x30
                case 0x41...0x46: digit = c - 0x41 + 10
                case 0x61...0x66: digit = c - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                self.index += 1
            }
            return value
        }

        mutating func parseString() -> String? {
            self.index += 1
            var out: [UInt8] = []
            while self.index < self.bytes.count {
                let c = self.bytes[self.index]
                self.index += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard self.index < self.bytes.count else { return nil }
                    let e = self.bytes[self.index]
                    self.index += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var code = self.parseHex4() else { return nil }
                        if code >= 0xD800, code < 0xDC00 {
                            guard self.index + 2 <= self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                                self.bytes[self.index + 1] == UInt8(ascii: "u")
                            else { return nil }
                            self.index += 2
                            guard let low = self.parseHex4(), low >= 0xDC00, low < 0xE000 else { return nil }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        return nil
                    }
                case 0x00..<0x20:
                    return nil
                default:
                    out.append(c)
                }
            }
            return nil
        }

        mutating func parseNumber() -> JSONValue? {
            let start = self.index
            var isInteger = true
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
            guard self.index < self.bytes.count else { return nil }
            if self.bytes[self.index] == UInt8(ascii: "0") {
                self.index += 1
            } else if self.isDigit() {
                while self.isDigit() { self.index += 1 }
            } else {
                return nil
            }
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
                isInteger = false
                self.index += 1
                guard self.isDigit() else { return nil }
                while self.isDigit() { self.index += 1 }
            }
            if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
                isInteger = false
                self.index += 1
                if self.index < self.bytes.count,
                    self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
                {
                    self.index += 1
                }
                guard self.isDigit() else { return nil }
                while self.isDigit() { self.index += 1 }
            }
            let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            if isInteger, let i = Int64(text) { return .int(i) }
            return Double(text).map { .double($0) }
        }

        func isDigit() -> Bool {
            self.index < self.bytes.count && self.bytes[self.index] >= 0x30 && self.bytes[self.index] <= 0x39
        }
    }
}
