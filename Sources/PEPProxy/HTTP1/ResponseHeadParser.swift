/// The upstream response head parser: same in-place, three-way, resumable design as `RequestHeadParser`, strict
/// where a lenient reading could desynchronize the proxy and tolerant where RFC 9112 lets a recipient be
/// (RFC 9112 §4, §5.1, §6.3):
///
///     status-line = HTTP-version SP status-code SP [ reason-phrase ]   ; a missing second SP is tolerated
///
/// - whitespace before a field's colon is accepted and left out of the name (a proxy must remove it, §5.1);
/// - repeated Content-Length lines or list members with one value collapse to it; differing values reject;
/// - any Transfer-Encoding whose final coding is `chunked` is chunked; otherwise the body runs until close;
/// - bare LF, obs-fold and control bytes in values still reject: relaying them would hand the client's parser
///   bytes ours did not frame.
///
/// Every rejection means: answer the client `502`, close the upstream connection.
public struct ResponseHeadParser: Sendable {
    private var scanner = HTTP1HeadScanner()
    /// The previous head's storage (bytes and field offsets), for the next head once no head holds it.
    private var spare = SpareHeadStorage()

    /// Creates a parser for one upstream connection.
    public init() {}

    /// Parses the response head at the start of `buffer`.
    ///
    /// - Parameters:
    ///   - buffer: unconsumed bytes from the upstream, starting at this response; grows between `.incomplete`s.
    ///   - requestMethod: the method of the request this answers (`HEAD` responses have no body).
    ///   - limits: size limits (the start line is bounded by `maxRequestLineBytes`).
    /// - Returns: `.complete(head, consumed:)`, `.incomplete`, or `.rejected(error)`.
    public mutating func parse(
        _ buffer: UnsafeRawBufferPointer, requestMethod: String, limits: HTTP1Limits
    ) -> HTTP1ParseResult<ResponseHead> {
        // One pass over a head that arrived whole, else scan and parse (as `RequestHeadParser.parse`).
        if self.scanner.isFresh,
            let result = self.parseInOnePass(buffer, requestMethod: requestMethod, limits: limits)
        {
            return result
        }
        let end: Int
        switch self.scanner.scan(buffer, limits: limits) {
        case .incomplete:
            return .incomplete
        case .rejected(let error):
            self.scanner = HTTP1HeadScanner()
            return .rejected(error == .requestLineTooLong ? .invalidStatusLine : error)
        case .complete(let headEnd):
            end = headEnd
        }
        let scanned = self.scanner
        self.scanner = HTTP1HeadScanner()
        let start = scanned.start
        let line: StatusLine
        switch Self.parseStatusLine(buffer, start: start, end: scanned.startLineEnd) {
        case .success(let parsed): line = parsed
        case .failure(let error): return .rejected(error)
        }
        var fields = HTTP1FieldLines(storage: self.spare.take())
        if let error = fields.parseScanned(
            buffer, from: scanned.startLineEnd + 2, origin: start, colon: .strip, blankLine: end - 2)
        {
            return .rejected(error)
        }
        return self.finish(buffer, start: start, end: end, line: line, fields: &fields, requestMethod: requestMethod)
    }

    /// Forgets any partial scan.
    public mutating func reset() {
        self.scanner = HTTP1HeadScanner()
    }

