/// Readers for the field values the codec interprets, in place over the head bytes.
enum HTTP1FieldValues {
    /// Calls `body` with each non-empty element of a comma list, OWS trimmed (RFC 9110 §5.6.1: empty elements
    /// are ignored). Stops early when `body` returns false; returns false in that case.
    @inline(__always)
    static func forEachListElement(
        _ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Bool
    ) -> Bool {
        var elementStart = range.lowerBound
        var index = range.lowerBound
        while index <= range.upperBound {
            if index == range.upperBound || buffer[index] == UInt8(ascii: ",") {
                var start = elementStart
                var end = index
                while start < end && HTTP1Grammar.isWhitespace(buffer[start]) { start += 1 }
                while end > start && HTTP1Grammar.isWhitespace(buffer[end - 1]) { end -= 1 }
                if start < end && !body(start..<end) { return false }
                elementStart = index + 1
            }
            index += 1
        }
        return true
    }

    /// Whether every byte in `range` is a token character and the range is not empty.
    static func isToken(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        for index in range where !HTTP1Grammar.isTokenChar(buffer[index]) { return false }
        return true
    }

    /// Whether `range` spells `lowercaseLiteral`, ASCII case-insensitively.
    static func equals(
        _ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercaseLiteral: StaticString
    ) -> Bool {
        range.count == lowercaseLiteral.utf8CodeUnitCount
            && HTTP1FieldLineParser.matches(buffer, range.lowerBound, lowercaseLiteral)
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6) as a number no larger than 2^63 − 1, or nil. No sign, no
    /// list, no whitespace inside.
    static func contentLength(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty else { return nil }
        var value: UInt64 = 0
        for index in range {
            let byte = buffer[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2, sum <= UInt64(Int64.max) else { return nil }
            value = sum
        }
        return value
    }

    /// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2–3.2.3); the empty value is allowed.
    ///
    /// A reg-name or IPv4 address takes one table test per byte (`isPlainHostChar`); only `%` (pct-encoded)
    /// has a rule of its own there, and `[` opens an IP-literal.
    static func isValidHost(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        if index < end && buffer[index] == UInt8(ascii: "[") {
            // IP-literal: hex digits, ':', '.', and IPvFuture's 'v' plus unreserved / sub-delims.
            index += 1
            let literalStart = index
            while index < end && buffer[index] != UInt8(ascii: "]") {
                let byte = buffer[index]
                guard HTTP1Grammar.isHostChar(byte), byte != UInt8(ascii: "["), byte != UInt8(ascii: "%") else {
                    return false
                }
                index += 1
            }
            guard index < end, index > literalStart else { return false }
            index += 1
        } else {
            while index < end {
                let byte = buffer[index]
                if HTTP1Grammar.isPlainHostChar(byte) {
                    index += 1
                } else if byte == UInt8(ascii: "%") {
                    guard index + 2 < end, HTTP1Grammar.hexValue(buffer[index + 1]) != nil,
                        HTTP1Grammar.hexValue(buffer[index + 2]) != nil
                    else { return false }
                    index += 3
                } else {
                    break  // the port's `:`, or a byte no reg-name holds (judged below)
                }
            }
        }
        guard index < end else { return true }
        guard buffer[index] == UInt8(ascii: ":") else { return false }
        index += 1
        while index < end {
            guard buffer[index] >= UInt8(ascii: "0") && buffer[index] <= UInt8(ascii: "9") else { return false }
            index += 1
        }
        return true
    }

    /// How a Transfer-Encoding list reads (RFC 9112 §6.1, RFC 9110 §10.1.4 / §8.4.1 coding registry).
    enum TransferCodings: Equatable {
        /// Exactly one element, `chunked`, with no parameters.
        case chunkedOnly
        /// Well-formed; `chunked` is the final coding, after others.
        case chunkedLast
        /// Well-formed; the final coding is not `chunked`.
        case notChunkedLast
        /// Names a coding outside the registry (e.g. `xchunked`).
        case unknownCoding
        /// Empty, or an element that is not `token *( OWS ";" OWS parameter )`.
        case malformed
    }

    /// Reads Transfer-Encoding lines one at a time as one list, without allocating.
    struct TransferCodingReader {
        private var elements = 0
        private var malformed = false
        private var unknown = false
        private var lastIsBareChunked = false
        private var lastIsChunked = false

        /// Adds the elements of one Transfer-Encoding value.
        mutating func read(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) {
            guard !self.malformed else { return }
            _ = HTTP1FieldValues.forEachListElement(buffer, range) { element in
                self.elements += 1
                var nameEnd = element.lowerBound
                while nameEnd < element.upperBound && HTTP1Grammar.isTokenChar(buffer[nameEnd]) { nameEnd += 1 }
                let name = element.lowerBound..<nameEnd
                if name.isEmpty {
                    self.malformed = true
                    return false
                }
                if nameEnd < element.upperBound {
                    // Parameters (`OWS ";" ...`): only their start is checked; no registered coding takes any.
                    var index = nameEnd
                    while index < element.upperBound && HTTP1Grammar.isWhitespace(buffer[index]) { index += 1 }
                    guard index < element.upperBound, buffer[index] == UInt8(ascii: ";") else {
                        self.malformed = true
                        return false
                    }
                }
                self.lastIsChunked = HTTP1FieldValues.equals(buffer, name, "chunked")
                self.lastIsBareChunked = self.lastIsChunked && nameEnd == element.upperBound
                if !self.lastIsChunked && !HTTP1FieldValues.isRegisteredCoding(buffer, name) { self.unknown = true }
                return true
            }
        }

        /// The verdict over everything read so far.
        var codings: TransferCodings {
            if self.malformed || self.elements == 0 { return .malformed }
            if self.unknown { return .unknownCoding }
            if self.elements == 1 && self.lastIsBareChunked { return .chunkedOnly }
            return self.lastIsChunked ? .chunkedLast : .notChunkedLast
        }
    }

    /// The transfer codings of the IANA registry a proxy may meet (RFC 9112 §7, RFC 9110 §8.4.1).
    fileprivate static func isRegisteredCoding(_ buffer: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        Self.equals(buffer, name, "gzip") || Self.equals(buffer, name, "deflate")
            || Self.equals(buffer, name, "compress") || Self.equals(buffer, name, "x-gzip")
            || Self.equals(buffer, name, "x-compress") || Self.equals(buffer, name, "identity")
            || Self.equals(buffer, name, "trailers")
    }

    /// Reads every Connection line from `known.connection` on (RFC 9110 §7.6.1) and sets the `close`,
    /// `keep-alive` and `upgrade` flags in `known`.
    ///
    /// Strict mode (requests) rejects an element that is not a token and a `content-length` element, which would
    /// let a hop-by-hop stripper drop the framing header the proxy used (`Connection: Content-Length` smuggling).
    /// Lenient mode (responses) skips elements that are not tokens and still rejects `content-length`.
    static func readConnectionOptions(
        _ buffer: UnsafeRawBufferPointer, origin: Int, ranges: UnsafeBufferPointer<HTTP1FieldRange>,
        into known: inout HTTP1KnownFields, strict: Bool
    ) -> HTTP1ParseError? {
        guard let first = known.connection else { return nil }
        var error: HTTP1ParseError?
        var close = false
        var keepAlive = false
        var upgrade = false
        var others = false
        for index in first..<ranges.count where error == nil {
            let range = ranges[index]
            let name = (Int(range.nameStart) + origin)..<(Int(range.nameEnd) + origin)
            guard Self.equals(buffer, name, "connection") else { continue }
            let value = (Int(range.valueStart) + origin)..<(Int(range.valueEnd) + origin)
            // The usual whole values first, without the list walk.
            if Self.equals(buffer, value, "keep-alive") {
                keepAlive = true
                continue
            }
            if Self.equals(buffer, value, "close") {
                close = true
                continue
            }
            _ = Self.forEachListElement(buffer, value) { token in
                guard Self.isToken(buffer, token) else {
                    if strict { error = .invalidConnection }
                    return !strict
                }
                if Self.equals(buffer, token, "close") {
                    close = true
                } else if Self.equals(buffer, token, "keep-alive") {
                    keepAlive = true
                } else if Self.equals(buffer, token, "upgrade") {
                    upgrade = true
                } else if Self.equals(buffer, token, "content-length") {
                    error = .connectionNominatesContentLength
                    return false
                } else {
                    others = true
                }
                return true
            }
        }
        known.connectionClose = close
        known.connectionKeepAlive = keepAlive
        known.connectionUpgrade = upgrade
        known.connectionNominatesOthers = others
        return error
    }
}
