import Foundation

/// Real WebSocket peers from `Tests/python/websocket_peer.py` (the `websockets` library from PyPI, pip-installed
/// once into `.build/python-venv-websockets`): an upstream process and one client process per scenario.
enum WebSocketPeer {
    static let script = Repository.path("Tests/python/websocket_peer.py")

    /// The virtual environment's python, made once per test process (pip is bounded by the script: 300 s).
    static let python: Result<URL, any Error> = Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.script, "ensure-venv", "--venv", Repository.path(".build/python-venv-websockets"),
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !path.isEmpty else {
            throw E2EError.startFailed("websocket_peer.py ensure-venv failed (\(process.terminationStatus))")
        }
        return URL(fileURLWithPath: path)
    }

    /// The upstream: a WebSocket server (`/ws/echo`, `/ws/close-first`) and a raw server answering every request
    /// with `101`, both on 127.0.0.1.
    final class Upstream: @unchecked Sendable {
        let process: BackgroundProcess
        let port: Int
        let rawPort: Int

        init() throws {
            self.process = try BackgroundProcess(
                [WebSocketPeer.script, "server"], executable: try WebSocketPeer.python.get())
            // Both port lines whole (output arrives in chunks that may end inside a line).
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline,
                !self.process.stdout.contains("raw listening on")
                    || !(self.process.stdout.components(separatedBy: "raw listening on").last ?? "").contains("\n")
            {
                Thread.sleep(forTimeInterval: 0.02)
            }
            guard self.process.stdout.contains("raw listening on") else {
                throw E2EError.startFailed("websocket upstream: \(self.process.stderr)")
            }
            let lines = self.process.stdout.split(separator: "\n")
            func port(_ label: String) -> Int {
                Int(lines.first { $0.hasPrefix(label) }?.split(separator: ":").last ?? "") ?? 0
            }
            self.port = port("websocket listening")
            self.rawPort = port("raw listening")
        }

        deinit { self.process.stop() }

        var url: String { "http://127.0.0.1:\(self.port)" }
        var rawURL: String { "http://127.0.0.1:\(self.rawPort)" }

        /// The paths of the WebSocket handshakes that reached it, in order.
        var handshakes: [String] {
            self.process.stdout.split(separator: "\n").filter { $0.hasPrefix("handshake ") }.map {
                String($0.dropFirst("handshake ".count))
            }
        }
    }

    /// Runs one client scenario against the proxy on `port` and returns its JSON result.
    /// - Parameters:
    ///   - url: `ws://HOST/PATH` or `wss://HOST/PATH` (HOST is the Host header and the TLS server name).
    ///   - token: sent as `Authorization: Bearer …` on the handshake.
    static func client(
        url: String, port: Int, token: String? = nil, scenario: String, cafile: String? = nil
    ) throws -> [String: Any] {
        let process = try BackgroundProcess(
            Self.arguments(url: url, port: port, token: token, scenario: scenario, cafile: cafile),
            executable: try Self.python.get())
        defer { process.stop() }
        _ = process.waitFor(stdout: "}\n", timeout: 70)
        let last = process.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] else {
            throw E2EError.unexpected("websocket client \(scenario): \(process.stdout)\n\(process.stderr)")
        }
        return object
    }

    /// A client that holds its tunnel open for `seconds` (then sends one message and closes), in the background.
    static func holdingClient(url: String, port: Int, token: String, seconds: Double) throws -> BackgroundProcess {
        try BackgroundProcess(
            Self.arguments(url: url, port: port, token: token, scenario: "hold", cafile: nil)
                + ["--hold", "\(seconds)"],
            executable: try Self.python.get())
    }

    private static func arguments(
        url: String, port: Int, token: String?, scenario: String, cafile: String?
    ) -> [String] {
        var arguments = [Self.script, "client", "--url", url, "--connect-port", "\(port)", "--scenario", scenario]
        if let token { arguments += ["--header", "Authorization: Bearer \(token)"] }
        if let cafile { arguments += ["--cafile", cafile] }
        return arguments
    }
}
