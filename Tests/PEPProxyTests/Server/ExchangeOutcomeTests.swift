import Foundation
import PEPCore
import Testing

@testable import PEPProxy

/// What a finished exchange reports (access log detail, metrics classification): each failure keeps its own
/// detail and its typed upstream failure.
@Suite struct ExchangeOutcomeTests {
    /// A chunked body that grows past `max_body_bytes` after the head went upstream is 413 and reported as
    /// `http1.body_too_large` (it was reported as the authorizer's `forward`, i.e. a grant).
    @Test func chunkedBodyOverTheLimitIsReportedAsTooLarge() throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 16
        let observer = RecordingObserver()
        let proxy = try TestProxy(limits: limits, observer: observer)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)
        client.send("10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")
        #expect(client.readResponse()?.status == 413)
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.status == 413)
        #expect(record.detail == "http1.body_too_large")
        #expect(record.upstreamFailure == nil)
    }

    /// An invalid upstream status line keeps its parse detail (`upstream.http1.…`), typed as invalid_response.
    @Test func invalidUpstreamHeadKeepsItsDetail() throws {
        let upstream = try ScriptedUpstream { _ in Array("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n".utf8) }
        defer { upstream.stop() }
        let observer = RecordingObserver()
        let proxy = try TestProxy(scripted: upstream, observer: observer)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 502)
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.detail.hasPrefix("upstream.http1."), "\(record.detail)")
        #expect(record.upstreamFailure == .invalidResponse)
    }

    /// An upstream that closes in the middle of its body cuts the response; the exchange is reported as an
    /// upstream reset, not as the grant it started as.
    @Test func upstreamClosingMidBodyIsAReset() throws {
        let upstream = try ScriptedUpstream(closeAfterReply: true) { _ in
            Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".utf8)
        }
        defer { upstream.stop() }
        let observer = RecordingObserver()
        let proxy = try TestProxy(scripted: upstream, observer: observer)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        _ = client.readAll(timeout: 2)
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.status == 200)
        #expect(record.detail == "upstream.reset_midway")
        #expect(record.upstreamFailure == .reset)
    }

    /// Nothing listens on the upstream port: 502 `upstream.connect_failed`, typed as connect.
    @Test func refusedConnectionIsAConnectFailure() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        close(fd)  // bound once, now closed: connections to it are refused
        let observer = RecordingObserver()
        let proxy = try TestProxy(upstreamPort: port, observer: observer)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 502)
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.detail == "upstream.connect_failed")
        #expect(record.upstreamFailure == .connect)
    }
}

/// Sockets hold their delegates strongly until closed: no exchange may outlive its request, whatever way it
/// ended (pooled upstream, client gone mid-request, upstream cutting its response).
@Suite struct ExchangeLifetimeTests {
    static func settled(_ proxy: TestProxy) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while proxy.engine.liveExchanges.load(ordering: .relaxed) > 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return proxy.engine.liveExchanges.load(ordering: .relaxed) == 0
    }

    @Test func exchangesAreFreedAfterTheirRequests() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        for index in 0..<50 {
            client.send("GET /r\(index) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(client.readResponse()?.status == 200)
        }
        do {
            let leaving = try proxy.client()
            leaving.send("GET /gone HTTP/1.1\r\nHost: api.test\r\n\r\n")
        }
        #expect(Self.settled(proxy))
    }

    @Test func exchangesAreFreedAfterUpstreamFailures() throws {
        let upstream = try ScriptedUpstream(closeAfterReply: true) { _ in
            Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".utf8)
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        for _ in 0..<5 {
            let client = try proxy.client()
            client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
            _ = client.readAll(timeout: 1)
        }
        #expect(Self.settled(proxy))
    }
}

/// Timeouts that outlive the request that set them (found in a newcomer trial): a reused upstream connection's
/// read timeout counts from the end of the new request, and a client's body-pause timeout does not cut a later
/// request on the same connection.
@Suite struct StaleTimeoutTests {
    static let slowUpstream: @Sendable (HTTPRequestMessage) -> HTTPResponseMessage = { request in
        if request.path.hasPrefix("/slow") { Thread.sleep(forTimeInterval: 0.6) }
        return HTTPResponseMessage(status: 200, headers: [], body: Array("ok".utf8))
    }