    /// The one-pass parse of a head that starts at `buffer[0]`, or nil when the head scanner has to decide
    /// (see `RequestHeadParser.parseInOnePass`).
    @inline(__always)  // returned through an Optional, the head was unpacked and packed again (~100 instructions)
    private mutating func parseInOnePass(
        _ whole: UnsafeRawBufferPointer, requestMethod: String, limits: HTTP1Limits
    ) -> HTTP1ParseResult<ResponseHead>? {
        // The prefix ending in a byte that is not a `tchar` (see `HTTP1FieldLines.parse`).
        guard let buffer = HTTP1FieldLines.onePassBytes(whole) else { return nil }
        // `HTTP-version SP 3DIGIT`, then field content up to the line's CR LF (the reason phrase's bytes).
        guard buffer.count > 14 else { return nil }
        let lineEnd = HTTP1Grammar.skipFieldValueChars(buffer, from: 9)
        guard HTTP1FieldLines.endsOnePassStartLine(buffer, at: lineEnd, limits: limits),
            case .success(let line) = Self.parseStatusLine(buffer, start: 0, end: lineEnd)
        else { return nil }
        var fields = HTTP1FieldLines(storage: self.spare.take())
        guard let end = fields.parseInOnePass(buffer, from: lineEnd + 2, colon: .strip, limits: limits)
        else { return nil }
        return self.finish(buffer, start: 0, end: end, line: line, fields: &fields, requestMethod: requestMethod)
    }

    /// The field semantics and the head, once the lines of `buffer[start..<end]` parsed.
    private mutating func finish(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int, line: StatusLine, fields: inout HTTP1FieldLines,
        requestMethod: String
    ) -> HTTP1ParseResult<ResponseHead> {
        let semantics = ResponseSemantics(
            buffer: buffer, origin: start, ranges: fields.storage.rangeBuffer, version: line.version,
            status: line.status,
            isHeadRequest: requestMethod.utf8.count == 4 && requestMethod == "HEAD", counts: fields.counts)
        let evaluated = withExtendedLifetime(fields.storage) { semantics.evaluate(&fields.known) }
        switch evaluated {
        case .failure(let error):
            return .rejected(error)
        case .success(let outcome):
            fields.storage.setBytes(copying: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            let headers = HTTP1HeaderFields(storage: fields.storage)
            return .complete(
                ResponseHead(
                    version: line.version, status: line.status,
                    reason: (line.reason.lowerBound - start)..<(line.reason.upperBound - start),
                    keepAlive: outcome.keepAlive, framing: outcome.framing,
                    headers: headers, known: fields.known),
                consumed: end)
        }
    }

    private struct StatusLine {
        var version: HTTP1Version
        var status: Int
        var reason: Range<Int>
    }

    /// `HTTP-version SP 3DIGIT [ SP reason-phrase ]` over `buffer[start..<end]` (`end` is the line's CR).
    private static func parseStatusLine(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int
    ) -> Result<StatusLine, HTTP1ParseError> {
        guard end - start >= 12, buffer[start + 8] == UInt8(ascii: " ") else { return .failure(.invalidStatusLine) }
        let version: HTTP1Version
        switch RequestHeadParser.parseVersion(buffer, start, start + 8) {
        case .success(let parsed): version = parsed
        case .failure(.unsupportedVersion): return .failure(.unsupportedVersion)
        case .failure: return .failure(.invalidStatusLine)
        }
        var status = 0
        for index in (start + 9)..<(start + 12) {
            let byte = buffer[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return .failure(.invalidStatusLine) }
            status = status * 10 + Int(byte &- UInt8(ascii: "0"))
        }
        guard status >= 100 else { return .failure(.invalidStatusLine) }
        var reasonStart = start + 12
        if reasonStart < end {
            guard buffer[reasonStart] == UInt8(ascii: " ") else { return .failure(.invalidStatusLine) }
            reasonStart += 1
        }
        // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
        for index in reasonStart..<max(reasonStart, end) where !HTTP1Grammar.isFieldValueChar(buffer[index]) {
            return .failure(.invalidStatusLine)
        }
        return .success(StatusLine(version: version, status: status, reason: reasonStart..<max(reasonStart, end)))
    }
}

/// The field-level rules for a response head (RFC 9112 §6.1, §6.3; RFC 9110 §8.6).
private struct ResponseSemantics {
    let buffer: UnsafeRawBufferPointer
    let origin: Int
    /// The field offsets (the head storage being filled; alive while the semantics run).
    let ranges: UnsafeBufferPointer<HTTP1FieldRange>
    let version: HTTP1Version
    let status: Int
    let isHeadRequest: Bool
    let counts: FieldCounts

