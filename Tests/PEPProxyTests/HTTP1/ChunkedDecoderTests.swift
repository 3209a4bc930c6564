import Testing

@testable import PEPProxy

@Suite struct ChunkedDecoderTests {
    /// The outcome of decoding a whole body: payload, bytes consumed, or the error.
    enum Outcome: Equatable, CustomStringConvertible {
        case complete(payload: [UInt8], consumed: Int)
        case needMore(payload: [UInt8])
        case rejected(HTTP1ParseError)

        var description: String {
            switch self {
            case .complete(let payload, let consumed):
                "complete(\(String(decoding: payload, as: UTF8.self)), consumed: \(consumed))"
            case .needMore(let payload): "needMore(\(String(decoding: payload, as: UTF8.self)))"
            case .rejected(let error): "rejected(\(error))"
            }
        }
    }

    /// Decodes `raw` in slices of `step` bytes (whole when nil) and collects the payload ranges it reports.
    static func decode(_ raw: [UInt8], step: Int?, limits: HTTP1Limits = .default) -> Outcome {
        var decoder = ChunkedDecoder(limits: limits)
        var payload: [UInt8] = []
        var offset = 0
        let guarded = GuardedBuffer(capacity: max(raw.count, 1))
        while offset < raw.count {
            let end = min(raw.count, offset + (step ?? raw.count))
            let slice = raw[offset..<end]
            let progress: ChunkedDecoder.Progress
            if let guarded {
                progress = guarded.withBytes(slice) { bytes in
                    decoder.decode(bytes) { payload += bytes[$0] }
                }
            } else {
                progress = slice.withUnsafeBytes { bytes in decoder.decode(bytes) { payload += bytes[$0] } }
            }
            switch progress {
            case .needMore: offset = end
            case .complete(let consumed): return .complete(payload: payload, consumed: offset + consumed)
            case .rejected(let error): return .rejected(error)
            }
        }
        return .needMore(payload: payload)
    }

    /// Decodes in every slicing, checks they agree, returns the agreed outcome.
    static func decodeEverySlicing(
        _ raw: [UInt8], limits: HTTP1Limits = .default, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Outcome {
        let whole = Self.decode(raw, step: nil, limits: limits)
        for step in [1, 3, 7] {
            #expect(
                Self.decode(raw, step: step, limits: limits) == whole, "\(step)-byte slices",
                sourceLocation: sourceLocation)
        }
        return whole
    }

    static let valid: [(LabeledHead, String)] = [
        (LabeledHead("one chunk", raw: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), "hello"),
        (
            LabeledHead(
                "two chunks, hex upper and lower",
                raw: Array("A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n".utf8)),
            "0123456789abcdefghijk"
        ),
        (LabeledHead("leading zeros", raw: Array("0005\r\nhello\r\n000\r\n\r\n".utf8)), "hello"),
        (LabeledHead("extensions", raw: Array("5;a=b;c=\"d e\"\r\nhello\r\n0 ; last\r\n\r\n".utf8)), "hello"),
        (LabeledHead("trailers", raw: Array("5\r\nhello\r\n0\r\nX-Sum: 1\r\nY:\r\n\r\n".utf8)), "hello"),
        (LabeledHead("empty body", raw: Array("0\r\n\r\n".utf8)), ""),
        (LabeledHead("payload with CRLF inside", raw: Array("4\r\n\r\n\r\n\r\n0\r\n\r\n".utf8)), "\r\n\r\n"),
    ]

    /// Valid bodies decode to the same payload and end at the same byte in every slicing.
    @Test(arguments: Self.valid)
    func decodesValidBody(_ body: LabeledHead, payload: String) {
        let next = Array("GET / HTTP/1.1\r\n".utf8)
        let expected = Outcome.complete(payload: Array(payload.utf8), consumed: body.raw.count)
        #expect(Self.decodeEverySlicing(body.raw + next) == expected)
    }

