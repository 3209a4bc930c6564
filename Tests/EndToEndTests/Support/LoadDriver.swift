import Foundation

/// Sends many requests over a few keep-alive connections, one thread per connection (bounded: every read has a
/// deadline, a closed connection is reopened once per request), and collects the response statuses.
enum LoadDriver {
    /// Runs `count` requests; `request(i)` gives the bytes of request `i` (keep-alive: no `Connection: close`).
    /// - Returns: the status of every request in index order (0 when no response arrived).
    static func run(port: Int, count: Int, connections: Int, request: @escaping @Sendable (Int) -> [UInt8])
        -> [Int]
    {
        let results = ResultBox(count: count)
        let group = DispatchGroup()
        let threads = max(1, min(connections, count))
        for worker in 0..<threads {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var client = try? RawClient(port: port)
                var index = worker
                while index < count {
                    let bytes = request(index)
                    var status = 0
                    for _ in 0..<2 {
                        if client == nil { client = try? RawClient(port: port) }
                        guard let connection = client else { break }
                        connection.send(bytes)
                        if let response = connection.readResponse(timeout: 10) {
                            status = response.status
                            if response.header("Connection")?.lowercased() == "close" { client = nil }
                            break
                        }
                        client = nil
                    }
                    results.set(index, status)
                    index += threads
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return results.values
    }

    /// A keep-alive `GET`.
    static func get(_ target: String, host: String, token: String?) -> [UInt8] {
        var head = "GET \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        return Array((head + "\r\n").utf8)
    }
}

/// Thread-safe result slots.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int]

    init(count: Int) { self.storage = Array(repeating: 0, count: count) }

    func set(_ index: Int, _ value: Int) {
        self.lock.lock()
        self.storage[index] = value
        self.lock.unlock()
    }

    var values: [Int] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.storage
    }
}
