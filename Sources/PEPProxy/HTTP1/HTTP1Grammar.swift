/// Byte classes of the HTTP/1.1 grammar (RFC 9110 §5.6.2, §5.5; RFC 9112 §3.2), as one table of class bits.
///
/// Each class is one bit in a 256-byte table (``classes``), so a test is one load and a mask; the table was
/// generated from the ABNF quoted beside each class, and `HTTP1GrammarClassTests` checks it against that ABNF.
enum HTTP1Grammar {
    /// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    /// / DIGIT / ALPHA` (RFC 9110 §5.6.2).
    @inline(__always)
    static func isTokenChar(_ byte: UInt8) -> Bool {
        Self.has(byte, Self.token)
    }

    /// `field-vchar = VCHAR / obs-text`, plus SP and HTAB inside a value (RFC 9110 §5.5).
    @inline(__always)
    static func isFieldValueChar(_ byte: UInt8) -> Bool {
        Self.has(byte, Self.fieldValue)
    }

    /// The index of the first byte at or after `start` that is not field content (`isFieldValueChar`), or
    /// `buffer.count` when every byte from `start` on is. Eight bytes at a time: a word test flags the control
    /// bytes and DEL, and the lowest flagged byte is exactly the first such byte (a borrow only runs upwards,
    /// from a flagged byte), so the search jumps there; a flagged HTAB is field content and the search goes on
    /// after it. The last bytes that do not fill a word are tested one at a time.
    @inline(__always)
    static func skipFieldValueChars(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        let count = buffer.count
        if let base = buffer.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highBits: UInt64 = 0x8080_8080_8080_8080
            while index &+ 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                // Some byte < 0x20 (HTAB included), or some byte == 0x7F.
                let control = (word &- ones &* 0x20) & ~word & highBits
                let delete = word ^ (ones &* 0x7F)
                let flagged = control | ((delete &- ones) & ~delete & highBits)
                if flagged == 0 {
                    index &+= 8
                    continue
                }
                index &+= flagged.trailingZeroBitCount &>> 3
                guard base.load(fromByteOffset: index, as: UInt8.self) == UInt8(ascii: "\t") else { return index }
                index &+= 1
            }
        }
        while index < count && Self.isFieldValueChar(buffer[index]) { index += 1 }
        return index
    }

    /// Bytes allowed in a request-target by the codec: VCHAR except `#` (RFC 9112 §3.2; a fragment is never
    /// sent, RFC 9110 §7.1). Path-level rules (`\`, `%2F`, …) belong to `CanonicalTarget`.
    @inline(__always)
    static func isTargetChar(_ byte: UInt8) -> Bool {
        Self.has(byte, Self.target)
    }

    /// `Host = uri-host [ ":" port ]` bytes: unreserved / pct-encoded / sub-delims / `:` / `[` / `]`
    /// (RFC 9110 §7.2, RFC 3986 §3.2.2).
    @inline(__always)
    static func isHostChar(_ byte: UInt8) -> Bool {
        Self.has(byte, Self.host)
    }

    /// A `Host` byte that needs no rule of its own in a reg-name: `isHostChar` except `%` (pct-encoded), `[`,
    /// `]` (IP-literal) and `:` (port).
    @inline(__always)
    static func isPlainHostChar(_ byte: UInt8) -> Bool {
        Self.has(byte, Self.plainHost)
    }

    /// `OWS = *( SP / HTAB )` member (RFC 9110 §5.6.3).
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// ASCII lower-casing of one byte (other bytes unchanged).
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }

    /// Class bits in ``classes``.
    private static let token: UInt8 = 1
    private static let fieldValue: UInt8 = 2
    private static let target: UInt8 = 4
    private static let host: UInt8 = 8
    private static let plainHost: UInt8 = 16

    /// One byte of class bits per byte value: a table load per byte where four 64-bit bitmaps took a shift and a
    /// four-way branch (callgrind: the field-name loop went from 16 to about 6 instructions a byte). An array of
    /// literals, so the optimizer emits it as static data (no lazy initialization on access).
    private static let classes: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,  // 0x00
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 0x10
        2, 31, 6, 3, 31, 15, 31, 31, 30, 30, 31, 31, 30, 31, 31, 6,  // 0x20
        31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14, 30, 6, 30, 6, 6,  // 0x30
        6, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  // 0x40
        31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14, 6, 14, 7, 31,  // 0x50
        7, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  // 0x60
        31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 6, 7, 6, 31, 0,  // 0x70
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0x80
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0x90
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xA0
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xB0
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xC0
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xD0
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xE0
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  // 0xF0
    ]

    @inline(__always)
    private static func has(_ byte: UInt8, _ bit: UInt8) -> Bool {
        Self.classes.withUnsafeBufferPointer { $0[Int(byte)] } & bit != 0
    }
}
