/// Byte-level tests on strings, and decimal digits written in place, for the per-request path. `String.hasPrefix` compares by Unicode canonical
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

    /// The number of decimal digits of `value` (1 to 20).
    @inline(__always)
    static func decimalWidth(_ value: UInt64) -> Int {
        if value < 10 { return 1 }
        var width = 2
        var bound: UInt64 = 100
        while width < 20, value >= bound {
            width &+= 1
            bound &*= 10
        }
        return width
    }

    /// Writes the last `width` decimal digits of `value` at `raw` (zero-padded on the left when `value` has
    /// fewer), two at a time from the end: no allocation, no division per digit. `width` is the digit count
    /// the caller reserved (``decimalWidth(_:)`` for the whole number).
    @inline(__always)
    static func writeDecimal(_ value: UInt64, width: Int, to raw: UnsafeMutableRawPointer) {
        let pairs = UnsafeRawPointer(Self.digitPairs.utf8Start)
        var rest = value
        var index = width
        while index >= 2 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index &-= 2
            raw.storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: pair, as: UInt16.self), toByteOffset: index, as: UInt16.self)
        }
        if index == 1 {
            raw.storeBytes(
                of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10), toByteOffset: 0, as: UInt8.self)
        }
    }

    /// `00` to `99`, two ASCII digits each.
    private static let digitPairs: StaticString = """
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
        """
}
