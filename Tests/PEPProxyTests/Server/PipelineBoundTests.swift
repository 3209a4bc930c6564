import Foundation
import PEPCore
import Testing

@testable import PEPProxy

/// A client that pipelines requests without reading the answers must not make the proxy buffer without bound:
/// once 64 KiB of answers wait for it, no further request is served until they drain, and once 16 KiB of its
/// requests wait, no more is read (so its own sends block). Found by a newcomer trial: a client sending
/// pipelined `GET`s without reading grew the process by 1.1 GB in 15 s.
@Suite struct PipelineBoundTests {
    /// A non-blocking loopback socket with 8 KiB kernel buffers (set before `connect`, so the window stays small).
    static func smallBufferedSocket(port: Int) throws -> Int32 {
        let fd = try RawClient.connectedSocket(port: port, bufferBytes: 8 * 1024)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    /// Sends as much of `bytes` as the socket takes within `seconds` (non-blocking); returns the bytes sent.
    static func sendFor(_ fd: Int32, _ bytes: [UInt8], seconds: Double) -> Int {
        var offset = 0
        let deadline = Date().addingTimeInterval(seconds)
        while offset < bytes.count, Date() < deadline {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress, min($0.count, 65536), Int32(MSG_NOSIGNAL))
            }
            if n > 0 { offset += n } else { Thread.sleep(forTimeInterval: 0.005) }
        }
        return offset
    }

    /// Reads until `count` status lines have arrived or `seconds` pass; returns the status lines seen.
    static func readAnswers(_ fd: Int32, count: Int, seconds: Double) -> Int {
        var seen = 0
        var carry: [UInt8] = []
        let marker = Array("HTTP/1.1 200".utf8)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = Date().addingTimeInterval(seconds)
        while seen < count, Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                Thread.sleep(forTimeInterval: 0.005)
                continue
            }
            let chunk = carry + buffer[0..<n]
            var index = 0
            while index + marker.count <= chunk.count {
                if chunk[index] == marker[0], Array(chunk[index..<(index + marker.count)]) == marker {
                    seen += 1
                    index += marker.count
                } else {
                    index += 1
                }
            }
            carry = Array(chunk.suffix(marker.count - 1))
        }
        return seen
    }

    /// 2 000 pipelined requests for 8 KiB answers (16 MB), not read: the upstream sees only those whose answers fit
    /// in the kernel's socket buffers (4 MiB at most on Linux loopback by default) and the 64 KiB bound, about
    /// 500; before the bound every request was served and its answer queued. Once the client reads, every
    /// request is answered.
    @Test func answersWaitingForTheClientStopFurtherRequests() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 8 * 1024)
        let proxy = try TestProxy(upstream: { _ in HTTPResponseMessage(status: 200, headers: [], body: body) })
        defer { proxy.stop() }
        let fd = try Self.smallBufferedSocket(port: proxy.proxyPort)
        defer { close(fd) }
        let count = 2_000
        let requests = Array(String(repeating: "GET /p HTTP/1.1\r\nHost: api.test\r\n\r\n", count: count).utf8)
        var sent = 0
        // Until the upstream stops seeing requests (0.5 s without one), at most 20 s.
        var servedWhileUnread = -1
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            sent += Self.sendFor(fd, Array(requests[sent...]), seconds: 0.5)
            Thread.sleep(forTimeInterval: 0.5)
            let now = proxy.recorder.requests.count
            if now == servedWhileUnread { break }
            servedWhileUnread = now
        }
        #expect(servedWhileUnread < 1_200, "\(servedWhileUnread) requests served while the client read nothing")
        var answered = 0
        while answered < count, Date() < deadline.addingTimeInterval(20) {
            if sent < requests.count { sent += Self.sendFor(fd, Array(requests[sent...]), seconds: 0.05) }
            answered += Self.readAnswers(fd, count: count - answered, seconds: 0.2)
        }
        #expect(answered == count)
        #expect(proxy.recorder.requests.count == count)
    }

    /// Requests pipelined without pause while the answers are not read: the proxy stops reading them, so the
    /// client's sends block after the kernel buffers fill, instead of the proxy taking in everything sent.
    @Test func pipelinedRequestsAreNotReadAheadWithoutBound() throws {
        // Small answers: requests are served fast, and the answers' bound is far away (the reads are the test).
        let body = Array("ok".utf8)
        let proxy = try TestProxy(upstream: { _ in HTTPResponseMessage(status: 200, headers: [], body: body) })
        defer { proxy.stop() }
        let fd = try Self.smallBufferedSocket(port: proxy.proxyPort)
        defer { close(fd) }
        let request = Array("GET /p HTTP/1.1\r\nHost: api.test\r\n\r\n".utf8)
        let requests = Array([[UInt8]](repeating: request, count: 20_000_000 / request.count).joined())
        // Before the bound, each request served was followed by a read of up to 16 KiB while it took 36 bytes out.
        let sent = Self.sendFor(fd, requests, seconds: 2)
        // What was sent beyond the requests served waits in kernel buffers and at most 32 KiB of the proxy's.
        let waiting = sent - proxy.recorder.requests.count * request.count
        #expect(
            waiting < 1_000_000, "\(waiting) bytes of pipelined requests taken in beyond those served, no answer read")
    }
}

