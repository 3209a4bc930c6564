/// Byte-level tests on strings for the per-request path. `String.hasPrefix` compares by Unicode canonical
/// equivalence (about ten times the cost); the texts tested here are ASCII detail strings and literals, where
/// bytes are what matter.
public enum ByteText {
    /// Whether `text`'s UTF-8 bytes start with `prefix`'s.
    @inline(__always)
    public static func hasPrefix(_ text: String, _ prefix: StaticString) -> Bool {
        var copy = text
        return copy.withUTF8 { bytes in
            let count = prefix.utf8CodeUnitCount
            guard bytes.count >= count else { return false }
            for index in 0..<count where bytes[index] != prefix.utf8Start[index] { return false }
            return true
        }
    }
}
