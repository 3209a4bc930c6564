import Foundation

/// A tiny HTTP/1.1 server on 127.0.0.1 (port chosen by the kernel) for control-plane tests: plain POSIX sockets,
/// one background thread polling every connection, scripted replies, every request recorded.
///
/// Bounded: the thread stops itself after `lifetime` seconds even if `stop()` is never called.
final class ScriptedHTTPServer: @unchecked Sendable {
    /// One request as received.
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var connection: Int

        /// The first value of `name`, case-insensitively.
        func header(_ name: String) -> String? {
            self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The body as text.
        var bodyText: String { String(decoding: self.body, as: UTF8.self) }
    }

    /// What the server does with a request.
    enum Reply: Sendable {
        /// A complete response with `Content-Length`.
        case respond(status: Int, headers: [String: String], body: [UInt8])
        /// Raw bytes, then optionally close the connection (truncated or garbage responses).
        case raw([UInt8], close: Bool)
        /// Never answer; keep the connection open until the server stops.
        case hang
        /// Answer after a delay (milliseconds).
        indirect case delayed(Int, Reply)

        /// A JSON response.
        static func json(_ status: Int, _ text: String, headers: [String: String] = [:]) -> Reply {
            var all = headers
            all["Content-Type"] = "application/json"
            return .respond(status: status, headers: all, body: Array(text.utf8))
        }
    }

    private struct Connection {
        var fd: Int32
        var id: Int
        var buffer: [UInt8] = []
        var hung = false
    }

    private struct Pending {
        var due: Date
        var fd: Int32
        var reply: Reply
    }

    private struct State {
        var requests: [Request] = []
        var connections = 0
        var stopped = false
    }

    /// The bound port.
    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply
    private let greeting: [UInt8]?
    private let state = NSLock()
    private var shared = State()
    private let done = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1:0 and starts serving.
    /// - Parameters:
    ///   - lifetime: Seconds after which the server stops by itself.
    ///   - greeting: Bytes written to every connection as soon as it is accepted (e.g. to break a TLS handshake).
    ///   - handler: The reply for each request.
    init(
        lifetime: TimeInterval = 30, greeting: [UInt8]? = nil, handler: @escaping @Sendable (Request) -> Reply
    ) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 256) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        self.listener = fd
        self.handler = handler
        self.greeting = greeting
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = Date().addingTimeInterval(lifetime)
        let thread = Thread { [self] in self.serve(until: deadline) }
        thread.start()
    }

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(self.port)" }

    /// Requests received so far.
    var requests: [Request] {
        self.state.lock()
        defer { self.state.unlock() }
        return self.shared.requests
    }

    /// Connections accepted so far.
    var connectionCount: Int {
        self.state.lock()
        defer { self.state.unlock() }
        return self.shared.connections
    }

    /// Stops the thread and closes every socket; waits for it.
    func stop() {
        self.state.lock()
        let wasStopped = self.shared.stopped
        self.shared.stopped = true
        self.state.unlock()
        if !wasStopped { self.done.wait() }
    }

    /// A port on 127.0.0.1 with nothing listening (bound, then closed).
    static func unusedPort() throws -> UInt16 {
        let server = try ScriptedHTTPServer(lifetime: 1) { _ in .hang }
        let port = server.port
        server.stop()
        return port
    }

    private func isStopped() -> Bool {
        self.state.lock()
        defer { self.state.unlock() }
        return self.shared.stopped
    }

    private func serve(until deadline: Date) {
        var connections: [Connection] = []
        var pending: [Pending] = []
        var nextID = 0
        while !self.isStopped(), Date() < deadline {
            var fds = [pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 10)
            if fds[0].revents & Int16(POLLIN) != 0 {
                while true {
                    let client = accept(self.listener, nil, nil)
                    guard client >= 0 else { break }
                    var yes: Int32 = 1
                    setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
                    nextID += 1
                    connections.append(Connection(fd: client, id: nextID))
                    if let greeting = self.greeting { ScriptedHTTPServer.writeAll(client, greeting) }
                    self.state.lock()
                    self.shared.connections += 1
                    self.state.unlock()
                }
            }
            var closed = Set<Int32>()
            for (position, entry) in fds.enumerated().dropFirst() where entry.revents != 0 {
                let index = position - 1
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = read(entry.fd, &chunk, chunk.count)
                if count <= 0 {
                    closed.insert(entry.fd)
                    continue
                }
                if connections[index].hung { continue }
                connections[index].buffer += chunk[0..<count]
                while let request = ScriptedHTTPServer.parse(
                    &connections[index].buffer, connection: connections[index].id)
                {
                    self.state.lock()
                    self.shared.requests.append(request)
                    self.state.unlock()
                    let reply = self.handler(request)
                    if case .hang = reply {
                        connections[index].hung = true
                        break
                    }
                    pending.append(Pending(due: Date(), fd: entry.fd, reply: reply))
                }
            }
            let now = Date()
            var later: [Pending] = []
            for item in pending {
                if closed.contains(item.fd) { continue }
                if item.due > now {
                    later.append(item)
                    continue
                }
                switch item.reply {
                case .delayed(let milliseconds, let reply):
                    later.append(
                        Pending(
                            due: now.addingTimeInterval(Double(milliseconds) / 1000), fd: item.fd,
                            reply: reply))
                case .hang:
                    break
                case .raw(let bytes, let close):
                    ScriptedHTTPServer.writeAll(item.fd, bytes)
                    if close { closed.insert(item.fd) }
                case .respond(let status, let headers, let body):
                    var head = "HTTP/1.1 \(status) Scripted\r\nContent-Length: \(body.count)\r\n"
                    for (name, value) in headers { head += "\(name): \(value)\r\n" }
                    ScriptedHTTPServer.writeAll(item.fd, Array((head + "\r\n").utf8) + body)
                }
            }
            pending = later
            for fd in closed { close(fd) }
            connections.removeAll { closed.contains($0.fd) }
        }
        for connection in connections { close(connection.fd) }
        close(self.listener)
        self.state.lock()
        self.shared.stopped = true
        self.state.unlock()
        self.done.signal()
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// One complete request (head + `Content-Length` body) from the front of `buffer`, removed from it.
    private static func parse(_ buffer: inout [UInt8], connection: Int) -> Request? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= 4,
            let headEnd = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<($0 + 4)]) == separator })
        else { return nil }
        let lines = String(decoding: buffer[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
        guard buffer.count >= headEnd + 4 + length else { return nil }
        let body = Array(buffer[(headEnd + 4)..<(headEnd + 4 + length)])
        buffer.removeFirst(headEnd + 4 + length)
        return Request(
            method: requestLine.count > 0 ? String(requestLine[0]) : "",
            target: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers, body: body, connection: connection)
    }
}
