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
    /// The previous head's storage (bytes and field offsets), for the next head once no head holds it.
    private(set) var spare = SpareHeadStorage()

    /// Creates a parser for one connection.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Lets go of a spare head storage a large head grew (``SpareHeadStorage/dropLargePrevious()``); called once
    /// the head has been handed on.
    mutating func releaseLargeSpare() {
        self.spare.dropLargePrevious()
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
        // A head that arrives whole (the usual case) is parsed in one pass; anything that pass cannot settle
        // (more bytes needed, a rejection, leading empty lines) is scanned and parsed as below, from scratch, so
        // the outcome never depends on which path ran. Only a fresh scan may be skipped: a head that trickles in
        // is scanned once, incrementally.
        if self.scanner.isFresh, let result = self.parseInOnePass(buffer, limits: limits) { return result }
        let end: Int
        switch self.scanner.scan(buffer, limits: limits) {
        case .incomplete:
            return .incomplete
        case .rejected(let error):
            return .rejected(self.endScan(rejecting: error, buffer, limits: limits))
        case .complete(let headEnd):
            end = headEnd
        }
        let scanned = self.scanner
        self.scanner = HTTP1HeadScanner()
        let start = scanned.start
        let line: RequestLine
        switch self.parseRequestLine(buffer, start: start, end: scanned.startLineEnd) {
        case .success(let parsed): line = parsed
        case .failure(let error): return .rejected(error)
        }
        var fields = HTTP1FieldLines(storage: self.spare.take())
        if let error = fields.parseScanned(
            buffer, from: scanned.startLineEnd + 2, origin: start, colon: .reject, blankLine: end - 2)
        {
            return .rejected(error)
        }
        return self.finish(buffer, start: start, end: end, line: line, fields: &fields)
    }

    /// Forgets any partial scan (e.g. when the connection is reused for a new request after an error).
    public mutating func reset() {
        self.scanner = HTTP1HeadScanner()
    }

    /// The one-pass parse of a head that starts at `buffer[0]` (no leading empty lines): the result, or nil
    /// when the head scanner has to decide (see `HTTP1FieldLines.parse`). A head comes back only when the
    /// scanner would complete it at the same end within `limits`, and then it went through the same line and
    /// field rules, so the result is the one the scanning path gives.
    @inline(__always)  // returned through an Optional, the head was unpacked and packed again (~100 instructions)
    private mutating func parseInOnePass(
        _ whole: UnsafeRawBufferPointer, limits: HTTP1Limits
    ) -> HTTP1ParseResult<RequestHead>? {
        // The prefix ending in a byte that is not a `tchar` (see `HTTP1FieldLines.parse`).
        guard let buffer = HTTP1FieldLines.onePassBytes(whole) else { return nil }
        // `onePassBytes` never returns an empty prefix, but without `count > 0` here the release build's parse
        // took about 60 instructions more per request (callgrind).
        guard buffer.count > 0, buffer[0] != UInt8(ascii: "\r"), buffer[0] != UInt8(ascii: "\n") else { return nil }
        // Method, target and the eight version bytes, then CR LF.
        guard case .success(let line) = self.parseRequestLine(buffer, start: 0, end: nil),
            HTTP1FieldLines.endsOnePassStartLine(buffer, at: line.versionEnd, limits: limits)
        else { return nil }
        var fields = HTTP1FieldLines(storage: self.spare.take())
        guard let end = fields.parseInOnePass(buffer, from: line.versionEnd + 2, colon: .reject, limits: limits)
        else { return nil }
        return self.finish(buffer, start: 0, end: end, line: line, fields: &fields)
    }

    /// The field semantics and the head, once the lines of `buffer[start..<end]` parsed.
    private mutating func finish(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int, line: RequestLine, fields: inout HTTP1FieldLines
    ) -> HTTP1ParseResult<RequestHead> {
        let semantics = RequestSemantics(
            buffer: buffer, origin: start, ranges: fields.storage.rangeBuffer, version: line.version,
            counts: fields.counts)
        let evaluated = withExtendedLifetime(fields.storage) { semantics.evaluate(&fields.known) }
        switch evaluated {
        case .failure(let error):
            return .rejected(error)
        case .success(let outcome):
            fields.storage.setBytes(copying: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            let headers = HTTP1HeaderFields(storage: fields.storage)
            let method = Self.method(UnsafeRawBufferPointer(rebasing: buffer[start..<line.methodEnd]))
            return .complete(
                RequestHead(
                    method: method, version: line.version, keepAlive: outcome.keepAlive, framing: outcome.framing,
                    expectsContinue: outcome.expectsContinue,
                    headers: headers, known: fields.known,
                    target: (line.target.lowerBound - start)..<(line.target.upperBound - start)),
                consumed: end)
        }
    }

    private struct RequestLine {
        var methodEnd: Int
        var target: Range<Int>
        var version: HTTP1Version
        /// One past the version's last byte (the line's CR after a scan).
        var versionEnd: Int
    }

    /// The method as a string: the RFC 9110 §9 methods are literals (no UTF-8 validation, about 120 instructions
    /// less a request); any other token is decoded.
    static func method(_ bytes: UnsafeRawBufferPointer) -> String {
        switch bytes.count {
        case 3:
            if Self.equals(bytes, "GET") { return "GET" }
            if Self.equals(bytes, "PUT") { return "PUT" }
        case 4:
            if Self.equals(bytes, "POST") { return "POST" }
            if Self.equals(bytes, "HEAD") { return "HEAD" }
        case 5:
            if Self.equals(bytes, "PATCH") { return "PATCH" }
            if Self.equals(bytes, "TRACE") { return "TRACE" }
        case 6:
            if Self.equals(bytes, "DELETE") { return "DELETE" }
        case 7:
            if Self.equals(bytes, "OPTIONS") { return "OPTIONS" }
            if Self.equals(bytes, "CONNECT") { return "CONNECT" }
        default:
            break
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `bytes` spell `literal` exactly; the caller has matched the length.
    @inline(__always)
    private static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        HTTP1FieldLineParser.matchesExactly(bytes, 0, literal)
    }

    /// Forgets the scan the scanner rejected and returns the error to report: `methodTooLong` (501) for an
    /// over-long request line that is all method. Out of line: the parse of a good head pays nothing for it.
    @inline(never)
    private mutating func endScan(
        rejecting error: HTTP1ParseError, _ buffer: UnsafeRawBufferPointer, limits: HTTP1Limits
    ) -> HTTP1ParseError {
        let start = self.scanner.start
        self.scanner = HTTP1HeadScanner()
        if error == .requestLineTooLong, Self.methodFills(buffer, from: start, bytes: limits.startLineByteBound) {
            return .methodTooLong
        }
        return error
    }

    /// Whether the first `bytes` bytes of the line at `start` are all method (token) bytes: an over-long request
    /// line whose method alone is longer than the limit, so longer than any method (RFC 9112 §3: 501).
    static func methodFills(_ buffer: UnsafeRawBufferPointer, from start: Int, bytes: Int) -> Bool {
        let end = start + bytes
        guard end <= buffer.count else { return false }
        for index in start..<end where !HTTP1Grammar.isTokenChar(buffer[index]) { return false }
        return true
    }

    /// `method SP request-target SP HTTP-version`, the line being `buffer[start..<end]` (`end` is its CR).
    /// With `end` nil (one pass, nothing scanned) the method and target are bounded by `buffer.count` and the
    /// version is the next eight bytes, which the caller checks are followed by CR LF.
    private func parseRequestLine(
        _ buffer: UnsafeRawBufferPointer, start: Int, end lineEnd: Int?
    ) -> Result<RequestLine, HTTP1ParseError> {
        let space = UInt8(ascii: " ")
        let end = lineEnd ?? buffer.count
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
        let versionEnd = lineEnd ?? index + 8
        guard versionEnd <= buffer.count else { return .failure(.invalidVersion) }
        switch Self.parseVersion(buffer, index, versionEnd) {
        case .success(let version):
            return .success(
                RequestLine(
                    methodEnd: methodEnd, target: targetStart..<targetEnd, version: version, versionEnd: versionEnd))
        case .failure(let error):
            return .failure(error)
        }
    }

    /// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` filling exactly `buffer[start..<end]` (RFC 9112 §2.3).
    @inline(__always)
    static func parseVersion(
        _ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int
    ) -> Result<HTTP1Version, HTTP1ParseError> {
        // The two versions every peer sends, as one 8-byte compare; anything else takes the byte rules below.
        if end - start == 8, let base = buffer.baseAddress {
            switch UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self)) {
            case Self.http11Word: return .success(.http11)
            case Self.http10Word: return .success(.http10)
            default: break
            }
        }
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

    /// `HTTP/1.1` and `HTTP/1.0` as little-endian 8-byte words (first byte lowest).
    static let http11Word: UInt64 = 0x312E_312F_5054_5448
    static let http10Word: UInt64 = 0x302E_312F_5054_5448
}
