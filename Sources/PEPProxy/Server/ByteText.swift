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

    /// Calls `body` with the decimal digits of `value` (no sign, no leading zeros; `0` for zero), written into a
    /// stack buffer from the last digit, dividing by the constant 10 (a multiply and a shift, no `div`).
    @inline(__always)
    static func withDecimal<Result>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var rest = value
            var index = scratch.count
            repeat {
                index &-= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }
}