    struct Outcome {
        var keepAlive: Bool
        var framing: ResponseBodyFraming
    }

    func evaluate(_ known: inout HTTP1KnownFields) -> Result<Outcome, HTTP1ParseError> {
        if let error = HTTP1FieldValues.readConnectionOptions(
            self.buffer, origin: self.origin, ranges: self.ranges, into: &known, strict: false)
        {
            return .failure(error)
        }
        var codings: HTTP1FieldValues.TransferCodings?
        if known.transferEncoding != nil {
            if self.version == .http10 { return .failure(.transferEncodingInHTTP10) }
            // RFC 9112 §6.3 rule 3: TE overrides CL, "ought to be handled as an error"; a proxy forwarding it
            // would have to drop CL. Refusing is simpler and leaves nothing to get wrong.
            if self.counts.contentLength > 0 { return .failure(.transferEncodingWithContentLength) }
            var reader = HTTP1FieldValues.TransferCodingReader()
            self.forEachValue(named: "transfer-encoding", from: known.transferEncoding) { reader.read(self.buffer, $0) }
            codings = reader.codings
            if codings == .malformed { return .failure(.invalidTransferEncoding) }
        }
        var length: UInt64?
        if known.contentLength != nil {
            switch self.contentLength(from: known.contentLength) {
            case .success(let value): length = value
            case .failure(let error): return .failure(error)
            }
        }
        let framing: ResponseBodyFraming
        if self.isHeadRequest || self.status < 200 || self.status == 204 || self.status == 304 {
            framing = .none
        } else if let codings {
            framing = (codings == .chunkedOnly || codings == .chunkedLast) ? .chunked : .untilClose
        } else if let length {
            framing = .contentLength(length)
        } else {
            framing = .untilClose
        }
        let keepAlive =
            framing != .untilClose && !known.connectionClose
            && (self.version == .http11 || known.connectionKeepAlive)
        return .success(Outcome(keepAlive: keepAlive, framing: framing))
    }

    /// One length from every Content-Length line and list member, or why not (RFC 9110 §8.6, RFC 9112 §6.3
    /// rule 5: differing values make the framing invalid, and a proxy answers 502).
    private func contentLength(from first: Int?) -> Result<UInt64, HTTP1ParseError> {
        // The usual single line of plain digits; lists, repeats and anything invalid take the walk below.
        if self.counts.contentLength == 1, let first {
            let range = self.ranges[first]
            let value = (Int(range.valueStart) + self.origin)..<(Int(range.valueEnd) + self.origin)
            if let length = HTTP1FieldValues.contentLength(self.buffer, value) { return .success(length) }
        }
        var value: UInt64?
        var error: HTTP1ParseError?
        self.forEachValue(named: "content-length", from: first) { range in
            guard error == nil else { return }
            _ = HTTP1FieldValues.forEachListElement(self.buffer, range) { element in
                guard let parsed = HTTP1FieldValues.contentLength(self.buffer, element) else {
                    error = .invalidContentLength
                    return false
                }
                if let value, value != parsed {
                    error = .conflictingContentLength
                    return false
                }
                value = parsed
                return true
            }
        }
        if let error { return .failure(error) }
        guard let value else { return .failure(.invalidContentLength) }
        return .success(value)
    }

    private func forEachValue(named name: StaticString, from first: Int?, _ body: (Range<Int>) -> Void) {
        guard let first else { return }
        for index in first..<self.ranges.count {
            let range = self.ranges[index]
            let nameRange = (Int(range.nameStart) + self.origin)..<(Int(range.nameEnd) + self.origin)
            guard HTTP1FieldValues.equals(self.buffer, nameRange, name) else { continue }
            body((Int(range.valueStart) + self.origin)..<(Int(range.valueEnd) + self.origin))
        }
    }
}
