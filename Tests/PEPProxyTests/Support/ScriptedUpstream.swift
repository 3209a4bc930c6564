import Foundation

/// A raw TCP upstream for tests, on 127.0.0.1 port 0: records every byte received per connection and answers
/// each request with a scripted raw response. Bounded: it stops when `stop()` is called or after 60 s.
final class ScriptedUpstream: @unchecked Sendable {
    /// How to answer one request (given the raw request bytes seen so far on that connection).
    typealias Script = @Sendable (_ request: String) -> [UInt8]?

    let port: Int
    private let listenFD: Int32
    private let lock = NSLock()
    private var _connections: [[UInt8]] = []
    private var stopped = false
    private let script: Script

    /// Bytes received, one entry per accepted connection.
    var connections: [[UInt8]] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self._connections
    }

    /// Everything received on all connections, as text.
    var receivedText: String {
        self.connections.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n---\n")
    }

    private let closeAfterReply: Bool

    init(closeAfterReply: Bool = false, script: @escaping Script) throws {
        self.script = script
        self.closeAfterReply = closeAfterReply
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(fd, 64)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listenFD = fd
        self.port = Int(UInt16(bigEndian: bound.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    func stop() {
        self.lock.lock()
        self.stopped = true
        self.lock.unlock()
        shutdown(self.listenFD, Int32(SHUT_RDWR))
        close(self.listenFD)
    }

    private var isStopped: Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.stopped
    }

    private func acceptLoop() {
        let deadline = Date().addingTimeInterval(60)
        while !self.isStopped, Date() < deadline {
            let fd = accept(self.listenFD, nil, nil)
            if fd < 0 { return }
            self.lock.lock()
            let index = self._connections.count
            self._connections.append([])
            self.lock.unlock()
            let thread = Thread { [self] in self.serve(fd: fd, index: index) }
            thread.start()
        }
    }

    /// How each connection's reading ended: 0 for a FIN, else the `errno` of the failed `recv` (`ECONNRESET`).
    private var _endings: [Int: Int32] = [:]
    var endings: [Int: Int32] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self._endings
    }

    /// Total body bytes received by Content-Length requests (large bodies are counted, not kept).
    private(set) var bodyBytesCounted: Int = 0
    private static let recordCap = 1 << 20

    private func serve(fd: Int32, index: Int) {
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var skipBody = 0
        var headText = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !self.isStopped {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                let code = n == 0 ? 0 : errno
                self.lock.lock()
                self._endings[index] = code
                self.lock.unlock()
                return
            }
            self.lock.lock()
            if self._connections[index].count < Self.recordCap {
                self._connections[index].append(contentsOf: buffer[0..<min(n, Self.recordCap)])
            }
            self.lock.unlock()
            var chunk = Array(buffer[0..<n])
            if skipBody > 0 {
                let take = min(skipBody, chunk.count)
                skipBody -= take
                self.lock.lock()
                self.bodyBytesCounted += take
                self.lock.unlock()
                chunk.removeFirst(take)
                if skipBody == 0 {
                    guard self.answer(fd, headText) else { return }
                }
            }
            pending.append(contentsOf: chunk)
            // A large Content-Length body is counted as it streams, not buffered.
            if skipBody == 0, let end = pending.firstRange(of: Array("\r\n\r\n".utf8)),
                let length = Self.contentLength(pending[0..<end.lowerBound]), length > 65536
            {
                headText = String(decoding: pending[0..<end.upperBound], as: UTF8.self)
                let have = pending.count - end.upperBound
                let take = min(have, length)
                self.lock.lock()
                self.bodyBytesCounted += take
                self.lock.unlock()
                skipBody = length - take
                pending.removeFirst(end.upperBound + take)
                if skipBody == 0 {
                    guard self.answer(fd, headText) else { return }
                }
                continue
            }
            // Answer each complete request (head + Content-Length or chunked body).
            while skipBody == 0, let used = Self.requestLength(pending) {
                let request = String(decoding: pending[0..<used], as: UTF8.self)
                pending.removeFirst(used)
                guard self.answer(fd, request) else { return }
            }
        }
    }

    private func answer(_ fd: Int32, _ request: String) -> Bool {
        guard let reply = self.script(request) else { return false }
        if !reply.isEmpty {
            _ = reply.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        return !self.closeAfterReply
    }

    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard let line = text.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") })
        else { return nil }
        return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
    }

    /// The length of the first complete request in `data`, or nil.
    static func requestLength(_ data: [UInt8]) -> Int? {
        guard let end = data.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[0..<end.lowerBound], as: UTF8.self).lowercased()
        if let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let n = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        {
            return data.count >= end.upperBound + n ? end.upperBound + n : nil
        }
        if head.contains("transfer-encoding: chunked") {
            guard let terminator = data[end.upperBound...].firstRange(of: Array("0\r\n\r\n".utf8)) else { return nil }
            return terminator.upperBound
        }
        return end.upperBound
    }
}
