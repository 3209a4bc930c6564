/// Parses one field line in place (RFC 9112 §5):
///
///     field-line   = field-name ":" OWS field-value OWS
///     field-name   = token
///     field-value  = *field-content            ; field-vchar, SP, HTAB (RFC 9110 §5.5)
///
/// The caller guarantees that the line ends with CRLF inside `buffer` (the head scanner checked every LF), so the
/// loops below stop at that CR at the latest and never read past the head.
enum HTTP1FieldLineParser {
    /// What to do with whitespace between a field name and its colon.
    enum ColonPolicy {
        /// Reject (requests: RFC 9112 §5.1 "MUST reject").
        case reject
        /// Accept and leave it out of the name (responses: RFC 9112 §5.1 lets a proxy remove it).
        case strip
    }

    enum Outcome {
        case field(HTTP1FieldRange)
        case rejected(HTTP1ParseError)
    }

    /// Parses the field line that starts at `lineStart`; stored offsets are relative to `origin`.
    @inline(__always)
    static func parse(
        _ buffer: UnsafeRawBufferPointer, at lineStart: Int, origin: Int, colon: ColonPolicy
    ) -> Outcome {
        var index = lineStart
        // A line that starts with whitespace is obs-fold (or whitespace before the first field, RFC 9112 §2.2);
        // SPEC A6 rejects both.
        if HTTP1Grammar.isWhitespace(buffer[index]) { return .rejected(.obsFold) }
        while HTTP1Grammar.isTokenChar(buffer[index]) { index += 1 }
        let nameEnd = index
        if buffer[index] != UInt8(ascii: ":") {
            guard HTTP1Grammar.isWhitespace(buffer[index]) else { return .rejected(.invalidHeaderName) }
            guard colon == .strip else { return .rejected(.whitespaceBeforeColon) }
            while HTTP1Grammar.isWhitespace(buffer[index]) { index += 1 }
            guard buffer[index] == UInt8(ascii: ":") else { return .rejected(.invalidHeaderName) }
        }
        if nameEnd == lineStart { return .rejected(.invalidHeaderName) }
        index += 1
        while HTTP1Grammar.isWhitespace(buffer[index]) { index += 1 }
        let valueStart = index
        index = HTTP1Grammar.skipFieldValueChars(buffer, from: index)
        // The first byte that is not field content must be the CR of the line's CRLF: a CR elsewhere, NUL, DEL
        // or any other control byte is an invalid value (RFC 9110 §5.5).
        guard buffer[index] == UInt8(ascii: "\r"), buffer[index + 1] == UInt8(ascii: "\n") else {
            return .rejected(.invalidHeaderValue)
        }
        var valueEnd = index
        while valueEnd > valueStart && HTTP1Grammar.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        return .field(
            HTTP1FieldRange(
                nameStart: Int32(truncatingIfNeeded: lineStart - origin),
                nameEnd: Int32(truncatingIfNeeded: nameEnd - origin),
                valueStart: Int32(truncatingIfNeeded: valueStart - origin),
                valueEnd: Int32(truncatingIfNeeded: valueEnd - origin),
                lineEnd: Int32(truncatingIfNeeded: index + 2 - origin)))
    }

    /// Which well-known field a name is, compared ASCII case-insensitively without allocating.
    static func knownField(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> HTTP1KnownFieldName? {
        switch end - start {
        case 4: Self.matches(buffer, start, "host") ? .host : nil
        case 6: Self.matches(buffer, start, "expect") ? .expect : nil
        case 7: Self.matches(buffer, start, "upgrade") ? .upgrade : nil
        case 10:
            Self.matches(buffer, start, "connection")
                ? .connection : Self.matches(buffer, start, "tracestate") ? .tracestate : nil
        case 11: Self.matches(buffer, start, "traceparent") ? .traceparent : nil
        case 13: Self.matches(buffer, start, "authorization") ? .authorization : nil
        case 14: Self.matches(buffer, start, "content-length") ? .contentLength : nil
        case 17: Self.matches(buffer, start, "transfer-encoding") ? .transferEncoding : nil
        default: nil
        }
    }

    /// Whether the bytes at `start` spell `lowercaseLiteral` ignoring ASCII case.
    ///
    /// Compared a word at a time (8 bytes, the last word overlapping; two overlapping 4-byte words for shorter
    /// literals) with every byte
    /// OR-ed with 0x20. That folds exactly the ASCII upper-case letters onto the literal's lower-case ones because
    /// every literal is lower-case letters, digits and `-` (`100-continue`), and the bytes compared were
    /// validated (a field name's `tchar`, a field value's content): the only other bytes that 0x20 maps onto a
    /// letter, digit or `-` are control bytes (CR onto `-`, 0x10–0x19 onto digits), which neither may hold.
    /// `HTTP1FieldLineParserMatchTests` checks every byte value at every position.
    @inline(__always)
    static func matches(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ lowercaseLiteral: StaticString) -> Bool {
        let count = lowercaseLiteral.utf8CodeUnitCount
        guard start + count <= buffer.count, let base = buffer.baseAddress else { return false }
        let literal = UnsafeRawPointer(lowercaseLiteral.utf8Start)
        if count >= 8 {
            // Whole words, then one last word ending at the literal's end (overlapping the previous one).
            let fold: UInt64 = 0x2020_2020_2020_2020
            var offset = 0
            while offset + 8 < count {
                guard
                    base.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self) | fold
                        == literal.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                else { return false }
                offset += 8
            }
            let last = count - 8
            return base.loadUnaligned(fromByteOffset: start + last, as: UInt64.self) | fold
                == literal.loadUnaligned(fromByteOffset: last, as: UInt64.self)
        }
        if count >= 4 {
            let fold: UInt32 = 0x2020_2020
            let last = count - 4
            return base.loadUnaligned(fromByteOffset: start, as: UInt32.self) | fold
                == literal.loadUnaligned(as: UInt32.self)
                && base.loadUnaligned(fromByteOffset: start + last, as: UInt32.self) | fold
                    == literal.loadUnaligned(fromByteOffset: last, as: UInt32.self)
        }
        for offset in 0..<count {
            let expected = literal.load(fromByteOffset: offset, as: UInt8.self)
            if HTTP1Grammar.lowercased(buffer[start + offset]) != expected { return false }
        }
        return true
    }
}

extension HTTP1FieldLineParser {
    /// Whether the bytes at `start` spell `literal` exactly (case-sensitive, e.g. `HTTP-name = %s"HTTP"`).
    @inline(__always)
    static func matchesExactly(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start + count <= buffer.count else { return false }
        let bytes = literal.utf8Start
        for offset in 0..<count where buffer[start + offset] != bytes[offset] { return false }
        return true
    }
}

/// Header fields the codec indexes because framing, routing or security depend on them.
enum HTTP1KnownFieldName {
    case host
    case authorization
    case connection
    case upgrade
    case expect
    case contentLength
    case transferEncoding
    case traceparent
    case tracestate
}
