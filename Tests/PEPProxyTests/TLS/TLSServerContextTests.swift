import COpenSSL
import Foundation
import Logging
import Testing

@testable import PEPProxy

@Suite(.serialized) struct TLSServerContextTests {
    /// A missing certificate file is an error naming that file.
    @Test func namesAMissingCertificateFile() throws {
        let pki = try TLSTestPKI()
        let key = try pki.files("server").privateKeyPath
        let missing = pki.path("nope.pem")
        #expect {
            _ = try TLSServerContext(
                configuration: TLSServerConfiguration(
                    certificates: [TLSCertificateFiles(certificatePath: missing, privateKeyPath: key)]))
        } throws: { error in
            guard case .certificateUnreadable(let path, _) = error as? TLSError else { return false }
            return path == missing && "\(error)".contains(missing)
        }
    }

    /// A file that is not PEM is refused as a certificate, naming the file.
    @Test func refusesAGarbageCertificate() throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: files.certificatePath))
        #expect(throws: TLSError.self) {
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files]))
        }
    }

    /// A key that belongs to another certificate is a mismatch naming both files.
    @Test func detectsAKeyThatDoesNotMatchTheCertificate() throws {
        let pki = try TLSTestPKI()
        let first = try pki.files("first")
        let second = try pki.files("second")
        let mixed = TLSCertificateFiles(certificatePath: first.certificatePath, privateKeyPath: second.privateKeyPath)
        #expect {
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [mixed]))
        } throws: { error in
            (error as? TLSError)
                == .keyMismatch(
                    certificatePath: first.certificatePath, privateKeyPath: second.privateKeyPath)
        }
    }

    /// A missing key file is an error naming it.
    @Test func namesAMissingKeyFile() throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server")
        let missing = TLSCertificateFiles(certificatePath: files.certificatePath, privateKeyPath: pki.path("gone.pem"))
        #expect {
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [missing]))
        } throws: { error in
            guard case .privateKeyUnreadable(let path, _) = error as? TLSError else { return false }
            return path == pki.path("gone.pem")
        }
    }

    /// An unreadable client CA bundle is an error naming it; no certificate at all is refused too.
    @Test func refusesAMissingClientCAAndAnEmptyList() throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server")
        #expect {
            _ = try TLSServerContext(
                configuration: TLSServerConfiguration(certificates: [files], clientCAPath: pki.path("no-ca.pem")))
        } throws: { error in
            guard case .caFileUnreadable(let path, _) = error as? TLSError else { return false }
            return path == pki.path("no-ca.pem")
        }
        #expect(throws: TLSError.noCertificate) {
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: []))
        }
    }

    /// SNI picks the first certificate covering the name, and the first one without a name or a match.
    @Test(
        arguments: [
            ("a.test", 0), ("b.test", 1), ("x.wild.test", 2), ("unknown.test", 0), (nil, 0),
        ] as [(String?, Int)])
    func selectsTheCertificateBySNI(serverName: String?, expected: Int) throws {
        let pki = try TLSTestPKI()
        let context = try TLSServerContext(
            configuration: TLSServerConfiguration(certificates: [
                try pki.files("a", commonName: "a.test", names: ["a.test"]),
                try pki.files("b", commonName: "b.test", names: ["b.test"]),
                try pki.files("w", commonName: "wild", names: ["*.wild.test"]),
            ]))
        #expect(context.certificateIndex(forServerName: serverName) == expected)
        let server = try TLSLocalServer(tls: context)
        defer { server.stop() }
        var options = TLSTestClient.Options(caFile: pki.caPath, serverName: serverName)
        if serverName == "unknown.test" || serverName == nil { options.caFile = nil }
        let client = try TLSTestClient(port: server.port, options: options)
        let expectedCN = ["a.test", "b.test", "wild"][expected]
        #expect(client.peerCommonName == expectedCN)
    }

    /// Reloading swaps certificates for new connections only: an open connection keeps working, a new one sees
    /// the new certificate; a reload with a broken file changes nothing and names the file.
    @Test func reloadsCertificatesWithoutDroppingConnections() throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server", commonName: "first")
        let server = try TLSLocalServer(
            tls: try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files])))
        defer { server.stop() }
        let old = try TLSTestClient(port: server.port, options: .init(caFile: pki.caPath))
        #expect(old.peerCommonName == "first")
        old.send(tlsTestRequest())
        #expect(old.readResponse()?.status == 200)

        _ = try pki.files("server", commonName: "second")
        #expect(try server.http.reloadTLS() == 1)
        old.send(tlsTestRequest("/again"))
        #expect(old.readResponse()?.status == 200)
        let fresh = try TLSTestClient(port: server.port, options: .init(caFile: pki.caPath))
        #expect(fresh.peerCommonName == "second")

        try Data("garbage".utf8).write(to: URL(fileURLWithPath: files.privateKeyPath))
        #expect {
            try server.http.reloadTLS()
        } throws: { error in
            "\(error)".contains(files.privateKeyPath)
        }
        let after = try TLSTestClient(port: server.port, options: .init(caFile: pki.caPath))
        #expect(after.peerCommonName == "second")
    }
}

/// uma-pep's HTTP server with one TLS listener answering 200 to everything (local responder).
final class TLSLocalServer {
    let http: HTTPServer
    let port: Int

    init(tls: TLSServerContext) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        self.http = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(parsing: "127.0.0.1:0"),
                    role: .local(SyncResponder { _ in HTTPResponseMessage(status: 200, body: Array("ok".utf8)) }),
                    name: "tls", tls: tls)
            ],
            workers: 1, limits: ServerLimits(), logger: logger)
        self.port = try self.http.start()[0].port
    }

    func stop() { self.http.shutdown(graceful: false) }
}
