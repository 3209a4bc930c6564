import Foundation

/// A real `redis-server` (Debian package `redis-server`) on a free loopback port, with a password, no
/// persistence, stopped (SIGKILL) when released. `nil` from ``locate()`` when the binary is not installed:
/// the tests that need it say so and skip (.ci/run and scripts/install-deps install it).
final class RedisServerProcess: @unchecked Sendable {
    let port: Int
    let password: String
    /// The `redis-server` binary (to start another on the same port).
    let binary: String
    private let process: Process
    private let logURL: URL

    /// The `redis-server` binary, or `nil`.
    static func locate() -> String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why a test that needs Redis skips.
    static let missingMessage =
        "redis-server is not installed (apt-get install redis-server): shared-cache tests skipped"

    /// Starts the server (on `port`, or a free one) and waits until it accepts connections.
    init(
        binary: String, directory: ScratchDirectory, port: Int? = nil, password: String = "s3cret-\(UUID().uuidString)"
    )
        throws
    {
        self.binary = binary
        self.port = try port ?? freePort()
        self.password = password
        self.logURL = directory.url.appendingPathComponent("redis-\(self.port).log")
        _ = FileManager.default.createFile(atPath: self.logURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--requirepass", password, "--dir", directory.url.path, "--daemonize", "no",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: self.logURL)
        process.standardError = process.standardOutput
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? self.command(["PING"])) == "+PONG" { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw E2EError.startFailed("redis-server did not start: \(self.log)")
    }

    deinit { self.kill() }

    var log: String { (try? String(contentsOf: self.logURL, encoding: .utf8)) ?? "" }

    /// SIGKILL (Redis dies mid-run).
    func kill() {
        guard self.process.isRunning else { return }
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    /// `redis://:PASSWORD@127.0.0.1:PORT/0`.
    var url: String { "redis://:\(self.password)@127.0.0.1:\(self.port)/0" }

    /// Sends one command (after `AUTH`) as RESP over a fresh connection and returns the reply's text, e.g.
    /// `+PONG`, or for `KEYS` every line of the reply joined by `\n`.
    func command(_ arguments: [String]) throws -> String {
        let client = try RawClient(port: self.port, receiveTimeout: 1)
        var request = ""
        for command in [["AUTH", self.password], arguments] {
            request += "*\(command.count)\r\n"
            for argument in command { request += "$\(argument.utf8.count)\r\n\(argument)\r\n" }
        }
        client.send(request)
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(2)
        // The AUTH answer, then the command's.
        while Date() < deadline {
            if text.hasPrefix(Self.authOK), Self.isComplete(text.dropFirst(Self.authOK.count)) { break }
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        guard text.hasPrefix(Self.authOK) else { throw E2EError.unexpected("redis AUTH: \(text)") }
        return String(text.dropFirst(Self.authOK.count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `AUTH`'s answer (`"\r\n"` is one `Character`: count in characters, never in bytes).
    static let authOK = "+OK\r\n"

    /// Whether `reply` holds one whole RESP reply (simple forms, bulk strings and arrays of bulk strings).
    static func isComplete(_ reply: Substring) -> Bool {
        let lines = reply.components(separatedBy: "\r\n").dropLast()
        guard let first = lines.first, let kind = first.first else { return false }
        switch kind {
        case "+", "-", ":": return true
        case "$": return first == "$-1" || lines.count >= 2
        case "*":
            guard let count = Int(first.dropFirst()) else { return false }
            return count <= 0 || lines.count >= 1 + 2 * count
        default: return true
        }
    }
}
