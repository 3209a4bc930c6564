import Foundation

/// A blocking TCP client for tests: sends raw bytes and reads raw responses with a deadline, so tests control
/// every byte (curl normalizes paths and headers). Adapted from `PEPProxyTests/Support/RawClient.swift`; bytes
/// read past one response are kept for the next `readResponse`.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var leftover: [UInt8] = []

    /// Connects to `host:port` (IPv4).
    /// - Throws: `RawClientError.connect(errno)` when the connection is refused.
    init(port: Int, host: String = "127.0.0.1", receiveTimeout: Double = 10) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(self.fd)
            throw RawClientError.connect(code)
        }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
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

    /// Reads one HTTP/1.1 response (head + Content-Length or chunked body); nil on timeout or close first.
    func readResponse(timeout: Double = 10, headRequest: Bool = false) -> RawResponse? {
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
}

extension RawClient {
    /// Reads one response from each client as it arrives (`poll`), recording when it was complete.
    /// - Returns: per client, in order, the response and its arrival time, or nil when none arrived in time.
    static func readResponses(_ clients: [RawClient], timeout: Double) -> [(response: RawResponse, at: Date)?] {
        var results: [(response: RawResponse, at: Date)?] = Array(repeating: nil, count: clients.count)
        var pending = Set(clients.indices)
        let deadline = Date().addingTimeInterval(timeout)
        while !pending.isEmpty, Date() < deadline {
            let order = Array(pending)
            var fds = order.map { pollfd(fd: clients[$0].fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            guard ready > 0 else { continue }
            for (slot, index) in order.enumerated() where fds[slot].revents != 0 {
                pending.remove(index)
                if let response = clients[index].readResponse(timeout: 5) { results[index] = (response, Date()) }
            }
        }
        return results
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

    /// The first value of `name` (case-insensitive).
    func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Every value of `name` (case-insensitive).
    func headers(_ name: String) -> [String] {
        self.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    /// The body as a JSON object (nil if it is not one).
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
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
                guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return nil }
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

/// One-shot HTTP/1.1 exchanges over `RawClient` (a new connection per request, `Connection: close`).
enum HTTP {
    /// Sends `method target` with `Host: host`, the given header lines (sent verbatim, in order) and body.
    /// - Throws: `E2EError.unexpected` when no complete response arrives within `timeout`.
    static func request(
        port: Int, _ method: String = "GET", _ target: String, host: String, headers: [(String, String)] = [],
        body: [UInt8] = [], timeout: Double = 10
    ) throws -> RawResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        return try self.raw(port: port, Array(head.utf8) + body, timeout: timeout, headRequest: method == "HEAD")
    }

    /// Sends `bytes` as they are and reads one response.
    static func raw(port: Int, _ bytes: [UInt8], timeout: Double = 10, headRequest: Bool = false) throws
        -> RawResponse
    {
        let client = try RawClient(port: port, receiveTimeout: timeout)
        client.send(bytes)
        guard let response = client.readResponse(timeout: timeout, headRequest: headRequest) else {
            throw E2EError.unexpected("no complete response from port \(port) within \(timeout)s")
        }
        return response
    }

    /// A JSON `POST` to a local server (the dev AS hooks and oxd commands); returns status and parsed body.
    static func postJSON(
        port: Int, _ path: String, _ object: Any, headers: [(String, String)] = []
    ) throws -> (status: Int, json: [String: Any]?, response: RawResponse) {
        let body = try JSONSerialization.data(withJSONObject: object)
        let response = try self.request(
            port: port, "POST", path, host: "127.0.0.1:\(port)",
            headers: [("Content-Type", "application/json")] + headers, body: Array(body))
        return (response.status, response.json, response)
    }

    /// A form `POST` (`application/x-www-form-urlencoded`).
    static func postForm(
        port: Int, _ path: String, _ fields: [(String, String)], headers: [(String, String)] = []
    ) throws -> RawResponse {
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return try self.request(
            port: port, "POST", path, host: "127.0.0.1:\(port)",
            headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: Array(body.utf8))
    }

    /// `application/x-www-form-urlencoded` encoding of one name or value.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(
            of: "%20", with: "+")
    }
}