/// A connection closed after an answer while the client is still sending (a head over the limit, a body after
/// `413`) lingers: it shuts down its sending side and reads and drops what comes, so the client's sends complete
/// and it reads the answer and an end of stream, not a reset (nginx's lingering close). Found by a newcomer
/// trial: a 20 KB header got its `431` followed by a reset.
@Suite struct LingeringCloseTests {
    /// Sends `bytes` with blocking sends; returns the first error (`errno`), or nil when all went out.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress, min($0.count, 65536), Int32(MSG_NOSIGNAL))
            }
            if n < 0 { return errno }
            offset += n
        }
        return nil
    }

    /// Reads to the end of the stream; returns the bytes and the error that ended it, if any.
    static func readToEnd(_ fd: Int32) -> ([UInt8], Int32?) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, nil) }
            if n < 0 { return (out, errno) }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    /// A head of 8 MB (far over `max_header_bytes`) sent whole: every byte is accepted, then `431` and an end of
    /// stream. Closing at once left megabytes unread: the client's send failed with a reset.
    @Test func anOversizedHeadIsAnsweredAndNotReset() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        let head =
            Array("GET / HTTP/1.1\r\nHost: api.test\r\nX-Big: ".utf8)
            + [UInt8](repeating: UInt8(ascii: "a"), count: 8_000_000) + Array("\r\n\r\n".utf8)
        let sendError = Self.sendAll(client.fd, head)
        #expect(sendError == nil, "send failed: errno \(sendError ?? 0)")
        let (answer, readError) = Self.readToEnd(client.fd)
        #expect(String(decoding: answer.prefix(12), as: UTF8.self) == "HTTP/1.1 431")
        #expect(readError == nil, "read ended with errno \(readError ?? 0)")
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A body sent after its `413`: the answer, then an end of stream; none of the body is parsed as a request.
    @Test func aBodyAfter413IsDropped() throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 10
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        let smuggled = String(repeating: "GET /admin HTTP/1.1\r\nHost: api.test\r\n\r\n", count: 50_000)
        let request = "POST /photos HTTP/1.1\r\nHost: api.test\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n"
        let sendError = Self.sendAll(client.fd, Array((request + smuggled).utf8))
        #expect(sendError == nil, "send failed: errno \(sendError ?? 0)")
        let (answer, readError) = Self.readToEnd(client.fd)
        #expect(String(decoding: answer.prefix(12), as: UTF8.self) == "HTTP/1.1 413")
        #expect(readError == nil, "read ended with errno \(readError ?? 0)")
        #expect(proxy.recorder.requests.isEmpty)
    }
}
