import Testing

@testable import PEPProxy

/// The head parsers take a head that arrived whole in one pass and scan first only when that pass cannot settle
/// it. Fed whole, a head goes through the one pass; fed byte by byte, through the scanner (the first call sees one
/// byte, which the one pass leaves to the scanner). Both must give the same result for every case, and the
/// result must be the expected one, especially where the one pass reads eight bytes at a time.
@Suite struct OnePassParseTests {
    /// The request result whole (one pass) after checking that byte by byte (scanner) agrees.
    static func request(
        _ raw: [UInt8], limits: HTTP1Limits = .default, sourceLocation: SourceLocation = #_sourceLocation
    ) -> HTTP1ParseResult<RequestHead> {
        let results = parseRequestEverySlicing(raw, limits: limits)
        return agreedResult(results, sourceLocation: sourceLocation)
    }

    /// The response result whole after checking that every slicing agrees.
    static func response(
        _ raw: [UInt8], limits: HTTP1Limits = .default, sourceLocation: SourceLocation = #_sourceLocation
    ) -> HTTP1ParseResult<ResponseHead> {
        agreedResult(parseResponseEverySlicing(raw, limits: limits), sourceLocation: sourceLocation)
    }

    /// A value of `length` bytes of `a` with `byte` at `position`.
    static func value(_ length: Int, _ byte: UInt8, at position: Int) -> [UInt8] {
        var value = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        value[position] = byte
        return value
    }

    /// What one byte inside a value does to the head.
    enum ByteVerdict { case content, invalidValue, bareLineFeed }

    static func verdict(_ byte: UInt8) -> ByteVerdict {
        if byte == 0x0A { return .bareLineFeed }
        return HTTP1Grammar.isFieldValueChar(byte) ? .content : .invalidValue
    }

