import Foundation
import Testing

@testable import PEPProxy

/// SECURITY.md framing and normalization cases at the socket level: the status the client sees and what the
/// recording upstream received (nothing, or exactly the canonical request).
@Suite(.serialized) struct ProxySecurityTests {
    struct Rejected: CustomStringConvertible, Sendable {
        var label: String
        var raw: String
        var status: Int
        var description: String { self.label }
    }

    static let rejected: [Rejected] = [
        // 1–3, 7: encoded separators, fragments, NUL.
        .init(
            label: "2 encoded slash", raw: "GET /public/..%2Fadmin/users HTTP/1.1\r\nHost: api.test\r\n\r\n",
            status: 400),
        .init(
            label: "2 encoded slash plain", raw: "GET /admin%2Fusers HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(
            label: "2 encoded backslash", raw: "GET /public%5C..%5Cadmin/users HTTP/1.1\r\nHost: api.test\r\n\r\n",
            status: 400),
        .init(label: "2 encoded NUL", raw: "GET /admin/users%00.png HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(
            label: "3 fragment", raw: "GET /files/secret.pdf#/preview HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        // 6: request-line whitespace.
        .init(label: "6 extra token", raw: "POST /admin/users bla HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(label: "6 tab", raw: "GET /admin/users\tHTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(label: "6 two spaces", raw: "GET  /admin/users HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(label: "6 space in path", raw: "GET /adm in HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        // 13: Transfer-Encoding variants.
        .init(
            label: "13a gzip chunked + CL",
            raw:
                "POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            status: 400),
        .init(
            label: "13b space before colon",
            raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", status: 400),
        .init(
            label: "13c obs-fold",
            raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", status: 400),
        .init(
            label: "13d two TE lines",
            raw:
                "POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
            status: 400),
        .init(
            label: "13e xchunked",
            raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", status: 501),
        // 14: Content-Length smuggling.
        .init(
            label: "14a duplicate CL",
            raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nGET /",
            status: 400),
        .init(
            label: "14b CL list", raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5, 0\r\n\r\nGET /",
            status: 400),
        .init(
            label: "14c CL plus sign", raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: +5\r\n\r\nGET /",
            status: 400),
        .init(
            label: "14d CL + TE",
            raw:
                "POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/users HTTP/1.1\r\nHost: api.test\r\n\r\n",
            status: 400),
        // 17: duplicate credentials / Host.
        .init(
            label: "17 duplicate Authorization",
            raw:
                "DELETE /admin/users/7 HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer A\r\nAuthorization: Bearer B\r\n\r\n",
            status: 400),
        .init(
            label: "17 duplicate Host", raw: "GET / HTTP/1.1\r\nHost: api.test\r\nHost: admin.internal\r\n\r\n",
            status: 400),
        // 33: oversized heads.
        .init(
            label: "33a 100 KB header",
            raw: "GET / HTTP/1.1\r\nHost: api.test\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n",
            status: 431),
        .init(
            label: "33b 10000 headers",
            raw: "GET / HTTP/1.1\r\nHost: api.test\r\n" + String(repeating: "X-A: 1\r\n", count: 10_000) + "\r\n",
            status: 431),
        // 35: method case.
        .init(label: "35 lower-case method", raw: "gET /admin/users HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(label: "35 TRACE", raw: "TRACE /admin/users HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 405),
        .init(label: "35 CONNECT", raw: "CONNECT api.test:443 HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 405),
        .init(
            label: "35 query override", raw: "POST /photos/1?_method=DELETE HTTP/1.1\r\nHost: api.test\r\n\r\n",
            status: 400),
        .init(
            label: "35 encoded query override",
            raw: "POST /photos/1?a=1&%5FMETHOD=DELETE HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        // Further classes: Upgrade, absolute-form for another host, Connection: Content-Length.
        .init(
            label: "h2c upgrade",
            raw:
                "GET / HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
            status: 501),
        .init(
            label: "websocket upgrade on POST",
            raw:
                "POST /ws HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n",
            status: 400),
        .init(
            label: "websocket and h2c upgrade",
            raw:
                "GET /ws HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n",
            status: 400),
        .init(
            label: "absolute-form other host",
            raw: "GET http://admin.internal/admin HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
        .init(
            label: "Connection: Content-Length",
            raw: "POST /x HTTP/1.1\r\nHost: api.test\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello",
            status: 400),
        .init(label: "path parameter", raw: "GET /admin;x=1/users HTTP/1.1\r\nHost: api.test\r\n\r\n", status: 400),
    ]

    /// Each raw request is rejected with its status and the upstream receives nothing.
    @Test(arguments: Self.rejected)
    func rejectedRequestsNeverReachTheUpstream(_ item: Rejected) throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(item.raw)
        let response = try #require(client.readResponse())
        #expect(response.status == item.status)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(proxy.recorder.requests.isEmpty)
    }

    struct Normalized: CustomStringConvertible, Sendable {
        var target: String
        var path: String
        var description: String { self.target }
    }

    /// Cases 1, 7, 9: the upstream receives exactly the canonical path that was matched.
    @Test(arguments: [
        Normalized(target: "/public/../admin/users", path: "/admin/users"),
        Normalized(target: "/public/%2e%2e/admin/users", path: "/admin/users"),
        Normalized(target: "/public/.%2E/admin/users", path: "/admin/users"),
        Normalized(target: "/admin/./users", path: "/admin/users"),
        Normalized(target: "//admin/users", path: "/admin/users"),
        Normalized(target: "/admin//users", path: "/admin/users"),
        Normalized(target: "/%61dmin/users", path: "/admin/users"),
        Normalized(target: "/%41DMIN/users", path: "/ADMIN/users"),
        Normalized(target: "/public/x%3F/../../admin/users", path: "/admin/users"),
    ])
    func upstreamSeesTheCanonicalPath(_ item: Normalized) throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET \(item.target) HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        #expect(proxy.recorder.requests.map(\.path) == [item.path])
    }

    /// Case 9: the query never takes part in matching and is forwarded untouched.
    @Test func queryIsForwardedUntouched() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /admin/users?next=/public/x&a=%2F HTTP/1.1\r\nHost: api.test\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first)
        #expect(seen.path == "/admin/users")
        #expect(seen.query == "next=/public/x&a=%2F")
    }

    /// Case 10: client routing headers are stripped when the peer is not a trusted proxy.
    @Test func routingHeadersAreStripped() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "DELETE /admin/users/7 HTTP/1.1\r\nHost: api.test\r\nX-Forwarded-Uri: /public/x\r\nX-Original-URL: /public/x\r\n"
                + "X-Rewrite-URL: /public/x\r\nX-Forwarded-Prefix: /public\r\nX-Forwarded-Method: GET\r\n"
                + "X-HTTP-Method-Override: GET\r\nX-Forwarded-Host: evil\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first)
        let names = Set(seen.headers.map { $0.name.lowercased() })
        for banned in [
            "x-forwarded-uri", "x-original-url", "x-rewrite-url", "x-forwarded-prefix", "x-forwarded-method",
            "x-http-method-override",
        ] {
            #expect(!names.contains(banned), "\(banned) reached the upstream")
        }
        #expect(seen.header("x-forwarded-host") == "api.test")
        #expect(seen.method == "DELETE")
    }

    /// Case 11: names listed in Connection remove only the client's copies; proxy-set headers survive and
    /// hop-by-hop headers are never forwarded.
    @Test func connectionHeaderCannotRemoveProxyHeaders() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "GET /photos/1 HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer RPT\r\nX-Custom: drop-me\r\n"
                + "Keep-Alive: timeout=5\r\nTE: trailers\r\n"
                + "Connection: keep-alive, X-Custom, X-Forwarded-For, X-Forwarded-Host, X-Request-Id\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first)
        #expect(seen.header("x-custom") == nil)
        #expect(seen.header("x-forwarded-for") == "127.0.0.1")
        #expect(seen.header("x-forwarded-host") == "api.test")
        #expect(seen.header("x-request-id") != nil)
        #expect(seen.header("authorization") == "Bearer RPT")
        for hop in ["keep-alive", "te", "trailer", "proxy-connection"] {
            #expect(seen.header(hop) == nil, "\(hop) was forwarded")
        }
    }

    /// Case 18: client copies of PEP-owned identity headers never reach the upstream, whatever their case.
    @Test func reservedIdentityHeadersAreStripped() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "GET /public/x HTTP/1.1\r\nHost: api.test\r\nx-consumer-id: 1\r\nX-Authenticated-Scope: admin\r\n"
                + "x-oauth-client-id: trusted-client\r\nX-Forwarded-Client-Cert: Hash=00;Subject=\"CN=admin\"\r\n"
                + "X-Anonymous-Consumer: false\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first)
        for name in [
            "x-consumer-id", "x-authenticated-scope", "x-oauth-client-id", "x-forwarded-client-cert",
            "x-anonymous-consumer",
        ] {
            #expect(seen.header(name) == nil, "\(name) reached the upstream")
        }
    }

    /// Case 33d: an over-limit body gets 413 and the connection closes; the leftover bytes are never parsed.
    @Test func oversizedBodyClosesWithoutParsingLeftovers() throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 10
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "POST /photos HTTP/1.1\r\nHost: api.test\r\nContent-Length: 12\r\n\r\nBBBBBBBBBBGET /admin/users HTTP/1.1\r\nHost: api.test\r\n\r\n"
        )
        let response = try #require(client.readResponse())
        #expect(response.status == 413)
        #expect(client.isClosedByPeer())
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// Case 32: a head trickled slowly is cut at the whole-head deadline (not reset per read) with 408.
    @Test func slowHeadIsCutAtTheDeadline() throws {
        var limits = ServerLimits()
        limits.headerTimeout = .milliseconds(400)
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        let started = Date()
        client.send("GET /photos/1 HTTP/1.1\r\nHost: api.test\r\n")
        // One byte every 150 ms for up to 3 s: a per-read timeout (400 ms) would never fire while the trickle goes
        // on; the whole-head deadline cuts it while it is still trickling.
        var received: [UInt8] = []
        var answeredWhileTrickling = false
        for _ in 0..<20 {
            Thread.sleep(forTimeInterval: 0.15)
            client.send("X")
            received += client.poll()
            if !received.isEmpty {
                answeredWhileTrickling = true
                break
            }
        }
        received += client.readAll(timeout: 2)
        #expect(answeredWhileTrickling)
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        _ = started
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A connection that never sends a byte is closed after `header_timeout` (from accept), not `idle_timeout`;
    /// between kept-alive requests `idle_timeout` applies.
    @Test func silentConnectionIsClosedAtTheHeaderTimeout() throws {
        var limits = ServerLimits()
        limits.headerTimeout = .milliseconds(300)
        limits.idleTimeout = .seconds(5)
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let silent = try proxy.client()
        let started = Date()
        #expect(silent.isClosedByPeer(timeout: 3))
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.25 && elapsed < 2.5, "closed after \(elapsed) s")
        #expect(silent.readAll(timeout: 0.2).isEmpty)

        let kept = try proxy.client()
        kept.send("GET /a HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(try #require(kept.readResponse()).status == 200)
        Thread.sleep(forTimeInterval: 0.8)  // longer than header_timeout, shorter than idle_timeout
        kept.send("GET /b HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(try #require(kept.readResponse()).status == 200)
        #expect(proxy.recorder.requests.map(\.path) == ["/a", "/b"])
    }

    /// Case 13f: `chunked` followed by optional whitespace is accepted and re-framed.
    @Test func chunkedWithTrailingWhitespaceIsAccepted() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\t\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        #expect(proxy.recorder.requests.first?.body == Array("abc".utf8))
    }

    /// Pipelined requests are answered in order, one at a time.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /one HTTP/1.1\r\nHost: api.test\r\n\r\nGET /two HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let first = try #require(client.readResponse())
        #expect(first.bodyText.hasPrefix("GET /one"))
        let second = try #require(client.readResponse())
        #expect(second.bodyText.hasPrefix("GET /two"))
    }
}
