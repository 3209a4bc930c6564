import Foundation
import Logging
import PEPCore

@testable import PEPProxy

/// A temporary directory with a test CA and certificates made by `DevelopmentCertificateAuthority`; removed
/// when the object goes away.
final class TLSTestPKI {
    let directory: String
    let ca: DevelopmentCertificateAuthority
    let caPath: String

    init() throws {
        self.directory = NSTemporaryDirectory() + "uma-pep-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.ca = try DevelopmentCertificateAuthority(commonName: "uma-pep test CA")
        self.caPath = self.directory + "/ca.pem"
        try self.ca.writeCertificate(to: self.caPath)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.directory) }

    func path(_ name: String) -> String { self.directory + "/" + name }

    /// Issues a certificate and writes `<name>.pem` / `<name>-key.pem`.
    func files(
        _ name: String, commonName: String = "localhost", names: [String] = ["localhost", "127.0.0.1"],
        usage: DevelopmentCertificateAuthority.Usage = .server, validityDays: Int = 30,
        by authority: DevelopmentCertificateAuthority? = nil
    ) throws -> TLSCertificateFiles {
        let files = TLSCertificateFiles(
            certificatePath: self.path("\(name).pem"), privateKeyPath: self.path("\(name)-key.pem"))
        try (authority ?? self.ca).issue(commonName: commonName, names: names, usage: usage, validityDays: validityDays)
            .write(certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
        return files
    }
}

/// An HTTPS upstream (uma-pep's own server with a TLS listener and a recording echo responder) and a proxy in
/// front of it with a TLS listener, on loopback port 0.
final class TLSTestProxy {
    let recorder = UpstreamRecorder()
    let upstreamServer: HTTPServer
    let proxyServer: HTTPServer
    let upstreamPort: Int
    let proxyPort: Int
    let upstreamTLS: TLSClientContext

    /// - Parameters:
    ///   - proxyTLS: the proxy listener's certificates (nil = plain listener).
    ///   - upstreamCertificate: the certificate the upstream serves.
    ///   - upstreamClient: how the proxy verifies the upstream.
    ///   - upstreamName: the host of the service URL (SNI, verified name).
    ///   - upstreamPortOverride: forward to this port instead of the built-in upstream.
    ///   - plainUpstream: the built-in upstream speaks plain HTTP (and the proxy forwards to it without TLS).
    ///   - upstream: the built-in upstream's answers (default: echo).
    init(
        proxyTLS: TLSServerConfiguration?, upstreamCertificate: TLSCertificateFiles,
        upstreamClient: TLSClientConfiguration, upstreamName: String = "localhost",
        limits: ServerLimits = ServerLimits(), upstreamPortOverride: Int? = nil, plainUpstream: Bool = false,
        upstream: @escaping @Sendable (HTTPRequestMessage) -> HTTPResponseMessage = TestProxy.echo
    ) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let recorder = self.recorder
        let responder = SyncResponder { request in
            recorder.record(request)
            return upstream(request)
        }
        self.upstreamServer = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(parsing: "127.0.0.1:0"), role: .local(responder), name: "upstream",
                    tls: plainUpstream
                        ? nil
                        : try TLSServerContext(
                            configuration: TLSServerConfiguration(certificates: [upstreamCertificate])))
            ],
            workers: 1, limits: ServerLimits(), logger: logger)
        let started = try self.upstreamServer.start()[0].port
        self.upstreamPort = upstreamPortOverride ?? started
        self.upstreamTLS = try TLSClientContext(configuration: upstreamClient)
        let service = ProxyService(
            name: "api",
            upstream: UpstreamTarget(
                address: try SocketAddress(host: "127.0.0.1", port: self.upstreamPort),
                hostHeader: "\(upstreamName):\(self.upstreamPort)", tls: plainUpstream ? nil : self.upstreamTLS,
                serverName: upstreamName))
        let routes = try RouteTable<Int>([(patterns: [try HostPattern(parsing: "api.test")], value: 0)])
        let engine = ProxyEngine(
            services: [service], routes: routes, options: ProxyOptions(), authorizer: AllowAllAuthorizer())
        self.proxyServer = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(parsing: "127.0.0.1:0"), role: .proxy(engine), name: "proxy",
                    tls: try proxyTLS.map { try TLSServerContext(configuration: $0) })
            ],
            workers: 1, limits: limits, logger: logger)
        self.proxyPort = try self.proxyServer.start()[0].port
    }

    func stop() {
        self.proxyServer.shutdown(graceful: false)
        self.upstreamServer.shutdown(graceful: false)
    }
}

/// `GET path` for the test route, keep-alive.
func tlsTestRequest(_ path: String = "/hello", extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: api.test\r\n\(extra)\r\n"
}
