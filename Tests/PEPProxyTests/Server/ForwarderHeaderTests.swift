import Testing

@testable import PEPProxy

/// The forwarders' per-field decisions in isolation: the name sets they drop and the `Connection` tokens they
/// honour (RFC 9110 §7.6.1), compared as raw bytes, ASCII case-insensitively.
@Suite struct ForwarderHeaderTests {
    static func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        Array(text.utf8).withUnsafeBytes(body)
    }

    @Test func nameSetMatchesEveryCaseAndOnlyWholeNames() {
        let set = HeaderNameSet(["connection", "te", "x-forwarded-for"])
        for name in ["connection", "Connection", "CONNECTION", "te", "TE", "X-Forwarded-For"] {
            #expect(Self.withBytes(name) { set.contains($0) }, "\(name)")
        }
        for name in ["", "t", "tee", "connectio", "connections", "x-forwarded-fo", "x-forwarded-for ", "cOnNeCtIoN2"] {
            #expect(!Self.withBytes(name) { set.contains($0) }, "\(name)")
        }
    }

    @Test func nameSetDoesNotFoldNonLetters() {
        // 0x5F '_' | 0x20 would be 0x7F: only A-Z are folded, so "x_a" never equals "x-a" or "x\u{7F}a".
        let set = HeaderNameSet(["x-a"])
        #expect(!Self.withBytes("x_a") { set.contains($0) })
        #expect(!Self.withBytes("x\u{0D}a") { set.contains($0) })
    }

    @Test func connectionTokensAreCollectedFromEveryConnectionField() throws {
        let text = "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Other: 1\r\nconnection: x-more ,\r\n\r\n"
        var parser = ResponseHeadParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0, requestMethod: "GET", limits: .default) }
        guard case .complete(let head, _) = result else {
            Issue.record("not parsed: \(result)")
            return
        }
        head.headers.withUnsafeBytes { bytes in
            let tokens = head.headers.connectionTokens(in: bytes)
            let texts = tokens.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
            #expect(texts == ["keep-alive", "X-Secret", "x-more"])
            for listed in ["x-secret", "X-SECRET", "X-More", "Keep-Alive"] {
                #expect(Self.withBytes(listed) { HTTP1HeaderFields.lists(tokens, $0, in: bytes) }, "\(listed)")
            }
            for other in ["x-other", "x-secre", "x-secrets", ""] {
                #expect(!Self.withBytes(other) { HTTP1HeaderFields.lists(tokens, $0, in: bytes) }, "\(other)")
            }
        }
    }

    @Test func responseHeadDropsHopByHopAndNominatedFields() {
        let text =
            "HTTP/1.1 404 Not Found\r\nConnection: X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n"
            + "Content-Length: 0\r\nX-Kept: 2\r\n\r\n"
        var parser = ResponseHeadParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0, requestMethod: "GET", limits: .default) }
        guard case .complete(let head, _) = result else {
            Issue.record("not parsed: \(result)")
            return
        }
        let built = String(decoding: ResponseForwarder.build(head, closeClient: true), as: UTF8.self)
        #expect(built == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-Kept: 2\r\nConnection: close\r\n\r\n")
    }

    /// A 204 from the upstream loses its Content-Length / Transfer-Encoding (RFC 9110 §8.6); an HTTP/1.0
    /// client that keeps the connection is told so with `Connection: keep-alive`.
    @Test func noContentFramingDroppedAndHTTP10KeepAliveConfirmed() {
        let text = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kept: 1\r\n\r\n"
        var parser = ResponseHeadParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0, requestMethod: "GET", limits: .default) }
        guard case .complete(let head, _) = result else {
            Issue.record("not parsed: \(result)")
            return
        }
        let kept = String(
            decoding: ResponseForwarder.build(head, closeClient: false, keepAliveHeader: true), as: UTF8.self)
        #expect(kept == "HTTP/1.1 204 No Content\r\nX-Kept: 1\r\nConnection: keep-alive\r\n\r\n")
        let closing = String(
            decoding: ResponseForwarder.build(head, closeClient: true, keepAliveHeader: true), as: UTF8.self)
        #expect(closing.hasSuffix("X-Kept: 1\r\nConnection: close\r\n\r\n"))
    }

    @Test(arguments: [(100, "100"), (200, "200"), (404, "404"), (599, "599"), (999, "999"), (1000, "1000"), (7, "7")])
    func statusDigits(status: Int, text: String) {
        let out = HeadBuffer()
        ResponseForwarder.appendStatus(status, to: out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == text)
    }
}

extension ForwarderHeaderTests {
    /// The request line sent upstream: the method as received (any token), the upstream's base path (none when
    /// empty), the canonical path, the query, the version.
    @Test(
        arguments: [
            ("GET", "", "/x", nil, "GET /x HTTP/1.1"),
            ("PROPFIND", "/base", "/a/b", "q=1", "PROPFIND /base/a/b?q=1 HTTP/1.1"),
            ("M", "/v1", "/", nil, "M /v1/ HTTP/1.1"), ("OPTIONS", "", "*", nil, "OPTIONS * HTTP/1.1"),
        ] as [(String, String, String, String?, String)])
    func requestLineKeepsTheMethodAndAddsTheBasePath(
        method: String, basePath: String, path: String, query: String?, expected: String
    ) throws {
        let text = "\(method) \(path == "*" ? "*" : "/ignored") HTTP/1.1\r\nHost: api.test\r\n\r\n"
        var parser = RequestHeadParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0, limits: .default) }
        guard case .complete(let head, _) = result else {
            Issue.record("not parsed: \(result)")
            return
        }
        let service = ProxyService(
            name: "api",
            upstream: UpstreamTarget(
                address: try SocketAddress(host: "127.0.0.1", port: 9), hostHeader: "backend.internal",
                basePath: basePath))
        let out = HeadBuffer()
        RequestForwarder.build(
            head: head, path: path, query: query, service: service, mutations: .none, peerHost: nil,
            peerTrusted: false, scheme: "http", requestId: nil, via: "1.1 uma-pep", upstreamVersion10: false,
            trace: nil, traceStateIndex: nil, webSocket: false, into: out)
        let built = String(decoding: out.bytes, as: UTF8.self)
        #expect(built.hasPrefix(expected + "\r\nHost: backend.internal\r\n"), "\(built)")
    }
}
