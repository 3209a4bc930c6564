import Foundation
import Testing

@testable import PEPProxy

@Suite struct TLSClientContextTests {
    /// A missing `ca_file` is an error naming it.
    @Test func namesAMissingCAFile() throws {
        let pki = try TLSTestPKI()
        #expect {
            _ = try TLSClientContext(configuration: TLSClientConfiguration(caFilePath: pki.path("missing-ca.pem")))
        } throws: { error in
            guard case .caFileUnreadable(let path, _) = error as? TLSError else { return false }
            return path == pki.path("missing-ca.pem")
        }
    }

    /// A client certificate whose key does not match is refused, naming both files.
    @Test func refusesAMismatchedClientCertificate() throws {
        let pki = try TLSTestPKI()
        let a = try pki.files("a", usage: .client)
        let b = try pki.files("b", usage: .client)
        let mixed = TLSCertificateFiles(certificatePath: a.certificatePath, privateKeyPath: b.privateKeyPath)
        #expect(throws: TLSError.keyMismatch(certificatePath: a.certificatePath, privateKeyPath: b.privateKeyPath)) {
            _ = try TLSClientContext(
                configuration: TLSClientConfiguration(caFilePath: pki.caPath, clientCertificate: mixed))
        }
    }

    /// The system trust store loads when no `ca_file` is given, and contexts compare by identity.
    @Test func usesTheSystemTrustStoreByDefault() throws {
        let first = try TLSClientContext(configuration: TLSClientConfiguration())
        let second = try TLSClientContext(configuration: TLSClientConfiguration())
        #expect(first == first)
        #expect(first != second)
        #expect(first.handshakeCounts.full == 0)
    }

    /// A target's server name defaults to its `Host` value without the port, and `https` follows from TLS.
    @Test(arguments: [
        ("api.example.com:8443", "api.example.com"), ("api.example.com", "api.example.com"),
        ("[::1]:8443", "::1"), ("127.0.0.1:9000", "127.0.0.1"),
    ])
    func derivesTheServerNameFromTheHostHeader(host: String, expected: String) throws {
        let target = UpstreamTarget(
            address: try SocketAddress(parsing: "127.0.0.1:1"), hostHeader: host,
            tls: try TLSClientContext(configuration: TLSClientConfiguration(insecureSkipVerify: true)))
        #expect(target.serverName == expected)
        #expect(target.scheme == "https")
    }
}
