/// Deterministic JSON serialization (RFC 8259) for everything uma-pep writes into headers and bodies:
/// phantom tokens, `jwt`/`string`/`base64`/`urlencoded` custom headers, and the response catalogue.
///
/// Output rules, chosen so equal values always give equal bytes (cacheable, comparable headers):
/// - object members sorted by the UTF-8 bytes of their keys; no insignificant whitespace;
/// - strings escaped as lua-cjson does in the reference (Part B §2.6): `"` `\` and `/` (as `\/`), `\b` `\f`
///   `\n` `\r` `\t`, other controls and DEL as lowercase `\u00xx`; non-ASCII is written as UTF-8;
/// - integers in decimal; integral doubles below 2^53 as integers (Lua prints `3`, not `3.0`);
///   other finite doubles in Swift's shortest round-trip form; NaN/infinity (which no JSON parser yields) as `null`.
public enum CanonicalJSON {
    /// Serializes a value.
    /// - Parameter value: any JSON value.
    /// - Returns: the UTF-8 bytes of its canonical text.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        Self.append(value, to: &output)
        return output
    }

    /// Serializes a value to a `String` (same bytes as `encode(_:)`).
    /// - Parameter value: any JSON value.
    /// - Returns: the canonical text.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: Self.encode(value), as: UTF8.self)
    }

    static func append(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number):
            output.append(contentsOf: String(number).utf8)
        case .double(let number):
            output.append(contentsOf: Self.text(of: number).utf8)
        case .string(let text):
            Self.appendString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                Self.append(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (offset, key) in keys.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                Self.appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                Self.append(members[key] ?? .null, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The text of a number as the reference's `tostring` / cjson would print it (see type docs).
    static func text(of number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number.rounded() == number, abs(number) < 9_007_199_254_740_992 {
            return String(Int64(number))
        }
        return String(number)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "/"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "/")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F:
                output.append(contentsOf: "\\u00".utf8)
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
