import Foundation
import Testing

@testable import PEPProxy

/// A private nginx (when installed; `scripts/install-deps` installs it) as the upstream: the proxy against a
/// production HTTP/1.1 server, not only our own test peers.
final class NginxUpstream: @unchecked Sendable {
    static var binary: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let port: Int
    let directory: URL
    private let process = Process()

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("uma-pep-nginx-\(UUID())")
        let html = self.directory.appendingPathComponent("html")
        try FileManager.default.createDirectory(at: html, withIntermediateDirectories: true)
        try Data(repeating: 0x62, count: 1 << 20).write(to: html.appendingPathComponent("big"))
        self.port = try Self.freePort()
        let d = self.directory.path
        let config = """
            daemon off; master_process off; worker_processes 1; pid \(d)/nginx.pid; error_log \(d)/error.log warn;
            events { worker_connections 256; }
            http {
              access_log off; keepalive_requests 1000; keepalive_timeout 60s;
              client_body_temp_path \(d)/body; proxy_temp_path \(d)/proxy; fastcgi_temp_path \(d)/fcgi;
              uwsgi_temp_path \(d)/uwsgi; scgi_temp_path \(d)/scgi;
              server {
                listen 127.0.0.1:\(self.port);
                location / { add_header X-Connection $connection; return 200 "ok $request_method $uri\\n"; }
                location = /big { root \(d)/html; add_header X-Connection $connection; }
                location = /upload { client_max_body_size 100m; add_header X-Connection $connection; return 201 "stored\\n"; }
              }
            }
            """
        try config.write(to: self.directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        self.process.executableURL = URL(fileURLWithPath: Self.binary ?? "/usr/sbin/nginx")
        self.process.arguments = ["-p", d, "-e", "\(d)/error.log", "-c", "\(d)/nginx.conf"]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if (try? RawClient(port: self.port)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        self.stop()
        throw RawClientError.connect(-1)
    }

    /// Stops nginx: SIGTERM, then SIGKILL after 2 s. (A child spawned from a test thread can inherit a signal
    /// mask that blocks SIGTERM; single-process nginx then never sees it, so the kill must not be waited on
    /// unbounded.)
    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while self.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: self.directory)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: bound.sin_port))
    }
}

@Suite(.serialized, .enabled(if: NginxUpstream.binary != nil, "nginx is not installed"))
struct NginxUpstreamTests {
    /// Keep-alive both sides against nginx: several requests on one client connection reuse one nginx connection.
    @Test func keepAliveReuseAgainstNginx() throws {
        let nginx = try NginxUpstream()
        defer { nginx.stop() }
        let proxy = try TestProxy(upstreamPort: nginx.port)
        defer { proxy.stop() }
        let client = try proxy.client()
        var connections: Set<String> = []
        for i in 0..<5 {
            client.send("GET /r\(i) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
            #expect(response.bodyText == "ok GET /r\(i)\n")
            connections.insert(response.header("x-connection") ?? "?")
        }
        #expect(connections.count == 1)
    }

    /// A 1 MiB static file, HEAD, and a 16 MiB upload go through intact.
    @Test func bodiesAndHeadAgainstNginx() throws {
        let nginx = try NginxUpstream()
        defer { nginx.stop() }
        var limits = ServerLimits()
        limits.maxBodyBytes = 64 << 20
        let proxy = try TestProxy(limits: limits, upstreamPort: nginx.port)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /big HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let big = try #require(client.readResponse(timeout: 10))
        #expect(big.body.count == 1 << 20)
        #expect(big.body.allSatisfy { $0 == 0x62 })
        client.send("HEAD /big HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let head = try #require(client.readResponse(headRequest: true))
        #expect(head.status == 200)
        #expect(head.header("content-length") == "\(1 << 20)")
        let size = 16 << 20
        client.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nContent-Length: \(size)\r\n\r\n")
        let block = [UInt8](repeating: 0x63, count: 1 << 20)
        for _ in 0..<16 { client.send(block) }
        let upload = try #require(client.readResponse(timeout: 20))
        #expect(upload.status == 201)
        #expect(upload.bodyText == "stored\n")
    }
}