    @Test func reusedUpstreamConnectionGetsAFullReadTimeout() throws {
        var limits = ServerLimits()
        limits.upstreamReadTimeout = .seconds(1)
        let proxy = try TestProxy(limits: limits, upstream: Self.slowUpstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /warm HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 200)
        Thread.sleep(forTimeInterval: 0.7)  // idle in the pool for most of the read timeout
        client.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 200)
    }

    @Test func bodyTimeoutDoesNotCutALaterRequest() throws {
        var limits = ServerLimits()
        limits.idleTimeout = .milliseconds(400)
        let proxy = try TestProxy(limits: limits, upstream: Self.slowUpstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)
        client.send("hello")
        #expect(client.readResponse()?.status == 200)
        client.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n")  // waits 600 ms > idle_timeout for the upstream
        #expect(client.readResponse()?.status == 200)
    }
}

/// Requests cut before they complete are still reported (access log and metrics).
@Suite struct CutRequestReportTests {
    @Test func slowHeadTimeoutIsReported() throws {
        var limits = ServerLimits()
        limits.headerTimeout = .milliseconds(300)
        let observer = RecordingObserver()
        let proxy = try TestProxy(limits: limits, observer: observer)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n")
        #expect(String(decoding: client.readAll(timeout: 3), as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.status == 408)
        #expect(record.detail == "http1.header_timeout")
    }

    @Test func requestCutByShutdownIsReported() throws {
        let observer = RecordingObserver()
        let proxy = try TestProxy(observer: observer) { request in
            Thread.sleep(forTimeInterval: 1.0)
            return HTTPResponseMessage(status: 200, headers: [], body: [])
        }
        let client = try proxy.client()
        client.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        proxy.proxyServer.shutdown(graceful: false)
        let record = try #require(observer.wait(for: 1).first)
        #expect(record.status == 0)
        #expect(record.detail == "proxy.shutdown")
        proxy.upstreamServer.shutdown(graceful: false)
    }
}

/// A request body whose framing breaks after the head went upstream ends the upstream connection with a TCP
/// reset, never a FIN that could let the upstream take the truncated body for a complete request.
@Suite struct BrokenBodyResetTests {
    @Test func brokenChunkedBodyResetsTheUpstream() throws {
        let upstream = try ScriptedUpstream { _ in nil }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /up HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        let deadline = Date().addingTimeInterval(3)
        while upstream.receivedText.isEmpty, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        client.send("zz\r\n")  // not a chunk size
        #expect(client.readResponse()?.status == 400)
        let end = Date().addingTimeInterval(3)
        while upstream.endings.isEmpty, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        #expect(upstream.receivedText.contains("hello"))
        #expect(upstream.endings.values.first == ECONNRESET, "\(upstream.endings)")
    }

    /// A framing error in the body bytes that came with the head is found before anything is forwarded: the
    /// client gets the 400, the upstream gets no connection at all (not even the head).
    @Test(arguments: [
        ("5\r\nhello\r\nzz\r\n", 400),  // a bad chunk size after a good chunk
        ("5\r\nhelloXX", 400),  // chunk data not followed by CRLF
        ("5;a=\u{1}\r\nhello\r\n0\r\n\r\n", 400),  // a control byte in a chunk extension
        ("40\r\n" + String(repeating: "x", count: 64) + "\r\n", 413),  // over max_body_bytes (32)
    ])
    func bodyBrokenOnArrivalNeverReachesTheUpstream(body: String, status: Int) throws {
        let upstream = try ScriptedUpstream { _ in nil }
        defer { upstream.stop() }
        var limits = ServerLimits()
        limits.maxBodyBytes = 32
        let proxy = try TestProxy(scripted: upstream, limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /up HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        #expect(client.readResponse()?.status == status)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(upstream.connections.isEmpty, "\(upstream.receivedText)")
    }
}
