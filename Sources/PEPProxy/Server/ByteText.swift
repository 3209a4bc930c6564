/// Byte-level tests on strings for the per-request path. `String.hasPrefix` compares by Unicode canonical
/// equivalence (about ten times the cost); the texts tested here are ASCII detail strings and literals, where
/// bytes are what matter.
public enum ByteText {
    /// Whether `text`'s UTF-8 bytes start with `prefix`'s.
    @inline(__always)
    public static func hasPrefix(_ text: String, _ prefix: StaticString) -> Bool {
        var copy = text
        return copy.withUTF8 { HTTP1FieldLineParser.matchesExactly(UnsafeRawBufferPointer($0), 0, prefix) }
    }

    /// Whether `text`'s UTF-8 bytes contain `needle`'s (`String.contains` from Foundation went through
    /// `CFStringFind`: about 7 000 instructions for a 20-byte detail).
    public static func contains(_ text: String, _ needle: StaticString) -> Bool {
        var copy = text
        return copy.withUTF8 { bytes in
            let count = needle.utf8CodeUnitCount
            guard count > 0 else { return true }
            guard bytes.count >= count else { return false }
            let first = needle.utf8Start[0]
            for start in 0...(bytes.count - count) where bytes[start] == first {
                var offset = 1
                while offset < count, bytes[start + offset] == needle.utf8Start[offset] { offset += 1 }
                if offset == count { return true }
            }
            return false
        }
    }
}
