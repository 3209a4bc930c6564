/// The strict HTTP/1.1 request head parser: parses in place over a contiguous span, with picohttpparser's
/// three-way contract (STYLE rule 7) and the rejections of SPEC A6 and SECURITY.md.
///
/// Use one parser per connection. Call `parse(_:limits:)` each time more bytes arrive, always with the buffer
/// starting at the first unconsumed byte; it resumes its end-of-head search where the previous call stopped.
/// After `.complete` or `.rejected` it is ready for the next request.
///
/// Grammar enforced (RFC 9112 §3, §5; RFC 9110 §5.6.2):
///
///     request-line = method SP request-target SP HTTP-version CRLF   ; exactly one SP each
///     method       = token                                            ; no lower case by default
///     HTTP-version = "HTTP/1.0" / "HTTP/1.1"                          ; other HTTP/x.y: 505
///     field-line   = field-name ":" OWS field-value OWS CRLF          ; no obs-fold, no SP before ":"
///
/// then the field semantics of `RequestHeadParser+Semantics.swift` (Host, Authorization, Connection, Expect,
/// Content-Length, Transfer-Encoding).
public struct RequestHeadParser: Sendable {
    /// Parser behaviour switches that are not limits.
    public struct Options: Sendable, Hashable {
        /// Accept methods with lower-case letters (`gET`). Default false: RFC 9110 §9.1 methods are
        /// case-sensitive and every registered one is upper case, while some upstreams fold case (ATS did), so a
        /// lower-case method could be authorized as one verb and executed as another (SECURITY 35). Rejected with
        /// `400 http1.invalid_method`.
        public var allowLowercaseMethods: Bool

        /// Creates options; defaults are the secure ones.
        public init(allowLowercaseMethods: Bool = false) {
            self.allowLowercaseMethods = allowLowercaseMethods
        }
    }

    /// The options this parser applies.
    public let options: Options
    private var scanner = HTTP1HeadScanner()
    /// The previous head's arrays, for the next head (one parser per connection reuses them).
    private var spare = SpareHeadStorage()

    /// Creates a parser for one connection.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Parses the request head at the start of `buffer`.
    ///
    /// - Parameters:
    ///   - buffer: the unconsumed bytes of the connection, from the first byte of this request (or of the empty
    ///     lines before it). Between `.incomplete` results it must start at the same byte and hold at least what
    ///     it held before.
    ///   - limits: size limits; exceeding one rejects with its status (414, 431).
    /// - Returns: `.complete(head, consumed:)` with the number of bytes the head (and any leading empty lines)
    ///   took, `.incomplete` when the head has not ended and no limit is crossed yet, or `.rejected(error)`.
    public mutating func parse(
        _ buffer: UnsafeRawBufferPointer, limits: HTTP1Limits
    ) -> HTTP1ParseResult<RequestHead> {
        let end: Int
        switch self.scanner.scan(buffer, limits: limits) {
        case .incomplete:
            return .incomplete
        case .rejected(let error):
            self.scanner = HTTP1HeadScanner()
            return .rejected(error)
        case .complete(let headEnd):
            end = headEnd
        }
        let scanned = self.scanner
        self.scanner = HTTP1HeadScanner()
        switch self.parseHead(buffer, scanned: scanned, end: end) {
        case .success(let head): return .complete(head, consumed: end)
        case .failure(let error): return .rejected(error)
        }
    }

    /// Forgets any partial scan (e.g. when the connection is reused for a new request after an error).
    public mutating func reset() {
        self.scanner = HTTP1HeadScanner()
    }

