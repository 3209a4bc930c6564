import Foundation

/// A blocking TCP client for tests: sends raw bytes and reads raw responses with a deadline, so tests control
/// every byte (curl normalizes paths and headers).
final class RawClient {
    let fd: Int32

    /// Connects; reads time out after 5 s. `bufferBytes` sets the kernel's send and receive buffers before the
    /// connection is made (so the TCP window stays that small), or leaves the defaults.
    init(port: Int, host: String = "127.0.0.1", bufferBytes: Int32? = nil) throws {
        self.fd = try Self.connectedSocket(port: port, host: host, bufferBytes: bufferBytes)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A blocking TCP socket connected to `host:port` (IPv4); throws `RawClientError.connect(errno)`.
    static func connectedSocket(port: Int, host: String = "127.0.0.1", bufferBytes: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = bufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw RawClientError.connect(code)
        }
        return fd
    }

    deinit { close(self.fd) }

    func send(_ text: String) { self.send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Half-closes the write side.
    func shutdownWrite() { shutdown(self.fd, Int32(SHUT_WR)) }

    /// Reads until the peer closes or `timeout` passes; returns everything read.
    func readAll(timeout: Double = 5) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Reads one HTTP/1.1 response (head + Content-Length or chunked body); nil on timeout/close before complete.
    /// Bytes read past it (a pipelined response that came in the same read) start the next call's response.
    func readResponse(timeout: Double = 5, headRequest: Bool = false) -> RawResponse? {
        var data = self.leftover
        self.leftover = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            if let response = RawResponse.parse(data, headRequest: headRequest) {
                self.leftover = Array(data[response.length...])
                return response
            }
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
        }
        return nil
    }

    /// Bytes read after the last response ``readResponse(timeout:headRequest:)`` returned.
    var leftover: [UInt8] = []

    /// Whatever has arrived so far, without waiting.
    func poll() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Whether the server closed the connection (read returns 0 within `timeout`).
    func isClosedByPeer(timeout: Double = 3) -> Bool {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        while true {
            let n = recv(self.fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

enum RawClientError: Error { case connect(Int32) }

/// A parsed raw response (tests only; lenient).
struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var length: Int

    var bodyText: String { String(decoding: self.body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func parse(_ data: [UInt8], headRequest: Bool = false) -> RawResponse? {
        guard let end = data.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let headText = String(decoding: data[0..<end.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end.upperBound
        let response = RawResponse(status: status, headers: headers, body: [], length: bodyStart)
        if headRequest || status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if let cl = response.header("content-length").flatMap(Int.init) {
            guard data.count - bodyStart >= cl else { return nil }
            return RawResponse(
                status: status, headers: headers, body: Array(data[bodyStart..<bodyStart + cl]),
                length: bodyStart + cl)
        }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            var index = bodyStart
            var body: [UInt8] = []
            while true {
                guard let lineEnd = data[index...].firstRange(of: Array("\r\n".utf8)) else { return nil }
                let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { return nil }
                index = lineEnd.upperBound
                if size == 0 {
                    guard let trailerEnd = data[index...].firstRange(of: Array("\r\n".utf8)) else { return nil }
                    return RawResponse(status: status, headers: headers, body: body, length: trailerEnd.upperBound)
                }
                guard data.count >= index + size + 2 else { return nil }
                body.append(contentsOf: data[index..<index + size])
                index += size + 2
            }
        }
        return nil
    }
}