    /// Bytes with a rule of their own inside a field value, plus samples of plain content.
    static let probes: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x41, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]

    @Test func everyProbeByteAtEveryPositionOfAWordInARequestValue() {
        // Values of 8 and 16 bytes start at offsets whose alignment differs, so each position of a loaded word
        // is hit, and the byte also sits in the last, partial word of a value of 13.
        for length in [8, 13, 16] {
            for position in 0..<length {
                for probe in Self.probes {
                    let raw =
                        Array("GET / HTTP/1.1\r\nHost: a\r\nX-Probe: ".utf8) + Self.value(length, probe, at: position)
                        + Array("\r\nAccept: */*\r\n\r\n".utf8)
                    let label = "byte \(probe) at \(position) of \(length)"
                    let result = Self.request(raw)
                    switch Self.verdict(probe) {
                    case .content:
                        guard case .complete(let head, let consumed) = result else {
                            Issue.record("\(label): \(result)")
                            continue
                        }
                        #expect(consumed == raw.count, "\(label)")
                        let index = head.headers.firstIndex(named: "x-probe")
                        let bytes = index.map { i in
                            head.headers.withUnsafeBytes { Array($0[head.headers.valueRange(at: i)]) }
                        }
                        // OWS is trimmed from both ends of a value; a probe there that is SP or HTAB goes with it.
                        var expected = Self.value(length, probe, at: position)
                        while let last = expected.last, last == 0x20 || last == 0x09 { expected.removeLast() }
                        while let first = expected.first, first == 0x20 || first == 0x09 { expected.removeFirst() }
                        #expect(bytes == expected, "\(label)")
                    case .invalidValue:
                        #expect(result == .rejected(.invalidHeaderValue), "\(label)")
                    case .bareLineFeed:
                        #expect(result == .rejected(.bareLineFeed), "\(label)")
                    }
                }
            }
        }
    }

    @Test func everyProbeByteAtEveryPositionOfAWordInAResponseValueAndReason() {
        for position in 0..<9 {
            for probe in Self.probes {
                let label = "byte \(probe) at \(position)"
                let field =
                    Array("HTTP/1.1 200 OK\r\nX-Probe: ".utf8) + Self.value(9, probe, at: position)
                    + Array("\r\nContent-Length: 0\r\n\r\n".utf8)
                let reason =
                    Array("HTTP/1.1 200 ".utf8) + Self.value(9, probe, at: position)
                    + Array("\r\nContent-Length: 0\r\n\r\n".utf8)
                switch Self.verdict(probe) {
                case .content:
                    #expect(Self.response(field).isComplete, "\(label) in a value")
                    #expect(Self.response(reason).isComplete, "\(label) in the reason")
                case .invalidValue:
                    #expect(Self.response(field) == .rejected(.invalidHeaderValue), "\(label) in a value")
                    #expect(Self.response(reason) == .rejected(.invalidStatusLine), "\(label) in the reason")
                case .bareLineFeed:
                    #expect(Self.response(field) == .rejected(.bareLineFeed), "\(label) in a value")
                    #expect(Self.response(reason) == .rejected(.bareLineFeed), "\(label) in the reason")
                }
            }
        }
    }

    /// Checks that `result` is the complete head of `length` bytes whose `X-V` is `value`.
    static func expectHead<Head>(
        _ result: HTTP1ParseResult<Head>, length: Int, value: String, _ label: String,
        xv: (Head) -> String?, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard case .complete(let head, let consumed) = result else {
            Issue.record("\(label): \(result)", sourceLocation: sourceLocation)
            return
        }
        #expect(consumed == length, "\(label)", sourceLocation: sourceLocation)
        #expect(xv(head) == value, "\(label)", sourceLocation: sourceLocation)
    }

    @Test func headsOfEveryLengthModuloEightWithAndWithoutBytesAfterThem() {
        for length in 0..<18 {
            let value = String(repeating: "v", count: length)
            let request = Array("GET / HTTP/1.1\r\nHost: h\r\nX-V: \(value)\r\n\r\n".utf8)
            let response = Array("HTTP/1.1 200 OK\r\nX-V: \(value)\r\nContent-Length: 0\r\n\r\n".utf8)
            for tail in ["", "G", "GET / HTTP/1.1\r\n", "\0\u{7F}\r\n\n"] {
                let label = "value length \(length) with \(tail.utf8.count) more bytes"
                Self.expectHead(
                    Self.request(request + Array(tail.utf8)), length: request.count, value: value, "request of \(label)"
                ) { $0.headers.first(named: "x-v") }
                Self.expectHead(
                    Self.response(response + Array(tail.utf8)), length: response.count, value: value,
                    "response of \(label)"
                ) { $0.headers.first(named: "x-v") }
            }
            // Cut anywhere before its end, the head is incomplete (the one pass runs out and leaves it to the scan).
            for cut in 0..<request.count {
                var parser = RequestHeadParser()
                let result = request[0..<cut].withUnsafeBytes { parser.parse($0, limits: .default) }
                #expect(result == .incomplete, "request cut at \(cut)")
            }
            for cut in 0..<response.count {
                var parser = ResponseHeadParser()
                let result = response[0..<cut].withUnsafeBytes {
                    parser.parse($0, requestMethod: "GET", limits: .default)
                }
                #expect(result == .incomplete, "response cut at \(cut)")
            }
        }
    }

    /// Line-level cases the one pass must leave to the scanner, which decides them.
    static let lineCases: [(String, [UInt8], HTTP1ParseResult<RequestHead>?)] = [
        ("obs-fold", Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n".utf8), .rejected(.obsFold)),
        ("HTAB fold", Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\t2\r\n\r\n".utf8), .rejected(.obsFold)),
        ("bare LF ends a field", Array("GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n".utf8), .rejected(.bareLineFeed)),
        ("bare LF ends the head", Array("GET / HTTP/1.1\r\nHost: h\r\n\n".utf8), .rejected(.bareLineFeed)),
        ("bare LF ends the request line", Array("GET / HTTP/1.1\nHost: h\r\n\r\n".utf8), .rejected(.bareLineFeed)),
        (
            "bare CR in the blank line", Array("GET / HTTP/1.1\r\nHost: h\r\n\rX\r\n\r\n".utf8),
            .rejected(.invalidHeaderName)
        ),
        (
            "NUL in a value", Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n".utf8),
            .rejected(.invalidHeaderValue)
        ),
        (
            "DEL in a value", Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7F}b\r\n\r\n".utf8),
            .rejected(.invalidHeaderValue)
        ),
        // A bad value before a bare LF: the scanner's bare LF comes first, whichever path runs.
        (
            "NUL then bare LF", Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: \0\r\nX-B: 1\n\r\n".utf8),
            .rejected(.bareLineFeed)
        ),
        ("leading empty line", Array("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), nil),
        ("version then junk", Array("GET / HTTP/1.1 \r\nHost: h\r\n\r\n".utf8), .rejected(.invalidRequestLine)),
        ("short version", Array("GET / HTTP/1\r\nHost: h\r\n\r\n".utf8), .rejected(.invalidVersion)),
        ("HTTP/2.0", Array("GET / HTTP/2.0\r\nHost: h\r\n\r\n".utf8), .rejected(.unsupportedVersion)),
        ("lower-case version", Array("GET / http/1.1\r\nHost: h\r\n\r\n".utf8), .rejected(.invalidVersion)),
        ("HTTP/1.0 without Host", Array("GET / HTTP/1.0\r\n\r\n".utf8), nil),
        ("CR inside the target", Array("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n".utf8), .rejected(.invalidTarget)),
        ("no headers on 1.1", Array("GET / HTTP/1.1\r\n\r\n".utf8), .rejected(.missingHost)),
    ]

    @Test func lineCasesAgreeOnBothPaths() {
        for (label, raw, expected) in Self.lineCases {
            let result = Self.request(raw)
            if let expected {
                #expect(result == expected, "\(label)")
            } else {
                #expect(result.isComplete, "\(label): \(result)")
            }
        }
    }

    @Test func limitsAtTheirBoundaryAgreeOnBothPaths() {
        let raw = Array("GET /abc HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n".utf8)
        // The request line is 17 bytes, the head 38, with 2 field lines.
        #expect(Self.request(raw, limits: HTTP1Limits(maxRequestLineBytes: 17)).isComplete)
        #expect(Self.request(raw, limits: HTTP1Limits(maxRequestLineBytes: 16)) == .rejected(.requestLineTooLong))
        #expect(Self.request(raw, limits: HTTP1Limits(maxHeadersCount: 2)).isComplete)
        #expect(Self.request(raw, limits: HTTP1Limits(maxHeadersCount: 1)) == .rejected(.tooManyHeaders))
        #expect(Self.request(raw, limits: HTTP1Limits(maxHeadBytes: 38)).isComplete)
        #expect(Self.request(raw, limits: HTTP1Limits(maxHeadBytes: 37)) == .rejected(.headersTooLarge))
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        // The status line is 15 bytes, the head 38, with 1 field line.
        #expect(Self.response(response, limits: HTTP1Limits(maxRequestLineBytes: 15)).isComplete)
        #expect(Self.response(response, limits: HTTP1Limits(maxRequestLineBytes: 14)) == .rejected(.invalidStatusLine))
        #expect(Self.response(response, limits: HTTP1Limits(maxHeadersCount: 0)) == .rejected(.tooManyHeaders))
        #expect(Self.response(response, limits: HTTP1Limits(maxHeadBytes: 38)).isComplete)
        #expect(Self.response(response, limits: HTTP1Limits(maxHeadBytes: 37)) == .rejected(.headersTooLarge))
    }

    @Test func versionWordsMatchTheByteRules() {
        let cases: [(String, Result<HTTP1Version, HTTP1ParseError>)] = [
            ("HTTP/1.1", .success(.http11)), ("HTTP/1.0", .success(.http10)),
            ("HTTP/1.2", .failure(.unsupportedVersion)),
            ("HTTP/0.9", .failure(.unsupportedVersion)), ("HTTP/2.0", .failure(.unsupportedVersion)),
            ("HTTP/1.", .failure(.invalidVersion)), ("HTTP/1.1 ", .failure(.invalidRequestLine)),
            ("http/1.1", .failure(.invalidVersion)), ("HTTP/1,1", .failure(.invalidVersion)),
            ("HTTP 1.1", .failure(.invalidRequestLine)), ("XTTP/1.1", .failure(.invalidVersion)),
        ]
        for (text, expected) in cases {
            let bytes = Array(text.utf8)
            let result = bytes.withUnsafeBytes { RequestHeadParser.parseVersion($0, 0, $0.count) }
            #expect(result == expected, "\(text)")
        }
        #expect(
            RequestHeadParser.http11Word == Array("HTTP/1.1".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        )
        #expect(
            RequestHeadParser.http10Word == Array("HTTP/1.0".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        )
    }

    @Test func valueScanStopsAtTheEndOfBytesWithoutALineEnd() {
        for length in 0..<20 {
            for start in 0...length {
                let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                let stop = bytes.withUnsafeBytes { HTTP1Grammar.skipFieldValueChars($0, from: start) }
                #expect(stop == length, "length \(length) from \(start)")
            }
        }
    }
}

extension HTTP1ParseResult {
    var isComplete: Bool {
        if case .complete = self { return true }
        return false
    }
}
