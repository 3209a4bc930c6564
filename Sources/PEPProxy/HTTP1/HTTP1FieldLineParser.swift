/// Parses one field line in place (RFC 9112 §5):
///
///     field-line   = field-name ":" OWS field-value OWS
///     field-name   = token
///     field-value  = *field-content            ; field-vchar, SP, HTAB (RFC 9110 §5.5)
///
/// The caller guarantees that a byte that is not a `tchar` follows `lineStart` inside `buffer`, so the name loop
/// needs no bound: after the head scanner the line's CR; before it (the one-pass path of the head parsers) the
/// last byte of `buffer`. Every other read is bounded by `buffer.count`, and a line that does not end inside
/// `buffer` comes back as `.truncated`.
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
        /// The bytes ran out before the line's CRLF (never after a scan: the scanner saw every line's LF).
        case truncated
    }

    /// Parses the field line that starts at `lineStart` (`lineStart < buffer.count`, a non-`tchar` byte after
    /// it in `buffer`); stored offsets are relative to `origin`.
    @inline(__always)
    static func parse(
        _ buffer: UnsafeRawBufferPointer, at lineStart: Int, origin: Int, colon: ColonPolicy
    ) -> Outcome {
        let count = buffer.count
        var index = lineStart
        // A line that starts with whitespace is obs-fold (or whitespace before the first field, RFC 9112 §2.2);
        // SPEC A6 rejects both.
        if HTTP1Grammar.isWhitespace(buffer[index]) { return .rejected(.obsFold) }
        // No bound: a byte that is not a `tchar` (the line's CR, or the last byte of `buffer`) stops the loop.
        while HTTP1Grammar.isTokenChar(buffer[index]) { index += 1 }
        let nameEnd = index
        if buffer[index] != UInt8(ascii: ":") {
            guard HTTP1Grammar.isWhitespace(buffer[index]) else { return .rejected(.invalidHeaderName) }
            guard colon == .strip else { return .rejected(.whitespaceBeforeColon) }
            while index < count && HTTP1Grammar.isWhitespace(buffer[index]) { index += 1 }
            guard index < count else { return .truncated }
            guard buffer[index] == UInt8(ascii: ":") else { return .rejected(.invalidHeaderName) }
        }
        if nameEnd == lineStart { return .rejected(.invalidHeaderName) }
        index += 1
        while index < count && HTTP1Grammar.isWhitespace(buffer[index]) { index += 1 }
        let valueStart = index
        index = HTTP1Grammar.skipFieldValueChars(buffer, from: index)
        // The first byte that is not field content must be the CR of the line's CRLF: a CR elsewhere, NUL, DEL
        // or any other control byte is an invalid value (RFC 9110 §5.5).
        guard index + 1 < count else { return .truncated }
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
    ///
    /// Eight bytes at a time, the last word overlapping the one before (two overlapping 4-byte words below 8
    /// bytes), reading only inside `buffer` and the literal.
    @inline(__always)
    static func matchesExactly(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start + count <= buffer.count else { return false }
        guard count > 0, let base = buffer.baseAddress else { return true }
        let bytes = UnsafeRawPointer(literal.utf8Start)
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                guard
                    base.loadUnaligned(fromByteOffset: start + offset, as: UInt64.self)
                        == bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                else { return false }
                offset += 8
            }
            return base.loadUnaligned(fromByteOffset: start + count - 8, as: UInt64.self)
                == bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        if count >= 4 {
            return base.loadUnaligned(fromByteOffset: start, as: UInt32.self) == bytes.loadUnaligned(as: UInt32.self)
                && base.loadUnaligned(fromByteOffset: start + count - 4, as: UInt32.self)
                    == bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        }
        for offset in 0..<count
        where base.load(fromByteOffset: start + offset, as: UInt8.self)
            != bytes.load(fromByteOffset: offset, as: UInt8.self)
        {
            return false
        }
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

/// The field lines of one head, parsed in place, with the well-known fields indexed on the way: the loop both
/// head parsers share.
struct HTTP1FieldLines {
    /// Where the field offsets go, one per line in order (the storage the head will hold).
    let storage: HTTP1HeadStorage
    var known = HTTP1KnownFields()
    var counts = FieldCounts()

    /// Parses the field lines of a scanned head, from `lineStart` (the first byte after the start line's CRLF)
    /// to the blank line whose CR the scanner found at `blankLine`: nil, or the first line's error.
    @inline(__always)
    mutating func parseScanned(
        _ buffer: UnsafeRawBufferPointer, from lineStart: Int, origin: Int, colon: HTTP1FieldLineParser.ColonPolicy,
        blankLine: Int
    ) -> HTTP1ParseError? {
        switch self.parse(buffer, from: lineStart, origin: origin, colon: colon, blankLine: blankLine, maxFields: 0) {
        case .blankLine: return nil
        case .rejected(let error): return error
        case .needsScan: return .invalidHeaderValue  // unreachable: every scanned line ends in CRLF
        }
    }

    /// Whether the start line of a head parsed in one pass (from `buffer[0]`) ends with CR LF at `lineEnd`, within
    /// the start-line limit the head scanner applies.
    @inline(__always)
    static func endsOnePassStartLine(_ buffer: UnsafeRawBufferPointer, at lineEnd: Int, limits: HTTP1Limits) -> Bool {
        lineEnd + 1 < buffer.count && buffer[lineEnd] == UInt8(ascii: "\r") && buffer[lineEnd + 1] == UInt8(ascii: "\n")
            && lineEnd <= limits.startLineByteBound
    }

    /// Parses the field lines of a head not scanned yet (`buffer` from `onePassBytes(_:)`, the head at offset 0)
    /// from `lineStart`: one past the blank line's LF when the scanner would complete the head there within
    /// `limits`, else nil (then the caller scans, and that path decides).
    @inline(__always)
    mutating func parseInOnePass(
        _ buffer: UnsafeRawBufferPointer, from lineStart: Int, colon: HTTP1FieldLineParser.ColonPolicy,
        limits: HTTP1Limits
    ) -> Int? {
        guard
            case .blankLine(let end) = self.parse(
                buffer, from: lineStart, origin: 0, colon: colon, blankLine: nil, maxFields: limits.maxHeadersCount),
            end <= limits.headByteBound
        else { return nil }
        return end
    }

    private enum Stop {
        /// The blank line ends at `end` (one past its LF).
        case blankLine(end: Int)
        case rejected(HTTP1ParseError)
        /// One pass only: something the head scanner has to judge (see `parse(_:from:origin:colon:blankLine:maxFields:)`).
        case needsScan
    }

    /// Parses the field lines from `lineStart` (the first byte after the start line's CRLF) to the blank line.
    ///
    /// - Parameters:
    ///   - origin: offset of the head's first byte in `buffer` (stored ranges are relative to it).
    ///   - blankLine: the offset of the blank line's CR when the head scanner found it; nil for one pass over
    ///     bytes not scanned yet, which stops with `.needsScan` at anything the scanner decides: the bytes
    ///     running out, a CR not followed by LF, a line that does not parse (it may hold a bare LF), or more than
    ///     `maxFields` lines. Only a head that the scanner would complete at the same blank line comes back as
    ///     `.blankLine`, so the caller may fall back to scanning and get the exact result of that path.
    ///   - maxFields: `HTTP1Limits.maxHeadersCount` (one pass only; the scanner counted a scanned head's lines).
    ///
    /// One pass needs a byte that is not a `tchar` at the end of `buffer` (`onePassBytes(_:)`): it stops the
    /// field-name loop, which has no bound of its own.
    @inline(__always)
    private mutating func parse(
        _ buffer: UnsafeRawBufferPointer, from lineStart: Int, origin: Int, colon: HTTP1FieldLineParser.ColonPolicy,
        blankLine: Int?, maxFields: Int
    ) -> Stop {
        let count = buffer.count
        var lineStart = lineStart
        let storage = self.storage
        while true {
            if let blankLine {
                if lineStart >= blankLine { return .blankLine(end: blankLine + 2) }
            } else {
                guard lineStart + 1 < count else { return .needsScan }
                if buffer[lineStart] == UInt8(ascii: "\r") {
                    return buffer[lineStart + 1] == UInt8(ascii: "\n") ? .blankLine(end: lineStart + 2) : .needsScan
                }
                if storage.rangeCount >= maxFields { return .needsScan }
            }
            switch HTTP1FieldLineParser.parse(buffer, at: lineStart, origin: origin, colon: colon) {
            case .rejected(let error):
                return blankLine == nil ? .needsScan : .rejected(error)
            case .truncated:
                // After a scan every line ends with CRLF inside `buffer`, so only one pass gets here.
                return .needsScan
            case .field(let range):
                let index = storage.rangeCount
                storage.append(range)
                lineStart = Int(range.lineEnd) + origin
                let nameStart = Int(range.nameStart) + origin
                if let name = HTTP1FieldLineParser.knownField(buffer, nameStart, Int(range.nameEnd) + origin) {
                    self.counts.record(name, at: index, into: &self.known)
                }
            }
        }
    }

    /// The bytes a one-pass parse may read: `buffer` up to and including its last byte that is not a `tchar`,
    /// looked for among its last `window` bytes, or nil (then the head is scanned first). A complete head ends
    /// with LF, which is not a `tchar`, so the prefix holds every complete head `buffer` does.
    static func onePassBytes(_ buffer: UnsafeRawBufferPointer, window: Int = 64) -> UnsafeRawBufferPointer? {
        var index = buffer.count - 1
        let stop = max(buffer.count - window, 0)
        while index >= stop {
            if !HTTP1Grammar.isTokenChar(buffer[index]) { return UnsafeRawBufferPointer(rebasing: buffer[0...index]) }
            index -= 1
        }
        return nil
    }
}
