import Foundation
import Testing

@testable import PEPProxy

/// Body framing through the proxy, both directions, against a raw scripted upstream.
@Suite(.serialized) struct ProxyFramingTests {
    static func ok(_ body: String, extra: String = "") -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)".utf8)
    }

    /// A chunked request body reaches the upstream re-framed (extensions dropped), without a client Content-Length.
    @Test func chunkedRequestBodyIsRelayed() throws {
        let upstream = try ScriptedUpstream { _ in Self.ok("done") }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /up HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        let seen = upstream.receivedText
        #expect(seen.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!seen.lowercased().contains("content-length"))
        #expect(seen.hasSuffix("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
    }

    /// Re-framed chunk sizes are written in lower-case hex, whatever their number of digits.
    @Test(arguments: [16, 255, 6699, 65536])
    func reframedChunkSizesAreHex(size: Int) throws {
        let upstream = try ScriptedUpstream { _ in Self.ok("done") }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        let payload = String(repeating: "x", count: size)
        client.send(
            "POST /up HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\(String(size, radix: 16, uppercase: true))\r\n\(payload)\r\n0\r\n\r\n")
        #expect(try #require(client.readResponse()).status == 200)
        // The client's chunk may reach uma-pep in several reads: the sizes written add up to the payload.
        // The scripted upstream may answer before the body's end arrived: wait for the last chunk.
        for _ in 0..<100 where !upstream.receivedText.hasSuffix("\r\n0\r\n\r\n") {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let text = upstream.receivedText
        var rest = try #require(text.range(of: "\r\n\r\n")).upperBound
        var total = 0
        while let end = text.range(of: "\r\n", range: rest..<text.endIndex) {
            let line = String(text[rest..<end.lowerBound])
            guard let n = Int(line, radix: 16), line == line.lowercased() else {
                Issue.record("bad chunk-size line \(line)")
                return
            }
            if n == 0 { break }
            total += n
            rest = text.utf8.index(end.upperBound, offsetBy: n + 2)  // bytes: "\r\n" is one Character
        }
        #expect(total == size)
    }

    /// Trailer fields of a chunked request never reach the upstream (they would bypass header filtering).
    @Test func requestTrailersAreDropped() throws {
        let upstream = try ScriptedUpstream { _ in Self.ok("done") }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /t HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send("3\r\nabc\r\n0\r\nX-OAuth-Client-ID: admin\r\nAuthorization: Bearer x\r\nHost: evil\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        let seen = upstream.receivedText
        #expect(seen.hasSuffix("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
        #expect(!seen.lowercased().contains("x-oauth-client-id"))
        #expect(!seen.contains("evil"))
    }

    /// A chunked response is streamed back verbatim and the connection stays usable.
    @Test func chunkedResponseIsRelayed() throws {
        let upstream = try ScriptedUpstream { _ in
            Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8)
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        for _ in 0..<2 {
            client.send("GET /c HTTP/1.1\r\nHost: api.test\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.bodyText == "abcde")
        }
        #expect(upstream.connections.count == 1)
    }

    /// HEAD, 204 and 304 responses carry no body, and the next response on the connection is intact.
    @Test(arguments: [
        ("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        ("GET", "HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
    ])
    func bodilessResponses(method: String, reply: String) throws {
        let counter = Counter()
        let upstream = try ScriptedUpstream { _ in
            counter.next() == 0 ? Array(reply.utf8) : Self.ok("second")
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("\(method) /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let first = try #require(client.readResponse(headRequest: method == "HEAD"))
        #expect(first.body.isEmpty)
        client.send(client.leftover.isEmpty ? "GET /y HTTP/1.1\r\nHost: api.test\r\n\r\n" : "")
        let second = try #require(client.readResponse())
        #expect(second.bodyText == "second")
    }

    /// A close-delimited response is relayed until the upstream closes, then the client connection closes.
    @Test func closeDelimitedResponse() throws {
        let upstream = try ScriptedUpstream(closeAfterReply: true) { _ in
            Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close".utf8)
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let started = Date()
        let text = String(decoding: client.readAll(timeout: 5), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.hasSuffix("\r\n\r\nuntil close"))
        #expect(Date().timeIntervalSince(started) < 4)
    }

    /// Upstream down: 502 with a JSON body.
    @Test func upstreamDownIs502() throws {
        let proxy = try TestProxy(upstreamPort: 1)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET / HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 502)
        #expect(response.header("content-type") == "application/json")
    }

    /// Upstream slower than `upstreamReadTimeout`: 504 with a JSON body, well before the upstream answers.
    @Test func slowUpstreamIs504() throws {
        let upstream = try ScriptedUpstream { _ in
            Thread.sleep(forTimeInterval: 5)
            return Self.ok("late")
        }
        defer { upstream.stop() }
        var limits = ServerLimits()
        limits.upstreamReadTimeout = .milliseconds(300)
        let proxy = try TestProxy(scripted: upstream, limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        let started = Date()
        client.send("GET / HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 504)
        // Answered at the 300 ms timeout, not when the upstream finally answers (5 s).
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// A client that disconnects mid-body: the upstream connection is dropped, not pooled half-written.
    @Test func clientDisconnectMidBodyDropsUpstream() throws {
        let upstream = try ScriptedUpstream { _ in Self.ok("ok") }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        do {
            let client = try proxy.client()
            client.send("POST /p HTTP/1.1\r\nHost: api.test\r\nContent-Length: 100\r\n\r\n0123456789")
            Thread.sleep(forTimeInterval: 0.2)
        }
        Thread.sleep(forTimeInterval: 0.2)
        let client = try proxy.client()
        client.send("GET /after HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        // The second request went on a new upstream connection.
        #expect(upstream.connections.count == 2)
        #expect(String(decoding: upstream.connections[1], as: UTF8.self).hasPrefix("GET /after "))
    }

    /// A 64 MiB request body streams through (counted by the upstream, never buffered whole).
    @Test func largeBodyStreams() throws {
        let upstream = try ScriptedUpstream { _ in Self.ok("got it") }
        defer { upstream.stop() }
        var limits = ServerLimits()
        limits.maxBodyBytes = 128 << 20
        let proxy = try TestProxy(scripted: upstream, limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        let size = 64 << 20
        client.send("POST /big HTTP/1.1\r\nHost: api.test\r\nContent-Length: \(size)\r\n\r\n")
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<64 { client.send(block) }
        let response = try #require(client.readResponse(timeout: 30))
        #expect(response.bodyText == "got it")
        #expect(upstream.bodyBytesCounted == size)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        value += 1
        return value - 1
    }
}

@Suite(.serialized) struct HalfCloseTests {
    /// A client that sends a complete request and half-closes (`printf … | nc`) still gets the response.
    @Test func halfClosedClientGetsItsResponse() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /half HTTP/1.1\r\nHost: api.test\r\n\r\n")
        client.shutdownWrite()
        let started = Date()
        let text = String(decoding: client.readAll(timeout: 3), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("GET /half"))
        // The proxy closed the connection after the response (readAll returned before its timeout).
        #expect(Date().timeIntervalSince(started) < 2)
    }

    /// A locally answered request (no route) on a half-closed connection is answered too.
    @Test func halfClosedClientGetsLocalAnswer() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET / HTTP/1.1\r\nHost: nowhere.test\r\n\r\n")
        client.shutdownWrite()
        let text = String(decoding: client.readAll(timeout: 3), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 404 "))
    }

    /// A request whose whole body was sent before the half-close is forwarded and answered, even when the FIN
    /// arrives before the upstream connection is ready; a body cut short by the FIN gets 400 and is not answered
    /// by the upstream.
    @Test(arguments: [(declared: 5, sent: "hello", status: 200), (declared: 10, sent: "hello", status: 400)])
    func halfClosedClientWithBody(declared: Int, sent: String, status: Int) throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /form HTTP/1.1\r\nHost: api.test\r\nContent-Length: \(declared)\r\n\r\n\(sent)")
        client.shutdownWrite()
        let text = String(decoding: client.readAll(timeout: 3), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text)")
        if status == 200 {
            #expect(proxy.recorder.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello")
        }
    }

    /// Requests pipelined before the half-close are all answered, in order (proxied and local alike), then the
    /// connection closes.
    @Test func halfClosedClientGetsEveryPipelinedResponse() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "GET /one HTTP/1.1\r\nHost: api.test\r\n\r\nGET / HTTP/1.1\r\nHost: nowhere.test\r\n\r\n"
                + "GET /three HTTP/1.1\r\nHost: api.test\r\n\r\n")
        client.shutdownWrite()
        let started = Date()
        let text = String(decoding: client.readAll(timeout: 3), as: UTF8.self)
        let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == ["200", "404", "200"])
        #expect(proxy.recorder.requests.map(\.path) == ["/one", "/three"])
        #expect(Date().timeIntervalSince(started) < 2)
    }
}

@Suite(.serialized) struct HTTP10KeepAliveTests {
    /// An HTTP/1.0 client asking for keep-alive gets `Connection: keep-alive` on proxied and local answers and
    /// can send its next request on the same connection; without asking, it gets `Connection: close`.
    @Test func http10KeepAliveIsConfirmed() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /one HTTP/1.0\r\nHost: api.test\r\nConnection: keep-alive\r\n\r\n")
        let first = try #require(client.readResponse())
        #expect(first.status == 200)
        #expect(first.header("connection") == "keep-alive")
        client.send("GET / HTTP/1.0\r\nHost: nowhere.test\r\nConnection: keep-alive\r\n\r\n")
        let local = try #require(client.readResponse())
        #expect(local.status == 404)
        #expect(local.header("connection") == "keep-alive")
        client.send("GET /two HTTP/1.0\r\nHost: api.test\r\n\r\n")
        let last = try #require(client.readResponse())
        #expect(last.header("connection") == "close")
        #expect(client.isClosedByPeer(timeout: 2))
    }
}

@Suite(.serialized) struct SendTimeoutTests {
    /// A client that stops reading a large response is cut after `sendTimeout` without progress: its connection
    /// closes (freeing the upstream connection) instead of being held forever.
    @Test func stalledReaderIsCut() throws {
        var limits = ServerLimits()
        limits.sendTimeout = .milliseconds(300)
        let size = 16 << 20
        let proxy = try TestProxy(limits: limits) { _ in
            HTTPResponseMessage(status: 200, headers: [], body: [UInt8](repeating: 0x61, count: size))
        }
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /big HTTP/1.1\r\nHost: api.test\r\n\r\n")
        var closed = false
        for _ in 0..<60 where !closed {
            Thread.sleep(forTimeInterval: 0.1)
            closed = proxy.proxyServer.proxyConnections.count == 0
        }
        #expect(closed)
        // What the kernel had buffered is readable, then the connection ends: far less than the whole body.
        #expect(client.readAll(timeout: 3).count < size)
    }

    /// A client that stops sending its request body gets 408 after `idleTimeout`, even with a shorter upstream
    /// read timeout: the upstream's response wait starts only once the whole request went out.
    @Test func stalledRequestBodyIs408NotUpstreamTimeout() throws {
        var limits = ServerLimits()
        limits.idleTimeout = .milliseconds(500)
        limits.upstreamReadTimeout = .milliseconds(200)
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nContent-Length: 100\r\n\r\nabc")
        let response = try #require(client.readResponse(timeout: 5))
        #expect(response.status == 408)
        #expect(client.isClosedByPeer(timeout: 2))
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A response still queued when its exchange finished (less than `pipelinedOutputBound` left, so the connection
    /// already waits for the next request) is not cut by the idle timeout: the connection is not idle while it
    /// writes. Before, the idle deadline closed it and dropped the queued tail (a clean FIN mid-body).
    @Test func queuedResponseOutlivesTheIdleTimeout() throws {
        var limits = ServerLimits()
        limits.idleTimeout = .milliseconds(300)
        limits.sendTimeout = .seconds(10)
        let (proxy, client) = try Self.queuedTail(limits: limits)
        defer { proxy.stop() }
        Thread.sleep(forTimeInterval: 1.2)  // four idle timeouts, reading nothing
        Self.expectWholeTail(client.readAll(timeout: 5))
    }

    /// The idle timeout waits for a queued response, but not for ever: a client that never reads it is cut by the
    /// write timeout (`send_timeout`), as during the exchange.
    @Test func queuedResponseToAClientThatNeverReadsIsCut() throws {
        var limits = ServerLimits()
        limits.idleTimeout = .milliseconds(200)
        limits.sendTimeout = .milliseconds(300)
        let (proxy, _) = try Self.queuedTail(limits: limits)
        defer { proxy.stop() }
        var closed = false
        for _ in 0..<30 where !closed {
            Thread.sleep(forTimeInterval: 0.1)
            closed = proxy.proxyServer.proxyConnections.count == 0
        }
        #expect(closed)
    }

    /// A draining proxy (SIGTERM) lets a connection finish writing a response that was still queued when its
    /// exchange finished, instead of counting it idle and closing it at once.
    @Test func drainFinishesAQueuedResponse() throws {
        var limits = ServerLimits()
        limits.sendTimeout = .seconds(10)
        let (proxy, client) = try Self.queuedTail(limits: limits)
        defer { proxy.upstreamServer.shutdown(graceful: false) }
        // The graceful shutdown returns once the workers stopped: on its own thread while the client reads.
        let stopped = DispatchSemaphore(value: 0)
        let server = proxy.proxyServer
        Thread.detachNewThread {
            server.shutdown(graceful: true)
            stopped.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)
        Self.expectWholeTail(client.readAll(timeout: 5))
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }

    /// The body of the response `queuedTail` asks for: less than `pipelinedOutputBound`.
    private static let tailBytes = 60 * 1024

    /// A proxy whose upstream answers `tailBytes`, and a client that asked for it and reads nothing. Returns once
    /// the exchange finished (its record reported), with what the kernel had no room for still queued in the
    /// proxy (`clientWithSmallProxyBuffer`).
    private static func queuedTail(limits: ServerLimits) throws -> (TestProxy, RawClient) {
        let observer = RecordingObserver()
        let proxy = try TestProxy(limits: limits, observer: observer) { _ in
            HTTPResponseMessage(status: 200, headers: [], body: [UInt8](repeating: 0x63, count: Self.tailBytes))
        }
        let client = try Self.clientWithSmallProxyBuffer(proxy)
        client.send("GET /tail HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(observer.wait(for: 1).count == 1)
        return (proxy, client)
    }

    /// `received` is the whole `200` with its `tailBytes` of body.
    private static func expectWholeTail(_ received: [UInt8]) {
        guard let response = RawResponse.parse(received) else {
            Issue.record("\(received.count) bytes arrived, not a whole response (its body has \(Self.tailBytes))")
            return
        }
        #expect(response.status == 200)
        #expect(response.body.count == Self.tailBytes)
    }

    /// A client with a 4 KiB receive buffer whose connection's proxy side has a 4 KiB send buffer (set from here:
    /// the accepted socket is a descriptor of this process). Together the kernel holds well under 60 KiB of a
    /// response the client does not read.
    private static func clientWithSmallProxyBuffer(_ proxy: TestProxy) throws -> RawClient {
        let client = try RawClient(port: proxy.proxyPort, bufferBytes: 4096)
        let local = Self.port(of: client.fd, peer: false)
        var proxySide: Int32?
        let deadline = Date().addingTimeInterval(5)
        while proxySide == nil, Date() < deadline {
            proxySide = (3..<4096).lazy.map(Int32.init).first {
                Self.port(of: $0, peer: false) == proxy.proxyPort && Self.port(of: $0, peer: true) == local
            }
            if proxySide == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        var size: Int32 = 4096
        let fd = try #require(proxySide, "the proxy's side of the connection")
        #expect(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0)
        return client
    }

    /// The local (or peer) TCP port of `fd`, or nil when it is no IPv4 socket.
    private static func port(of fd: Int32, peer: Bool) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A slow reader that keeps taking bytes is never cut, even when a send timeout passes between two points
    /// where the kernel lets uma-pep write (a multi-megabyte send buffer frees up in large steps).
    @Test func slowSteadyReaderIsNotCut() throws {
        var limits = ServerLimits()
        limits.sendTimeout = .milliseconds(150)
        let size = 12 << 20
        let proxy = try TestProxy(limits: limits) { _ in
            HTTPResponseMessage(status: 200, headers: [], body: [UInt8](repeating: 0x62, count: size))
        }
        defer { proxy.stop() }
        let client = try proxy.client()
        var small: Int32 = 65536
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        client.send("GET /big HTTP/1.1\r\nHost: api.test\r\n\r\n")
        // About 2.6 MB/s: 16 KiB every 6 ms, until the whole response arrived or 15 s passed.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 16384)
        let deadline = Date().addingTimeInterval(15)
        while received < size, Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += n
            Thread.sleep(forTimeInterval: 0.006)
        }
        #expect(received > size, "received \(received) of \(size) body bytes before the connection ended")
    }
}
