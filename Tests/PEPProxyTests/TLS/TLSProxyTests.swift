import COpenSSL
import Foundation
import Testing

@testable import PEPProxy

/// HTTPS client → uma-pep (TLS listener) → HTTPS upstream, over loopback, every certificate from a test CA.
@Suite(.serialized) struct TLSProxyTests {
    /// Two requests on one client connection are both proxied to the verified HTTPS upstream over one pooled
    /// upstream connection, and the upstream sees `X-Forwarded-Proto: https`.
    @Test func proxiesHTTPSToHTTPSWithKeepAliveOnBothSides() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        let client = try TLSTestClient(port: proxy.proxyPort, options: .init(caFile: pki.caPath))
        #expect(client.alpn == "http/1.1")
        for path in ["/one", "/two"] {
            client.send(tlsTestRequest(path))
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
            #expect(response.bodyText.hasPrefix("GET \(path)"))
        }
        #expect(proxy.recorder.requests.count == 2)
        let forwarded = proxy.recorder.requests.map { request in
            request.headers.first { $0.name.lowercased() == "x-forwarded-proto" }?.value
        }
        #expect(forwarded == ["https", "https"])
        #expect(proxy.upstreamTLS.handshakeCounts.full == 1)
        #expect(proxy.upstreamTLS.handshakeCounts.resumed == 0)
    }

    /// A TLS client that goes away in the middle of a large response frees its connection and the upstream
    /// exchange at once (an OpenSSL bufferevent stops writing when its peer closes, so this is never treated as
    /// a half-close that waits to flush).
    @Test func clientGoneMidResponseFreesTheConnection() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath)
        ) { _ in HTTPResponseMessage(status: 200, headers: [], body: [UInt8](repeating: 0x63, count: 32 << 20)) }
        defer { proxy.stop() }
        for _ in 0..<3 {
            let client = try TLSTestClient(port: proxy.proxyPort, options: .init(caFile: pki.caPath))
            client.send(tlsTestRequest("/big"))
            #expect(client.readSome() > 0)  // the response has started; then the client closes (deinit)
        }
        var freed = false
        for _ in 0..<60 where !freed {
            Thread.sleep(forTimeInterval: 0.05)
            freed = proxy.proxyServer.proxyConnections.count == 0
        }
        #expect(freed, "\(proxy.proxyServer.proxyConnections.count) connections still open")
    }

    /// A 2 MiB request body and a 2 MiB response body (8 × the relay's high watermark) stream through TLS on
    /// both sides intact, with backpressure pausing and resuming reads on TLS sockets.
    @Test func streamsLargeBodiesThroughTLSBothWays() throws {
        let pki = try TLSTestPKI()
        let body = Self.pattern(2 * 1024 * 1024)
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath)
        ) { request in
            HTTPResponseMessage(
                status: 200,
                headers: [
                    ("X-Body-Intact", request.body == body ? "yes" : "no"),
                    ("X-Body-Length", "\(request.body.count)"),
                ],
                body: body)
        }
        defer { proxy.stop() }
        let size = body.count
        let client = try TLSTestClient(port: proxy.proxyPort, options: .init(caFile: pki.caPath))
        client.send("POST /upload HTTP/1.1\r\nHost: api.test\r\nContent-Length: \(size)\r\n\r\n")
        client.send(bytes: body)
        let response = try #require(client.readResponse(timeout: 20))
        #expect(response.status == 200)
        #expect(response.header("x-body-length") == "\(size)")
        #expect(response.header("x-body-intact") == "yes")
        #expect(response.body == body)
    }

    /// Responses of every size around the direct TLS write's bounds (a head with up to 15 KiB of body in one
    /// `SSL_write`; a larger write sends the head first) reach a TLS client intact, one after another on one
    /// kept-alive connection, from a plain upstream (whose reads are staged) and from a TLS one.
    @Test(arguments: [false, true])
    func responsesOfEverySizeReachATLSClientIntact(plainUpstream: Bool) throws {
        let pki = try TLSTestPKI()
        let sizes = [0, 1, 100, 15_000, 15_300, 15_400, 16_384, 16_500, 70_000, 1_048_576]
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath), plainUpstream: plainUpstream
        ) { request in
            let size = Int(request.path.dropFirst(1)) ?? 0
            return HTTPResponseMessage(status: 200, headers: [], body: Self.pattern(size))
        }
        defer { proxy.stop() }
        let client = try TLSTestClient(port: proxy.proxyPort, options: .init(caFile: pki.caPath))
        for size in sizes {
            client.send(tlsTestRequest("/\(size)"))
            let response = try #require(client.readResponse(timeout: 20), "\(size)")
            #expect(response.status == 200)
            #expect(response.body == Self.pattern(size), "\(size) bytes")
        }
    }

    private static func pattern(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: index % 251) }
        }
        return bytes
    }

    /// The upstream's host goes out as SNI: an upstream that serves the right certificate only for that name
    /// (a default for another name) is verified.
    @Test func sendsTheUpstreamHostAsSNI() throws {
        let pki = try TLSTestPKI()
        let upstream = try TLSLocalServer(
            tls: try TLSServerContext(
                configuration: TLSServerConfiguration(certificates: [
                    try pki.files("default", commonName: "default.test", names: ["default.test"]),
                    try pki.files("named", commonName: "api.internal", names: ["api.internal"]),
                ])))
        defer { upstream.stop() }
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("unused"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath), upstreamName: "api.internal",
            upstreamPortOverride: upstream.port)
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == 200)
    }

    /// A new upstream connection resumes the TLS session of the previous one.
    @Test func resumesUpstreamSessions() throws {
        let pki = try TLSTestPKI()
        var limits = ServerLimits()
        limits.upstreamMaxRequests = 1
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath), limits: limits)
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        for _ in 0..<3 {
            client.send(tlsTestRequest())
            #expect(client.readResponse()?.status == 200)
        }
        #expect(proxy.upstreamTLS.handshakeCounts.full == 1)
        #expect(proxy.upstreamTLS.handshakeCounts.resumed == 2)
    }

    /// An upstream whose certificate was signed by another CA gets nothing: the client sees 502 and the upstream
    /// records no request.
    @Test func refusesAnUpstreamCertificateFromAnotherCA() throws {
        let pki = try TLSTestPKI()
        let other = try DevelopmentCertificateAuthority(commonName: "someone else's CA")
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("upstream", by: other),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        let response = try #require(client.readResponse())
        #expect(response.status == 502)
        #expect(proxy.recorder.requests.isEmpty)
        #expect(proxy.upstreamTLS.handshakeCounts.full == 0)
    }

    /// An upstream certificate for another host name is refused (host-name verification), with 502.
    @Test func refusesAnUpstreamCertificateForAnotherName() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: nil,
            upstreamCertificate: try pki.files("upstream", commonName: "other.test", names: ["other.test"]),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath), upstreamName: "localhost")
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == 502)
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// An expired upstream certificate is refused with 502.
    @Test func refusesAnExpiredUpstreamCertificate() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("upstream", validityDays: -1),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == 502)
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// `insecure_skip_verify` accepts any upstream certificate (development only).
    @Test func skipsVerificationWhenAskedTo() throws {
        let pki = try TLSTestPKI()
        let other = try DevelopmentCertificateAuthority(commonName: "someone else's CA")
        let proxy = try TLSTestProxy(
            proxyTLS: nil, upstreamCertificate: try pki.files("upstream", by: other),
            upstreamClient: TLSClientConfiguration(insecureSkipVerify: true))
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        #expect(client.readResponse()?.status == 200)
    }

    /// A client limited to TLS 1.1 is refused by the listener (protocol_version alert).
    @Test func refusesTLS11Clients() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        var options = TLSTestClient.Options(caFile: pki.caPath)
        options.minVersion = TLS1_1_VERSION
        options.maxVersion = TLS1_1_VERSION
        options.securityLevel = 0
        #expect {
            _ = try TLSTestClient(port: proxy.proxyPort, options: options)
        } throws: { error in
            (error as? TLSTestClientError)?.reason.contains("protocol version") == true
        }
        // The same client allowed TLS 1.2 gets through.
        options.maxVersion = TLS1_2_VERSION
        let client = try TLSTestClient(port: proxy.proxyPort, options: options)
        #expect(client.version == "TLSv1.2")
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// A plaintext HTTP request to a TLS port gets no HTTP answer and the connection is closed.
    @Test func refusesPlaintextOnATLSPort() throws {
        let pki = try TLSTestPKI()
        let proxy = try TLSTestProxy(
            proxyTLS: TLSServerConfiguration(certificates: [try pki.files("proxy")]),
            upstreamCertificate: try pki.files("upstream"),
            upstreamClient: TLSClientConfiguration(caFilePath: pki.caPath))
        defer { proxy.stop() }
        let client = try RawClient(port: proxy.proxyPort)
        client.send(tlsTestRequest())
        let answer = client.readAll(timeout: 3)
        #expect(!String(decoding: answer, as: UTF8.self).contains("HTTP/1.1"))
        #expect(proxy.recorder.requests.isEmpty)
    }
}
