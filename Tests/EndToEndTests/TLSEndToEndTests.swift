import Foundation
import Testing

/// The built binary over HTTPS: the tutorial with development certificates, the control plane talking to oxd
/// (the development authorization server) over HTTPS with a test CA, and failing closed with an unknown CA.
@Suite(.serialized) struct TLSEndToEndTests {
    /// `demo --self-test --tls`: the tutorial flows (with the browser flow) pass with the proxy, the authorization server and the demo
    /// API all on HTTPS, verified against the generated CA.
    @Test func tutorialRunsOverHTTPS() throws {
        let result = try UMAPEPProcess.run(["demo", "--self-test", "--tls"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("6 passed, 0 failed"))
    }

    /// oxd over HTTPS with the test CA as `ca_file`: an HTTPS client gets the 401 + ticket that only a successful
    /// `/uma-rs-check-access` call produces.
    @Test func callsOXDOverHTTPSWithTheTestCA() throws {
        let setup = try OXDOverTLS(caFile: true)
        defer { setup.stop() }
        let response = try setup.curlThroughProxy()
        #expect(response.contains("HTTP/1.1 401"), "\(response)\n\(setup.serve.stderr)")
        #expect(response.contains("ticket="))
    }

    /// With an unknown CA (the system trust store, which does not know the test CA) and no
    /// `insecure_skip_verify`, the call fails closed: 502, and the log says it was TLS.
    @Test func failsClosedWithAnUnknownCA() throws {
        let setup = try OXDOverTLS(caFile: false)
        defer { setup.stop() }
        let response = try setup.curlThroughProxy(retrying: false)
        #expect(response.contains("HTTP/1.1 502"), "\(response)")
        #expect(setup.serve.waitFor(stderr: "oxd.transport.tls", timeout: 5), "\(setup.serve.stderr)")
        #expect(setup.serve.stderr.contains("reason=SSL certificate problem"), "\(setup.serve.stderr)")
    }

    /// SIGHUP makes `serve` load the listener's certificate files again: new connections get the new
    /// certificate (signed by another CA here), while a bad file would leave the old one in place.
    @Test func reloadsListenerCertificatesOnSIGHUP() throws {
        let first = try Self.developmentFiles()
        let second = try Self.developmentFiles()
        defer { [first, second].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let live = first + "/live"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        for name in ["server.pem", "server-key.pem"] {
            try FileManager.default.copyItem(atPath: first + "/" + name, toPath: live + "/" + name)
        }
        let path = first + "/serve.yaml"
        try Data(OXDOverTLS.config(directory: live, oxdPort: 1, caFile: false).utf8)
            .write(to: URL(fileURLWithPath: path))
        let serve = try BackgroundProcess(["serve", "--config", path])
        defer { serve.stop() }
        guard serve.waitFor(stdout: "admin listening on", timeout: 10),
            let line = serve.stdout.split(separator: "\n").first(where: { $0.contains("proxy listening on") }),
            let port = line.split(separator: ":").last
        else {
            Issue.record("serve did not start: \(serve.stderr)")
            return
        }
        #expect(try curlHandshake(port: String(port), caFile: first + "/ca.pem"))
        for name in ["server.pem", "server-key.pem"] {
            try FileManager.default.removeItem(atPath: live + "/" + name)
            try FileManager.default.copyItem(atPath: second + "/" + name, toPath: live + "/" + name)
        }
        serve.signal(SIGHUP)
        #expect(serve.waitFor(stderr: "TLS certificates reloaded", timeout: 5), "\(serve.stderr)")
        #expect(try curlHandshake(port: String(port), caFile: second + "/ca.pem"))
        #expect(try !curlHandshake(port: String(port), caFile: first + "/ca.pem"))
    }

    /// A directory with a development CA and certificates, made by `dev-as --tls` (started and stopped).
    static func developmentFiles() throws -> String {
        let directory = NSTemporaryDirectory() + "uma-pep-e2e-certs-\(UUID().uuidString)"
        let devAS = try BackgroundProcess(["dev-as", "--tls", "--tls-dir", directory, "--listen", "127.0.0.1:0"])
        _ = devAS.waitFor(stdout: "listening on", timeout: 10)
        devAS.stop()
        return directory
    }

    /// A key that does not match its certificate stops `serve` with a message naming the file.
    @Test func refusesAMismatchedListenerKey() throws {
        let directory = try Self.developmentFiles()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = OXDOverTLS.config(
            directory: directory, oxdPort: 1, caFile: true, keyFile: directory + "/client-key.pem")
        let path = directory + "/serve.yaml"
        try Data(config.utf8).write(to: URL(fileURLWithPath: path))
        let result = try UMAPEPProcess.run(["serve", "--config", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("listen[0].tls"), "\(result.stderr)")
        #expect(result.stderr.contains(directory + "/client-key.pem"), "\(result.stderr)")
    }
}

/// `uma-pep dev-as --tls` on a free port and `uma-pep serve` with a TLS listener whose oxd is that server.
struct OXDOverTLS {
    let directory: String
    let devAS: BackgroundProcess
    let serve: BackgroundProcess
    let proxyPort: String

    init(caFile: Bool) throws {
        self.directory = NSTemporaryDirectory() + "uma-pep-e2e-tls-\(UUID().uuidString)"
        let port = try freePort()
        self.devAS = try BackgroundProcess([
            "dev-as", "--tls", "--tls-dir", self.directory, "--listen", "127.0.0.1:\(port)",
        ])
        guard self.devAS.waitFor(stdout: "listening on", timeout: 10) else {
            throw E2EError.unexpected("dev-as did not start: \(self.devAS.stderr)")
        }
        let path = self.directory + "/serve.yaml"
        try Data(Self.config(directory: self.directory, oxdPort: port, caFile: caFile).utf8)
            .write(to: URL(fileURLWithPath: path))
        self.serve = try BackgroundProcess(["serve", "--config", path])
        guard self.serve.waitFor(stdout: "admin listening on", timeout: 10),
            let line = self.serve.stdout.split(separator: "\n").first(where: { $0.contains("proxy listening on") }),
            let port = line.split(separator: ":").last
        else {
            throw E2EError.unexpected("serve did not start: \(self.serve.stderr)")
        }
        self.proxyPort = String(port)
    }

    func stop() {
        self.serve.stop()
        self.devAS.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// `curl -i` of a protected path through the proxy's TLS listener, verified against the test CA; retried
    /// while it gives 502 for up to 5 s (resource registration runs in the background after start).
    func curlThroughProxy(retrying: Bool = true) throws -> String {
        let deadline = Date().addingTimeInterval(retrying ? 5 : 0)
        var response = try self.curlOnce()
        while response.contains("HTTP/1.1 502"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            response = try self.curlOnce()
        }
        return response
    }

    private func curlOnce() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "curl", "-sS", "-i", "--max-time", "10", "--cacert", self.directory + "/ca.pem",
            "-H", "Host: api.test", "https://localhost:\(self.proxyPort)/posts/1",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func config(directory: String, oxdPort: Int, caFile: Bool, keyFile: String? = nil) -> String {
        """
        listen:
          - address: "127.0.0.1:0"
            tls: {certificate: \(directory)/server.pem, private_key: \(keyFile ?? directory + "/server-key.pem")}
        admin: {listen: "127.0.0.1:0"}
        workers: 1
        authorization_servers:
          dev:
            mode: oxd
            oxd_url: https://127.0.0.1:\(oxdPort)
            op_url: https://127.0.0.1:\(oxdPort)
            oxd_id: demo-oxd-id
            client_id: demo-client
            client_secret: demo-secret
        \(caFile ? "    ca_file: \(directory)/ca.pem\n    register_resources: true" : "")
        services:
          - name: api
            url: http://127.0.0.1:9
            hosts: [api.test]
            authorization_server: dev
            uma_scope_expression:
              - path: /posts/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
        """
    }
}

/// Whether `curl --cacert caFile` completes a TLS handshake with the proxy on `port` (any HTTP status).
func curlHandshake(port: String, caFile: String) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "curl", "-s", "-o", "/dev/null", "--max-time", "5", "--cacert", caFile, "https://localhost:\(port)/",
    ]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
}

/// A long-running `uma-pep` subcommand (or another program, `executable`) whose output is collected as it comes.
final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    init(_ args: [String], executable: URL = UMAPEPProcess.binaryURL) throws {
        self.process.executableURL = executable
        self.process.arguments = args
        let stdout = Pipe()
        let stderr = Pipe()
        self.process.standardOutput = stdout
        self.process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.append(text, toStdout: true)
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.append(text, toStdout: false)
        }
        try self.process.run()
    }

    private func append(_ text: String, toStdout: Bool) {
        self.lock.lock()
        if toStdout { self.out += text } else { self.err += text }
        self.lock.unlock()
    }

    var stdout: String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.out
    }

    var stderr: String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.err
    }

    func waitFor(stdout text: String, timeout: Double) -> Bool {
        self.waitUntil(timeout) { self.stdout.contains(text) }
    }

    func waitFor(stderr text: String, timeout: Double) -> Bool {
        self.waitUntil(timeout) { self.stderr.contains(text) }
    }

    private func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !self.process.isRunning { return condition() }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) {
        kill(self.process.processIdentifier, signal)
    }

    /// SIGTERM, then waits for the exit — at most 3 s, then SIGKILL (a test must never hang on a process).
    func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while self.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }
}

/// A loopback TCP port that was free a moment ago.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw E2EError.unexpected("no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
