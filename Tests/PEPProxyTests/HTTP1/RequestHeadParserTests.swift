import Testing

@testable import PEPProxy

/// A request head the parser must refuse, with the one error it must give.
struct RejectedRequest: Sendable, CustomTestStringConvertible {
    let head: LabeledHead
    let error: HTTP1ParseError
    var limits = HTTP1Limits.default
    var testDescription: String { self.head.label }

    init(_ label: String, _ text: String, _ error: HTTP1ParseError, limits: HTTP1Limits = .default) {
        self.head = LabeledHead(label, text)
        self.error = error
        self.limits = limits
    }

    init(_ label: String, raw: [UInt8], _ error: HTTP1ParseError, limits: HTTP1Limits = .default) {
        self.head = LabeledHead(label, raw: raw)
        self.error = error
        self.limits = limits
    }
}

@Suite struct RequestHeadParserTests {
    static let smuggling: [RejectedRequest] = [
        // SECURITY 13 (a–e): Transfer-Encoding variants.
        .init(
            "TE gzip, chunked with CL (13a)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding: gzip, chunked\nContent-Length: 4\n\n",
            .transferEncodingWithContentLength),
        .init(
            "TE gzip, chunked (13a without CL)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding: gzip, chunked\n\n", .invalidTransferEncoding),
        .init(
            "space before colon in TE (13b)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding : chunked\n\n", .whitespaceBeforeColon),
        .init(
            "obs-fold TE value (13c)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding:\n chunked\n\n", .obsFold),
        .init(
            "two TE lines (13d)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding: chunked\nTransfer-Encoding: identity\n\n",
            .duplicateTransferEncoding),
        .init(
            "TE xchunked (13e)",
            "POST /photos HTTP/1.1\nHost: api.test\nTransfer-Encoding: xchunked\n\n", .unsupportedTransferEncoding),
        .init(
            "TE chunked, chunked", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, chunked\n\n",
            .invalidTransferEncoding),
        .init("TE identity", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: identity\n\n", .invalidTransferEncoding),
        .init(
            "TE chunked then gzip", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip\n\n",
            .invalidTransferEncoding),
        .init(
            "TE chunked with parameter", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked;q=1\n\n",
            .invalidTransferEncoding),
        .init("TE empty", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding:\n\n", .invalidTransferEncoding),
        .init("TE quoted", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: \"chunked\"\n\n", .invalidTransferEncoding),
        .init("TE in HTTP/1.0", "POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n", .transferEncodingInHTTP10),
        .init("TE vertical tab", "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: \u{0B}chunked\n\n", .invalidHeaderValue),
        // SECURITY 14: Content-Length.
        .init(
            "CL 0 then CL 44 (14a)",
            "POST /photos HTTP/1.1\nHost: api.test\nContent-Length: 0\nContent-Length: 44\n\n",
            .duplicateContentLength),
        .init(
            "equal duplicate CL", "POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 5\n\n",
            .duplicateContentLength),
        .init("CL list (14b)", "POST / HTTP/1.1\nHost: a\nContent-Length: 44, 0\n\n", .invalidContentLength),
        .init("CL plus sign (14c)", "POST / HTTP/1.1\nHost: a\nContent-Length: +44\n\n", .invalidContentLength),
        .init(
            "CL with TE (14d)",
            "POST / HTTP/1.1\nHost: api.test\nContent-Length: 6\nTransfer-Encoding: chunked\n\n",
            .transferEncodingWithContentLength),
        .init("CL negative", "POST / HTTP/1.1\nHost: a\nContent-Length: -1\n\n", .invalidContentLength),
        .init("CL hex", "POST / HTTP/1.1\nHost: a\nContent-Length: 0x10\n\n", .invalidContentLength),
        .init("CL empty", "POST / HTTP/1.1\nHost: a\nContent-Length: \n\n", .invalidContentLength),
        .init("CL inner space", "POST / HTTP/1.1\nHost: a\nContent-Length: 1 2\n\n", .invalidContentLength),
        .init(
            "CL over 2^63-1", "POST / HTTP/1.1\nHost: a\nContent-Length: 9223372036854775808\n\n",
            .invalidContentLength),
        .init(
            "CL over 2^64", "POST / HTTP/1.1\nHost: a\nContent-Length: 99999999999999999999999\n\n",
            .invalidContentLength),
        .init(
            "Connection: Content-Length",
            "POST / HTTP/1.1\nHost: a\nContent-Length: 3\nConnection: content-length\n\n",
            .connectionNominatesContentLength),
    ]

    static let requestLine: [RejectedRequest] = [
        // SECURITY 6: whitespace and extra tokens in the request line.
        .init(
            "extra token before version (6)", "POST /admin/users bla HTTP/1.1\nHost: api.test\n\n",
            .invalidRequestLine),
        .init("TAB before version (6)", "GET /admin/users\tHTTP/1.1\nHost: api.test\n\n", .invalidTarget),
        .init("two spaces after method (6)", "GET  /admin/users HTTP/1.1\nHost: api.test\n\n", .invalidRequestLine),
        .init("space inside target (6)", "GET /adm in HTTP/1.1\nHost: api.test\n\n", .invalidRequestLine),
        .init("trailing space after version", "GET / HTTP/1.1 \nHost: a\n\n", .invalidRequestLine),
        .init("leading space", " GET / HTTP/1.1\nHost: a\n\n", .invalidRequestLine),
        .init("TAB after method", "GET\t/ HTTP/1.1\nHost: a\n\n", .invalidRequestLine),
        .init("HTTP/0.9 style", "GET /\n\n", .invalidRequestLine),
        // SECURITY 3: fragment.
        .init(
            "fragment in target (3)", "GET /files/secret.pdf#/preview HTTP/1.1\nHost: api.test\n\n",
            .fragmentInTarget),
        .init("DEL in target", "GET /a\u{7F} HTTP/1.1\nHost: a\n\n", .invalidTarget),
        .init("NUL in target", raw: Array("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n".utf8), .invalidTarget),
        .init("non-ASCII in target", raw: Array("GET /\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n".utf8), .invalidTarget),
        // SECURITY 35: method case.
        .init("lower-case method (35)", "gET /admin/users HTTP/1.1\nHost: api.test\n\n", .invalidMethod),
        .init("non-token in method", "GE(T / HTTP/1.1\nHost: a\n\n", .invalidMethod),
        // Versions.
        .init("HTTP/2.0", "GET / HTTP/2.0\nHost: a\n\n", .unsupportedVersion),
        .init("HTTP/1.2", "GET / HTTP/1.2\nHost: a\n\n", .unsupportedVersion),
        .init("HTTP/0.9 version", "GET / HTTP/0.9\nHost: a\n\n", .unsupportedVersion),
        .init("lower-case http", "GET / http/1.1\nHost: a\n\n", .invalidVersion),
        .init("two-digit minor", "GET / HTTP/1.10\nHost: a\n\n", .invalidVersion),
        .init("version letters", "GET / HTTP/x.y\nHost: a\n\n", .invalidVersion),
        // Limits.
        .init(
            "request line over limit", "GET /" + String(repeating: "a", count: 60) + " HTTP/1.1\nHost: a\n\n",
            .requestLineTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        .init(
            "request line without end over limit", "GET /" + String(repeating: "a", count: 60),
            .requestLineTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        // RFC 9112 §3: a method longer than any the server implements SHOULD get 501.
        .init(
            "method filling the request-line limit", String(repeating: "M", count: 60) + " / HTTP/1.1\nHost: a\n\n",
            .methodTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        .init(
            "method filling the limit, line without end", String(repeating: "M", count: 52),
            .methodTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        .init(
            "method filling the limit after empty lines", "\n\n" + String(repeating: "M", count: 60),
            .methodTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        .init(
            "method of 49 bytes, long target",
            String(repeating: "M", count: 49) + " /" + String(repeating: "a", count: 20),
            .requestLineTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
        .init(
            "over-long line of non-token bytes", String(repeating: "(", count: 60),
            .requestLineTooLong, limits: HTTP1Limits(maxRequestLineBytes: 50)),
    ]

    static let fields: [RejectedRequest] = [
        .init(
            "NUL in header value", raw: Array("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n".utf8),
            .invalidHeaderValue),
        .init("DEL in header value", "GET / HTTP/1.1\nHost: a\nX: a\u{7F}b\n\n", .invalidHeaderValue),
        .init(
            "bare CR in header value", raw: Array("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n".utf8),
            .invalidHeaderValue),
        .init("bare LF after request line", raw: Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8), .bareLineFeed),
        .init("bare LF after header", raw: Array("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n".utf8), .bareLineFeed),
        .init("bare LF as blank line", raw: Array("GET / HTTP/1.1\r\nHost: a\r\n\n".utf8), .bareLineFeed),
        .init("bare LF before request line", raw: Array("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), .bareLineFeed),
        .init("space before colon", "GET / HTTP/1.1\nHost : a\n\n", .whitespaceBeforeColon),
        .init("TAB before colon", "GET / HTTP/1.1\nHost\t: a\n\n", .whitespaceBeforeColon),
        .init("obs-fold", "GET / HTTP/1.1\nHost: a\nX: b\n c\n\n", .obsFold),
        .init("whitespace before first field", "GET / HTTP/1.1\n Host: a\n\n", .obsFold),
        .init("empty header name", "GET / HTTP/1.1\nHost: a\n: b\n\n", .invalidHeaderName),
        .init("no colon", "GET / HTTP/1.1\nHost: a\nXYZ\n\n", .invalidHeaderName),
        .init("non-token in name", "GET / HTTP/1.1\nHost: a\nX(Y): b\n\n", .invalidHeaderName),
        .init(
            "non-ASCII in name", raw: Array("GET / HTTP/1.1\r\nHost: a\r\nX\u{E9}: b\r\n\r\n".utf8),
            .invalidHeaderName),
        // SECURITY 17: repeated Host / Authorization.
        .init("missing Host on 1.1", "GET / HTTP/1.1\nX: y\n\n", .missingHost),
        .init(
            "two Host lines (17)", "DELETE /admin/users/7 HTTP/1.1\nHost: api.test\nHost: admin.internal\n\n",
            .duplicateHost),
        .init(
            "two Authorization lines (17)",
            "DELETE /admin/users/7 HTTP/1.1\nHost: api.test\nAuthorization: Bearer RPT_VIEW\n"
                + "Authorization: Bearer RPT_ADMIN\n\n", .duplicateAuthorization),
        .init(
            "two authorization lines, mixed case",
            "GET / HTTP/1.1\nHost: a\nauthorization: Bearer x\nAUTHORIZATION: Bearer y\n\n", .duplicateAuthorization),
        .init("Host with path", "GET / HTTP/1.1\nHost: a/b\n\n", .invalidHost),
        .init("Host with userinfo", "GET / HTTP/1.1\nHost: u@a\n\n", .invalidHost),
        .init("Host with bad port", "GET / HTTP/1.1\nHost: a:8x\n\n", .invalidHost),
        .init("Host with space", "GET / HTTP/1.1\nHost: a b\n\n", .invalidHost),
        .init("Host unterminated IP literal", "GET / HTTP/1.1\nHost: [::1\n\n", .invalidHost),
        .init("Connection non-token", "GET / HTTP/1.1\nHost: a\nConnection: a b\n\n", .invalidConnection),
        .init(
            "Expect other than 100-continue", "POST / HTTP/1.1\nHost: a\nExpect: 200-ok\n\n",
            .unsupportedExpectation),
        .init(
            "two Expect lines", "POST / HTTP/1.1\nHost: a\nExpect: 100-continue\nExpect: 100-continue\n\n",
            .unsupportedExpectation),
        // SECURITY 33: limits.
        .init(
            "one 100 KB header (33a)",
            "GET / HTTP/1.1\nHost: a\nX: " + String(repeating: "a", count: 100_000) + "\n\n", .headersTooLarge),
        .init(
            "10 000 short headers (33b)",
            "GET / HTTP/1.1\nHost: a\n" + String(repeating: "X-a: b\n", count: 10_000) + "\n", .tooManyHeaders),
        .init(
            "head over small limit, incomplete", "GET / HTTP/1.1\nHost: a\nX: " + String(repeating: "b", count: 64),
            .headersTooLarge, limits: HTTP1Limits(maxHeadBytes: 64)),
        .init(
            "complete head one byte over limit", "GET / HTTP/1.1\nHost: abcdefghij\n\n", .headersTooLarge,
            limits: HTTP1Limits(maxHeadBytes: 35)),
        .init(
            "header count over limit", "GET / HTTP/1.1\nHost: a\nA: 1\nB: 2\n\n", .tooManyHeaders,
            limits: HTTP1Limits(maxHeadersCount: 2)),
        .init(
            "only empty lines up to limit", String(repeating: "\n", count: 40), .headersTooLarge,
            limits: HTTP1Limits(maxHeadBytes: 64)),
    ]

    /// Each smuggling-class head (SECURITY 13, 14) is rejected with its detail, whole and in every slicing.
    @Test(arguments: Self.smuggling)
    func rejectsSmugglingFraming(_ testCase: RejectedRequest) {
        Self.expectRejected(testCase)
    }

    /// Each malformed request line (SECURITY 3, 6, 35; RFC 9112 §3) is rejected, whole and in every slicing.
    @Test(arguments: Self.requestLine)
    func rejectsMalformedRequestLine(_ testCase: RejectedRequest) {
        Self.expectRejected(testCase)
    }

    /// Each malformed or over-limit field section (SECURITY 17, 33; RFC 9112 §5) is rejected in every slicing.
    @Test(arguments: Self.fields)
    func rejectsMalformedFields(_ testCase: RejectedRequest) {
        Self.expectRejected(testCase)
    }

    static func expectRejected(_ testCase: RejectedRequest, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = agreedResult(parseRequestEverySlicing(testCase.head.raw, limits: testCase.limits))
        #expect(result == .rejected(testCase.error), sourceLocation: sourceLocation)
    }

    /// Status and detail travel together (Envoy's `expect400`): each detail is unique and prefixed `http1.`.
    @Test func detailsAreStableAndUnique() {
        let errors = (Self.smuggling + Self.requestLine + Self.fields).map(\.error)
        let details = Set(errors.map(\.detail))
        #expect(details.count == Set(errors).count)
        #expect(details.allSatisfy { $0.hasPrefix("http1.") })
        #expect(HTTP1ParseError.transferEncodingWithContentLength.detail == "http1.te_with_cl")
        #expect(HTTP1ParseError.headersTooLarge.status == 431)
        #expect(HTTP1ParseError.unsupportedTransferEncoding.status == 501)
        #expect(HTTP1ParseError.unsupportedVersion.status == 505)
        #expect(HTTP1ParseError.unsupportedExpectation.status == 417)
        #expect(HTTP1ParseError.requestLineTooLong.status == 414)
        #expect(HTTP1ParseError.methodTooLong.status == 501)
        #expect(HTTP1ParseError.obsFold.status == 400)
    }
}
