/// Byte classes of the HTTP/1.1 grammar (RFC 9110 §5.6.2, §5.5; RFC 9112 §3.2), as 256-bit masks.
///
/// Each class is four 64-bit words, one per quarter of the byte range, so a test is a shift and a mask with no
/// table load and no bounds check. The masks were generated from the ABNF quoted beside each one.
enum HTTP1Grammar {
    /// `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    /// / DIGIT / ALPHA` (RFC 9110 §5.6.2).
    @inline(__always)
    static func isTokenChar(_ byte: UInt8) -> Bool {
        Self.test(byte, 0x03FF_6CFA_0000_0000, 0x57FF_FFFF_C7FF_FFFE, 0, 0)
    }

    /// `field-vchar = VCHAR / obs-text`, plus SP and HTAB inside a value (RFC 9110 §5.5).
    @inline(__always)
    static func isFieldValueChar(_ byte: UInt8) -> Bool {
        Self.test(byte, 0xFFFF_FFFF_0000_0200, 0x7FFF_FFFF_FFFF_FFFF, ~0, ~0)
    }

    /// The index of the first byte at or after `start` that is not field content (`isFieldValueChar`): eight
    /// bytes at a time while none of them is a control byte or DEL (a word test, no table lookups), then byte by
    /// byte. The head scanner guarantees a CR LF ends every line, so the search stops inside `buffer`.
    @inline(__always)
    static func skipFieldValueChars(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        if let base = buffer.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highBits: UInt64 = 0x8080_8080_8080_8080
            while index &+ 8 <= buffer.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                // Some byte < 0x20 (HTAB included; the byte loop below accepts it), or some byte == 0x7F.
                let control = (word &- ones &* 0x20) & ~word & highBits
                let delete = word ^ (ones &* 0x7F)
                if control | ((delete &- ones) & ~delete & highBits) != 0 { break }
                index &+= 8
            }
        }
        while Self.isFieldValueChar(buffer[index]) { index += 1 }
        return index
    }

    /// Bytes allowed in a request-target by the codec: VCHAR except `#` (RFC 9112 §3.2; a fragment is never
    /// sent, RFC 9110 §7.1). Path-level rules (`\`, `%2F`, …) belong to `CanonicalTarget`.
    @inline(__always)
    static func isTargetChar(_ byte: UInt8) -> Bool {
        Self.test(byte, 0xFFFF_FFF6_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0, 0)
    }

    /// `Host = uri-host [ ":" port ]` bytes: unreserved / pct-encoded / sub-delims / `:` / `[` / `]`
    /// (RFC 9110 §7.2, RFC 3986 §3.2.2).
    @inline(__always)
    static func isHostChar(_ byte: UInt8) -> Bool {
        Self.test(byte, 0x2FFF_7FF2_0000_0000, 0x47FF_FFFE_AFFF_FFFE, 0, 0)
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

    @inline(__always)
    private static func test(_ byte: UInt8, _ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) -> Bool {
        let bit = UInt64(1) &<< UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }
}
