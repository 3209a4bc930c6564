import PEPCore
import Testing

@testable import PEPProxy

extension RequestHeadParserTests {
    /// Parses `text` (LF written for CRLF) in every slicing and returns the agreed head and consumed count.
    static func accept(
        _ text: String, limits: HTTP1Limits = .default,
        options: RequestHeadParser.Options = RequestHeadParser.Options(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (head: RequestHead, consumed: Int)? {
        let result = agreedResult(
            parseRequestEverySlicing(text.bytes(), limits: limits, options: options), sourceLocation: sourceLocation)
        guard case .complete(let head, let consumed) = result else {
            Issue.record("expected a complete head, got \(result)", sourceLocation: sourceLocation)
            return nil
        }
        return (head, consumed)
    }

    /// A plain GET parses into method, target, version, Host and keep-alive, consuming exactly the head.
    @Test func parsesSimpleGet() throws {
        let parsed = try #require(Self.accept("GET /photos/1?x=1 HTTP/1.1\nHost: api.test\nAccept: */*\n\n"))
        #expect(parsed.consumed == 28 + 16 + 13 + 2)
        #expect(parsed.head.method == "GET")
        #expect(parsed.head.target == "/photos/1?x=1")
        #expect(parsed.head.version == .http11)
        #expect(parsed.head.keepAlive)
        #expect(parsed.head.framing == .none)
        #expect(parsed.head.host == "api.test")
        #expect(parsed.head.headers.count == 2)
        #expect(parsed.head.headers[1] == HTTP1HeaderField(name: "Accept", value: "*/*"))
        #expect(parsed.head.authorization == nil)
    }

    /// `Transfer-Encoding: chunked` followed by a TAB is chunked: trailing OWS is not part of the value (13f).
    @Test func acceptsChunkedWithTrailingTab() throws {
        let parsed = try #require(
            Self.accept("POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding: chunked\t\n\n"))
        #expect(parsed.head.framing == .chunked)
        #expect(parsed.head.known.transferEncoding == 1)
    }

    /// The `chunked` coding name is case-insensitive (RFC 9112 §7).
    @Test func acceptsUpperCaseChunked() throws {
        let parsed = try #require(Self.accept("POST / HTTP/1.1\nHost: a\ntransfer-encoding:  CHUNKED \n\n"))
        #expect(parsed.head.framing == .chunked)
    }

    /// Content-Length gives a length (0 included), up to 2^63 − 1.
    @Test(arguments: [("0", UInt64(0)), ("44", 44), ("007", 7), ("9223372036854775807", UInt64(Int64.max))])
    func acceptsContentLength(text: String, length: UInt64) throws {
        let parsed = try #require(Self.accept("POST / HTTP/1.1\nHost: a\nContent-Length: \(text)\n\n"))
        #expect(parsed.head.framing == .contentLength(length))
    }

    /// Body bytes after the head are not consumed: the caller reads them by the framing.
    @Test func stopsAtEndOfHead() throws {
        let parsed = try #require(Self.accept("POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nhelloGET / HTTP/1.1\n"))
        #expect(parsed.consumed == "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n".utf8.count)
    }

    /// Empty lines before the request line are skipped and counted as consumed (RFC 9112 §2.2).
    @Test func skipsLeadingEmptyLines() throws {
        let parsed = try #require(Self.accept("\n\nGET / HTTP/1.1\nHost: a\n\n"))
        #expect(parsed.consumed == 4 + 27)
        #expect(parsed.head.method == "GET")
    }

    /// obs-text (0x80–0xFF) is allowed in values (RFC 9110 §5.5; SECURITY 20 sends `0xFF 0xFE`).
    @Test func acceptsObsTextInValues() throws {
        var raw = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Junk: ".utf8)
        raw += [0xFF, 0xFE]
        raw += Array("\r\n\r\n".utf8)
        let result = agreedResult(parseRequestEverySlicing(raw))
        guard case .complete(let head, _) = result else {
            Issue.record("expected complete, got \(result)")
            return
        }
        #expect(head.headers.withUnsafeBytes { Array($0[head.headers.valueRange(at: 1)]) } == [0xFF, 0xFE])
    }

    /// Keep-alive follows the version and Connection (RFC 9112 §9.3), over every Connection line.
    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: a\n\n", true),
        ("GET / HTTP/1.1\nHost: a\nConnection: close\n\n", false),
        ("GET / HTTP/1.1\nHost: a\nConnection: foo\nConnection: Close\n\n", false),
        ("GET / HTTP/1.0\n\n", false),
        ("GET / HTTP/1.0\nConnection: keep-alive\n\n", true),
        ("GET / HTTP/1.0\nConnection: Keep-Alive, close\n\n", false),
    ])
    func decidesKeepAlive(text: String, keepAlive: Bool) throws {
        let parsed = try #require(Self.accept(text))
        #expect(parsed.head.keepAlive == keepAlive)
    }

    /// Connection tokens are listed in order and nominate hop-by-hop fields case-insensitively (SECURITY 11).
    @Test func listsConnectionTokens() throws {
        let parsed = try #require(
            Self.accept(
                "GET / HTTP/1.1\nHost: a\nConnection: keep-alive, X-Consumer-ID,, Authorization\nConnection: Upgrade\n"
                    + "Upgrade: websocket\n\n"))
        #expect(parsed.head.connectionTokens == ["keep-alive", "X-Consumer-ID", "Authorization", "Upgrade"])
        #expect(parsed.head.connectionNominates("x-consumer-id"))
        #expect(parsed.head.connectionNominates("AUTHORIZATION"))
        #expect(!parsed.head.connectionNominates("X-Forwarded-For"))
        #expect(parsed.head.known.connectionUpgrade)
        #expect(parsed.head.upgrade == "websocket")
    }

    /// Expect: 100-continue is honoured on HTTP/1.1 and ignored on HTTP/1.0 (RFC 9110 §10.1.1).
    @Test func readsExpectContinue() throws {
        let http11 = try #require(Self.accept("PUT / HTTP/1.1\nHost: a\nExpect: 100-Continue\nContent-Length: 1\n\n"))
        #expect(http11.head.expectsContinue)
        let http10 = try #require(Self.accept("PUT / HTTP/1.0\nExpect: 100-continue\nContent-Length: 1\n\n"))
        #expect(!http10.head.expectsContinue)
    }

    /// Methods are case-sensitive tokens: extension methods pass, lower case only when allowed (SECURITY 35).
    @Test func acceptsExtensionMethodsAndOptInLowercase() throws {
        #expect(Self.accept("PROPFIND /admin/users HTTP/1.1\nHost: a\n\n")?.head.method == "PROPFIND")
        #expect(Self.accept("HEAD /admin/users HTTP/1.1\nHost: a\n\n")?.head.method == "HEAD")
        let lenient = RequestHeadParser.Options(allowLowercaseMethods: true)
        #expect(Self.accept("gET / HTTP/1.1\nHost: a\n\n", options: lenient)?.head.method == "gET")
    }

    /// Host may carry a port, an IP literal, or be empty (RFC 9110 §7.2).
    @Test(arguments: ["api.test:8080", "[::1]:8080", "127.0.0.1", "", "xn--bcher-kva.example", "a%41b"])
    func acceptsHostForms(host: String) throws {
        let parsed = try #require(Self.accept("GET / HTTP/1.1\nHost: \(host)\n\n"))
        #expect(parsed.head.host == host)
    }

    /// Values lose leading and trailing OWS; inner whitespace and empty values stay.
    @Test func trimsOptionalWhitespace() throws {
        let parsed = try #require(Self.accept("GET / HTTP/1.1\nHost: a\nX-A: \t b  c \t\nX-Empty:\n\n"))
        #expect(parsed.head.headers.value(at: 1) == "b  c")
        #expect(parsed.head.headers.value(at: 2) == "")
        #expect(parsed.head.headers.first(named: "x-a") == "b  c")
        #expect(parsed.head.headers.values(named: "X-EMPTY") == [""])
        #expect(
            parsed.head.headers.withUnsafeBytes { Array($0[parsed.head.headers.lineRange(at: 2)]) }
                == Array("X-Empty:\r\n".utf8))
    }

    /// Absolute-form targets reach the head unchanged; `CanonicalTarget` decides about them.
    @Test func keepsRawTarget() throws {
        let parsed = try #require(Self.accept("GET http://api.test/a/../b?q HTTP/1.1\nHost: api.test\n\n"))
        #expect(parsed.head.target == "http://api.test/a/../b?q")
        #expect(try parsed.head.canonicalTarget().path == "/b")
    }

    /// The limits are inclusive: a head of exactly `maxHeadBytes` and `maxHeadersCount` fields parses.
    @Test func limitsAreInclusive() throws {
        let text = "GET / HTTP/1.1\nHost: abcdefghij\n\n"
        let limits = HTTP1Limits(maxHeadBytes: 36, maxRequestLineBytes: 14, maxHeadersCount: 1)
        #expect(Self.accept(text, limits: limits)?.consumed == 36)
    }

    /// A parser is reusable: after a complete head it parses the next one from a fresh buffer.
    @Test func parsesPipelinedRequestsInTurn() throws {
        var parser = RequestHeadParser()
        let raw = "GET /1 HTTP/1.1\nHost: a\n\nGET /2 HTTP/1.1\nHost: a\n\n".bytes()
        var offset = 0
        var targets: [String] = []
        while offset < raw.count {
            let result = raw.withUnsafeBytes {
                parser.parse(UnsafeRawBufferPointer(rebasing: $0[offset...]), limits: .default)
            }
            guard case .complete(let head, let consumed) = result else {
                Issue.record("expected complete, got \(result)")
                return
            }
            targets.append(head.target)
            offset += consumed
        }
        #expect(targets == ["/1", "/2"])
    }

    /// Nothing is decided before the blank line: a partial head is incomplete in every slicing.
    @Test func partialHeadIsIncomplete() {
        #expect(agreedResult(parseRequestEverySlicing("GET / HTTP/1.1\nHost: a\n".bytes())) == .incomplete)
        let lastByteMissing = "GET / HTTP/1.1\r\nHost: a\r\n\r".bytes(crlf: false)
        #expect(agreedResult(parseRequestEverySlicing(lastByteMissing)) == .incomplete)
    }

    /// One Authorization line with a comma list is not the codec's to refuse: it reaches the enforcer verbatim,
    /// which rejects the token syntax (SECURITY 17 expects 401 there, not 400).
    @Test func passesCommaAuthorizationVerbatim() throws {
        let parsed = try #require(
            Self.accept(
                "DELETE /admin/users/7 HTTP/1.1\nHost: api.test\nAuthorization: Bearer RPT_ADMIN, Bearer RPT_VIEW\n\n"))
        #expect(parsed.head.authorization == "Bearer RPT_ADMIN, Bearer RPT_VIEW")
        #expect(parsed.head.known.authorization == 1)
    }

    /// An absolute-form target naming another host parses, and `canonicalTarget` refuses it (SPEC A5).
    @Test func leavesForeignAbsoluteFormToCanonicalTarget() throws {
        let parsed = try #require(Self.accept("GET http://admin.internal/x HTTP/1.1\nHost: api.test\n\n"))
        #expect(throws: CanonicalTargetError.authorityMismatch) { try parsed.head.canonicalTarget() }
    }
}

extension RequestHeadParserTests {
    /// The RFC 9110 methods come back as literals, any other token as decoded: both read back as the bytes sent.
    @Test(arguments: [
        "GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT", "GEX", "PUTS", "POSTS",
        "PROPFIND", "M", "DELETES", "OPTIONZ", "CONNECTX", "MKCOL",
    ])
    func methodsReadBackAsSent(method: String) throws {
        #expect(Array(method.utf8).withUnsafeBytes { RequestHeadParser.method($0) } == method)
        let parsed = try #require(Self.accept("\(method) /x HTTP/1.1\nHost: api.test\n\n"))
        #expect(parsed.head.method == method)
    }
}