    static let invalid: [(LabeledHead, HTTP1ParseError)] = [
        (LabeledHead("no size", raw: Array("\r\nhello\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("non-hex size", raw: Array("g\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("negative size", raw: Array("-5\r\nhello\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("0x prefix", raw: Array("0x5\r\nhello\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("bare LF after size", raw: Array("5\nhello\r\n0\r\n\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("bare CR after size", raw: Array("5\rhello\r\n".utf8)), .invalidChunkSize),
        (LabeledHead("space after size without extension", raw: Array("5 \r\nhello\r\n".utf8)), .invalidChunkExtension),
        (LabeledHead("17 hex digits", raw: Array("00000000000000005\r\n".utf8)), .chunkSizeTooLarge),
        (LabeledHead("size over 2^63-1", raw: Array("8000000000000000\r\n".utf8)), .chunkSizeTooLarge),
        (LabeledHead("data longer than size", raw: Array("3\r\nhello\r\n".utf8)), .invalidChunkTerminator),
        (LabeledHead("data without CRLF", raw: Array("5\r\nhello0\r\n\r\n".utf8)), .invalidChunkTerminator),
        (LabeledHead("data then bare LF", raw: Array("5\r\nhello\n0\r\n\r\n".utf8)), .invalidChunkTerminator),
        (LabeledHead("LF inside extension", raw: Array("5;a\nb\r\nhello\r\n".utf8)), .invalidChunkExtension),
        (LabeledHead("NUL in extension", raw: Array("5;a\0\r\nhello\r\n".utf8)), .invalidChunkExtension),
        (LabeledHead("obs-fold trailer", raw: Array("0\r\nX: a\r\n b\r\n\r\n".utf8)), .invalidTrailer),
        (LabeledHead("space before colon in trailer", raw: Array("0\r\nX : a\r\n\r\n".utf8)), .invalidTrailer),
        (LabeledHead("bare LF in trailer", raw: Array("0\r\nX: a\n\r\n".utf8)), .invalidTrailer),
        (LabeledHead("bare LF at end", raw: Array("0\r\n\n".utf8)), .invalidTrailer),
        (LabeledHead("CR then junk at end", raw: Array("0\r\n\rX".utf8)), .invalidTrailer),
    ]

    /// Malformed framing is rejected with the same error in every slicing (RFC 9112 §7.1, SPEC A6).
    @Test(arguments: Self.invalid)
    func rejectsMalformedBody(_ body: LabeledHead, error: HTTP1ParseError) {
        #expect(Self.decodeEverySlicing(body.raw) == .rejected(error))
    }

    /// The size line, including extensions, is bounded by `maxChunkExtensionBytes`.
    @Test func boundsChunkExtensions() {
        let limits = HTTP1Limits(maxChunkExtensionBytes: 16)
        let fits = Array("5;abcdefghijklmn\r\nhello\r\n0\r\n\r\n".utf8)
        let expected = Outcome.complete(payload: Array("hello".utf8), consumed: fits.count)
        #expect(Self.decodeEverySlicing(fits, limits: limits) == expected)
        let over = Array("5;abcdefghijklmno\r\nhello\r\n0\r\n\r\n".utf8)
        #expect(Self.decodeEverySlicing(over, limits: limits) == .rejected(.chunkExtensionTooLong))
    }

    /// The trailer section is bounded by `maxTrailerBytes` (431).
    @Test func boundsTrailers() {
        let limits = HTTP1Limits(maxTrailerBytes: 12)
        let fits = Array("0\r\nX: 1234\r\n\r\n".utf8)  // trailer section 11 bytes
        #expect(Self.decodeEverySlicing(fits, limits: limits) == .complete(payload: [], consumed: fits.count))
        let over = Array("0\r\nX: 123456\r\n\r\n".utf8)
        #expect(Self.decodeEverySlicing(over, limits: limits) == .rejected(.trailersTooLarge))
    }

    /// One-byte chunks stop being accepted once framing overhead passes the threshold and dominates (picohttpparser
    /// `test_chunked_overhead`).
    @Test func rejectsOverheadDominatedBodies() {
        let tiny = Array(String(repeating: "1;xxxxxxxxxx\r\na\r\n", count: 200).utf8)
        let limits = HTTP1Limits(maxChunkedOverheadBytes: 1024)
        #expect(Self.decodeEverySlicing(tiny, limits: limits) == .rejected(.chunkedOverhead))
        let disabled = HTTP1Limits(maxChunkedOverheadBytes: 0)
        let allPayload = Outcome.needMore(payload: Array(repeating: 0x61, count: 200))
        #expect(Self.decode(tiny, step: nil, limits: disabled) == allPayload)
        let large = Array(("400\r\n" + String(repeating: "b", count: 1024) + "\r\n").utf8)
        let bigChunks = Array((0..<4).map { _ in large }.joined())
        if case .rejected = Self.decode(bigChunks, step: 1, limits: limits) {
            Issue.record("large chunks must not trip the overhead guard")
        }
    }

    /// After a rejection every later call reports it again, and payload counting stops.
    @Test func staysRejected() {
        var decoder = ChunkedDecoder()
        let bad = Array("zz".utf8)
        let first = bad.withUnsafeBytes { decoder.decode($0) { _ in } }
        let again = Array("5\r\nhello\r\n".utf8).withUnsafeBytes { decoder.decode($0) { _ in Issue.record("payload") } }
        #expect(first == .rejected(.invalidChunkSize))
        #expect(again == .rejected(.invalidChunkSize))
        #expect(decoder.payloadBytes == 0)
    }

    /// A Content-Length body takes exactly its bytes; the rest is the next message (SECURITY 33 d).
    @Test func countsContentLengthBody() {
        var body = ContentLengthBody(length: 12)
        #expect(body.consume(available: 10) == 10)
        #expect(!body.isComplete)
        #expect(body.consume(available: 30) == 2)
        #expect(body.isComplete)
        #expect(body.consume(available: 5) == 0)
    }
}
