import Testing

@testable import PEPProxy

@Suite struct ResponseHeadParserTests {
    /// Parses `text` (LF written for CRLF) as a response in every slicing and returns the agreed head.
    static func accept(
        _ text: String, method: String = "GET", sourceLocation: SourceLocation = #_sourceLocation
    ) -> ResponseHead? {
        let result = agreedResult(
            parseResponseEverySlicing(text.bytes(), requestMethod: method), sourceLocation: sourceLocation)
        guard case .complete(let head, _) = result else {
            Issue.record("expected a complete head, got \(result)", sourceLocation: sourceLocation)
            return nil
        }
        return head
    }

    /// One framing case: response text, request method, expected framing and keep-alive.
    struct FramingCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let text: String
        let method: String
        let framing: ResponseBodyFraming
        let keepAlive: Bool
    }

    static let framingCases: [FramingCase] = [
        .init(
            testDescription: "Content-Length", text: "HTTP/1.1 200 OK\nContent-Length: 12\n\n", method: "GET",
            framing: .contentLength(12), keepAlive: true),
        .init(
            testDescription: "HEAD has no body", text: "HTTP/1.1 200 OK\nContent-Length: 12\n\n", method: "HEAD",
            framing: .none, keepAlive: true),
        .init(
            testDescription: "204 has no body", text: "HTTP/1.1 204 No Content\n\n", method: "DELETE",
            framing: .none, keepAlive: true),
        .init(
            testDescription: "304 has no body", text: "HTTP/1.1 304 Not Modified\nContent-Length: 5\n\n",
            method: "GET", framing: .none, keepAlive: true),
        .init(
            testDescription: "100 Continue", text: "HTTP/1.1 100 Continue\n\n", method: "PUT", framing: .none,
            keepAlive: true),
        .init(
            testDescription: "chunked", text: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n", method: "GET",
            framing: .chunked, keepAlive: true),
        .init(
            testDescription: "gzip, chunked is chunked",
            text: "HTTP/1.1 200 OK\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked\n\n", method: "GET",
            framing: .chunked, keepAlive: true),
        .init(
            testDescription: "final coding not chunked reads until close",
            text: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked, gzip\n\n", method: "GET", framing: .untilClose,
            keepAlive: false),
        .init(
            testDescription: "no length reads until close", text: "HTTP/1.1 200 OK\n\n", method: "GET",
            framing: .untilClose, keepAlive: false),
        .init(
            testDescription: "equal duplicate Content-Length collapses",
            text: "HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 3, 3\n\n", method: "GET",
            framing: .contentLength(3), keepAlive: true),
        .init(
            testDescription: "HTTP/1.0 without keep-alive",
            text: "HTTP/1.0 200 OK\nContent-Length: 0\n\n", method: "GET", framing: .contentLength(0),
            keepAlive: false),
        .init(
            testDescription: "HTTP/1.0 with keep-alive",
            text: "HTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 0\n\n", method: "GET",
            framing: .contentLength(0), keepAlive: true),
        .init(
            testDescription: "Connection: close",
            text: "HTTP/1.1 200 OK\nConnection: close\nContent-Length: 0\n\n", method: "GET",
            framing: .contentLength(0), keepAlive: false),
    ]

    /// Body framing follows RFC 9112 §6.3 given the request method, in every slicing.
    @Test(arguments: Self.framingCases)
    func framesBody(_ testCase: FramingCase) throws {
        let head = try #require(Self.accept(testCase.text, method: testCase.method))
        #expect(head.framing == testCase.framing)
        #expect(head.keepAlive == testCase.keepAlive)
    }

    static let rejected: [(LabeledHead, HTTP1ParseError)] = [
        (
            LabeledHead("differing Content-Length lines", "HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 4\n\n"),
            .conflictingContentLength
        ),
        (
            LabeledHead("differing Content-Length list", "HTTP/1.1 200 OK\nContent-Length: 3, 4\n\n"),
            .conflictingContentLength
        ),
        (LabeledHead("non-numeric Content-Length", "HTTP/1.1 200 OK\nContent-Length: abc\n\n"), .invalidContentLength),
        (
            LabeledHead("TE with CL", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 3\n\n"),
            .transferEncodingWithContentLength
        ),
        (LabeledHead("TE in HTTP/1.0", "HTTP/1.0 200 OK\nTransfer-Encoding: chunked\n\n"), .transferEncodingInHTTP10),
        (LabeledHead("malformed TE", "HTTP/1.1 200 OK\nTransfer-Encoding: ,\n\n"), .invalidTransferEncoding),
        (LabeledHead("status two digits", "HTTP/1.1 20 OK\n\n"), .invalidStatusLine),
        (LabeledHead("status below 100", "HTTP/1.1 099 Odd\n\n"), .invalidStatusLine),
        (LabeledHead("status letters", "HTTP/1.1 2x0 OK\n\n"), .invalidStatusLine),
        (LabeledHead("no space after version", "HTTP/1.1200 OK\n\n"), .invalidStatusLine),
        (LabeledHead("junk after status", "HTTP/1.1 200OK\n\n"), .invalidStatusLine),
        (LabeledHead("HTTP/2 status line", "HTTP/2.0 200 OK\n\n"), .unsupportedVersion),
        (LabeledHead("not HTTP", "ICY 200 OK\n\n"), .invalidStatusLine),
        (LabeledHead("NUL in reason", raw: Array("HTTP/1.1 200 O\0K\r\n\r\n".utf8)), .invalidStatusLine),
        (LabeledHead("obs-fold", "HTTP/1.1 200 OK\nX: a\n b\n\n"), .obsFold),
        (LabeledHead("bare LF", raw: Array("HTTP/1.1 200 OK\nX: a\r\n\r\n".utf8)), .bareLineFeed),
        (LabeledHead("NUL in header value", raw: Array("HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n".utf8)), .invalidHeaderValue),
        (
            LabeledHead("Connection: content-length", "HTTP/1.1 200 OK\nConnection: content-length\n\n"),
            .connectionNominatesContentLength
        ),
    ]

    /// Responses that could desynchronize the proxy are rejected (the client then gets 502), in every slicing.
    @Test(arguments: Self.rejected)
    func rejectsInvalidResponse(_ head: LabeledHead, _ error: HTTP1ParseError) {
        #expect(agreedResult(parseResponseEverySlicing(head.raw)) == .rejected(error))
    }

    /// Status, reason and headers are read; an empty or missing reason phrase is tolerated (RFC 9112 §4).
    @Test func readsStatusLine() throws {
        let head = try #require(Self.accept("HTTP/1.1 404 Not Found\nContent-Length: 0\n\n"))
        #expect(head.status == 404)
        #expect(head.reason == "Not Found")
        #expect(head.version == .http11)
        #expect(Self.accept("HTTP/1.1 200 \nContent-Length: 0\n\n")?.reason == "")
        #expect(Self.accept("HTTP/1.1 200\nContent-Length: 0\n\n")?.status == 200)
        #expect(Self.accept("HTTP/1.1 103 Early Hints\nLink: </s.css>\n\n")?.isInformational == true)
    }

    /// Whitespace before a colon is tolerated in responses and removed from the name (RFC 9112 §5.1).
    @Test func stripsWhitespaceBeforeColon() throws {
        let head = try #require(Self.accept("HTTP/1.1 200 OK\nContent-Length : 2\nX-A\t: b\n\n"))
        #expect(head.framing == .contentLength(2))
        #expect(head.headers.name(at: 1) == "X-A")
        #expect(head.headers.value(at: 1) == "b")
    }

    /// The status line is bounded by `maxRequestLineBytes` and the head by `maxHeadBytes`.
    @Test func enforcesLimits() {
        let long = "HTTP/1.1 200 " + String(repeating: "x", count: 100) + "\n\n"
        var parser = ResponseHeadParser()
        let result = long.bytes().withUnsafeBytes {
            parser.parse($0, requestMethod: "GET", limits: HTTP1Limits(maxRequestLineBytes: 50))
        }
        #expect(result == .rejected(.invalidStatusLine))
        let big = "HTTP/1.1 200 OK\nX: " + String(repeating: "x", count: 100) + "\n\n"
        parser.reset()
        let tooBig = big.bytes().withUnsafeBytes {
            parser.parse($0, requestMethod: "GET", limits: HTTP1Limits(maxHeadBytes: 64))
        }
        #expect(tooBig == .rejected(.headersTooLarge))
    }
}
