import COpenSSL
import Foundation
import Testing

@testable import PEPProxy

/// mTLS on both sides: listeners that require client certificates, and client certificates sent upstream.
@Suite(.serialized) struct TLSClientCertificateTests {
    private func mtlsProxy(_ pki: TLSTestPKI) throws -> TLSTestProxy {
        try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")], clientCAPath: pki.caPath),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
    }

    /// Without a client certificate the handshake is refused (in TLS 1.3 the client learns it from the alert
    /// that follows its Finished), and no request reaches the upstream.
    @Test(arguments: [TLS1_2_VERSION, TLS1_3_VERSION])
    func refusesClientsWithoutACertificate(version: Int32) throws {
        let pki = try TLSTestPKI()
        let proxy = try self.mtlsProxy(pki)
        defer { proxy.stop() }
        var options = TLSTestClient.Options(caFile: pki.caPath)
        options.minVersion = version
        options.maxVersion = version
        do {
            let client = try TLSTestClient(port: proxy.proxyPort, options: options)
            client.send(tlsTestRequest())
            #expect(client.readResponse(timeout: 3) == nil)
        } catch let error as TLSTestClientError {
            // TLS 1.2: handshake_failure alert; TLS 1.3: certificate_required.
            #expect(error.reason.contains("certificate") || error.reason.contains("handshake failure"))
        }
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A client certificate from another CA is refused too.
    @Test func refusesAClientCertificateFromAnotherCA() throws {
        let pki = try TLSTestPKI()
        let proxy = try self.mtlsProxy(pki)
        defer { proxy.stop() }
        let other = try DevelopmentCertificateAuthority(commonName: "other CA")
        var options = TLSTestClient.Options(caFile: pki.caPath)
        options.certificate = try pki.files("mallory", commonName: "mallory", names: [], usage: .client, by: other)
        do {
            let client = try TLSTestClient(port: proxy.proxyPort, options: options)
            client.send(tlsTestRequest())
            #expect(client.readResponse(timeout: 3) == nil)
        } catch let error as TLSTestClientError {
            #expect(error.reason.contains("unknown ca") || error.reason.contains("certificate"))
        }
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A verified client's subject reaches the upstream in `X-Client-Cert-Subject`, replacing any copy the
    /// client sent.
    @Test func forwardsTheVerifiedSubject() throws {
        let pki = try TLSTestPKI()
        let proxy = try self.mtlsProxy(pki)
        defer { proxy.stop() }
        var options = TLSTestClient.Options(caFile: pki.caPath)
        options.certificate = try pki.files("alice", commonName: "alice", names: [], usage: .client)
        let client = try TLSTestClient(port: proxy.proxyPort, options: options)
        client.send(tlsTestRequest(extra: "X-Client-Cert-Subject: CN=admin\r\n"))
        #expect(client.readResponse()?.status == 200)
        let request = try #require(proxy.recorder.requests.first)
        let values = request.headers.filter { $0.name.lowercased() == "x-client-cert-subject" }.map(\.value)
        #expect(values == ["CN=alice,O=uma-pep development"])
    }

    /// On a listener without client certificates, a client-sent `X-Client-Cert-Subject` is dropped.
    @Test func dropsAClientSentSubjectHeader() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest(extra: "X-Client-Cert-Subject: CN=admin\r\n"))
        #expect(client.readResponse()?.status == 200)
        let request = try #require(proxy.recorder.requests.first)
        #expect(!request.headers.contains { $0.name.lowercased() == "x-client-cert-subject" })
    }

    /// An upstream that requires client certificates accepts uma-pep's configured one and refuses it missing.
    @Test(arguments: [true, false])
    func presentsAClientCertificateUpstream(configured: Bool) throws {
        let pki = try TLSTestPKI()
        let clientFiles = try pki.files("pep", commonName: "uma-pep", names: [], usage: .client)
        let upstream = try TLSLocalServer(
            tls: try TLSServerContext(
                configuration: TLSServerConfiguration(
                    certificates: [try pki.files("upstream")], clientCAPath: pki.caPath)))
        defer { upstream.stop() }
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("unused"),
            upstreamClient: TLSClientConfiguration(
                caFilePath: pki.caPath, clientCertificate: configured ? clientFiles : nil),
            upstreamPortOverride: upstream.port)
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == (configured ? 200 : 502))
    }
}