    private mutating func parseHead(
        _ buffer: UnsafeRawBufferPointer, scanned: HTTP1HeadScanner, end: Int
    ) -> Result<RequestHead, HTTP1ParseError> {
        let start = scanned.start
        let line: RequestLine
        switch self.parseRequestLine(buffer, start: start, end: scanned.startLineEnd) {
        case .success(let parsed): line = parsed
        case .failure(let error): return .failure(error)
        }
        var ranges = self.spare.takeRanges(reserving: scanned.fieldLines)
        var known = HTTP1KnownFields()
        var counts = FieldCounts()
        var lineStart = scanned.startLineEnd + 2
        let blankLine = end - 2
        while lineStart < blankLine {
            switch HTTP1FieldLineParser.parse(buffer, at: lineStart, origin: start, colon: .reject) {
            case .rejected(let error):
                return .failure(error)
            case .field(let range):
                let index = ranges.count
                ranges.append(range)
                lineStart = Int(range.lineEnd) + start
                let nameStart = Int(range.nameStart) + start
                if let name = HTTP1FieldLineParser.knownField(buffer, nameStart, Int(range.nameEnd) + start) {
                    counts.record(name, at: index, into: &known)
                }
            }
        }
        let semantics = RequestSemantics(
            buffer: buffer, origin: start, ranges: ranges, version: line.version, counts: counts)
        switch semantics.evaluate(&known) {
        case .failure(let error):
            return .failure(error)
        case .success(let outcome):
            let headers = self.spare.fields(
                copying: UnsafeRawBufferPointer(rebasing: buffer[start..<end]), ranges: ranges)
            let method = String(
                decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<line.methodEnd]),
                as: UTF8.self)
            return .success(
                RequestHead(
                    method: method, version: line.version, keepAlive: outcome.keepAlive, framing: outcome.framing,
                    expectsContinue: outcome.expectsContinue,
                    headers: headers, known: known,
                    target: (line.target.lowerBound - start)..<(line.target.upperBound - start)))
        }
    }

    private struct RequestLine {
        var methodEnd: Int
        var target: Range<Int>
        var version: HTTP1Version
    }

    /// `method SP request-target SP HTTP-version`, the line being `buffer[start..<end]` (`end` is its CR).
    private func parseRequestLine(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int
    ) -> Result<RequestLine, HTTP1ParseError> {
        let space = UInt8(ascii: " ")
        var index = start
        var hasLowercase = false
        while index < end && HTTP1Grammar.isTokenChar(buffer[index]) {
            hasLowercase = hasLowercase || (buffer[index] >= UInt8(ascii: "a") && buffer[index] <= UInt8(ascii: "z"))
            index += 1
        }
        let methodEnd = index
        guard methodEnd > start, index < end else { return .failure(.invalidRequestLine) }
        if buffer[index] != space {
            // A visible non-token byte inside the method (`GE(T`); anything else breaks the line's shape.
            let byte = buffer[index]
            return .failure(byte > 0x20 && byte < 0x7F ? .invalidMethod : .invalidRequestLine)
        }
        if hasLowercase && !self.options.allowLowercaseMethods { return .failure(.invalidMethod) }
        index += 1
        let targetStart = index
        while index < end && buffer[index] != space {
            let byte = buffer[index]
            if !HTTP1Grammar.isTargetChar(byte) {
                return .failure(byte == UInt8(ascii: "#") ? .fragmentInTarget : .invalidTarget)
            }
            index += 1
        }
        let targetEnd = index
        // An empty target (two spaces) or no version at all (HTTP/0.9 style) is not a request line.
        guard targetEnd > targetStart, index < end else { return .failure(.invalidRequestLine) }
        index += 1
        switch Self.parseVersion(buffer, index, end) {
        case .success(let version):
            return .success(RequestLine(methodEnd: methodEnd, target: targetStart..<targetEnd, version: version))
        case .failure(let error):
            return .failure(error)
        }
    }

    /// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` filling exactly `buffer[start..<end]` (RFC 9112 §2.3).
    static func parseVersion(
        _ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int
    ) -> Result<HTTP1Version, HTTP1ParseError> {
        for index in start..<end where buffer[index] == UInt8(ascii: " ") || buffer[index] == UInt8(ascii: "\t") {
            return .failure(.invalidRequestLine)
        }
        guard end - start == 8, HTTP1FieldLineParser.matchesExactly(buffer, start, "HTTP/"),
            buffer[start + 6] == UInt8(ascii: "."),
            case let major = buffer[start + 5], major >= UInt8(ascii: "0"), major <= UInt8(ascii: "9"),
            case let minor = buffer[start + 7], minor >= UInt8(ascii: "0"), minor <= UInt8(ascii: "9")
        else { return .failure(.invalidVersion) }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .success(.http11)
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .success(.http10)
        default: return .failure(.unsupportedVersion)
        }
    }
}
