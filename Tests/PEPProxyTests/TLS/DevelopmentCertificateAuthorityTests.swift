import Foundation
import Testing

@testable import PEPProxy

@Suite(.serialized) struct DevelopmentCertificateAuthorityTests {
    /// A server certificate it issues verifies against its CA for the names asked for, over a real handshake.
    @Test(arguments: ["localhost", "127.0.0.1"])
    func issuesServerCertificatesThatVerify(name: String) throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server", commonName: "test server", names: [name])
        let server = try TLSLocalServer(
            tls: try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files])))
        defer { server.stop() }
        let client = try TLSTestClient(
            port: server.port, options: .init(caFile: pki.caPath, serverName: name))
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == 200)
        #expect(client.version == "TLSv1.3")
        // The other name is not covered.
        let other = name == "localhost" ? "127.0.0.1" : "localhost"
        #expect(throws: TLSTestClientError.self) {
            _ = try TLSTestClient(port: server.port, options: .init(caFile: pki.caPath, serverName: other))
        }
    }

    /// A client-usage certificate does not pass as a server certificate (extendedKeyUsage is enforced).
    @Test func clientCertificatesAreNotServerCertificates() throws {
        let pki = try TLSTestPKI()
        let files = try pki.files("server", usage: .client)
        let server = try TLSLocalServer(
            tls: try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files])))
        defer { server.stop() }
        #expect {
            _ = try TLSTestClient(port: server.port, options: .init(caFile: pki.caPath))
        } throws: { error in
            (error as? TLSTestClientError)?.reason.contains("certificate verify failed") == true
        }
    }

    /// The files it writes are PEM, and the private keys are readable by the owner only.
    @Test func writesPEMFilesWithPrivateKeys0600() throws {
        let directory = NSTemporaryDirectory() + "uma-pep-devcerts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try DevelopmentCertificateAuthority.writeDevelopmentFiles(
            to: directory, serverNames: ["localhost", "127.0.0.1"])
        let ca = try String(contentsOfFile: files.caCertificatePath, encoding: .utf8)
        #expect(ca.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let key = try String(contentsOfFile: files.server.privateKeyPath, encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let attributes = try FileManager.default.attributesOfItem(atPath: files.client.privateKeyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        _ = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files.server]))
        _ = try TLSClientContext(
            configuration: TLSClientConfiguration(caFilePath: files.caCertificatePath, clientCertificate: files.client))
    }
}
