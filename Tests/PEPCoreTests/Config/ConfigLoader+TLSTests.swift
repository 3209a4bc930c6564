import Testing

@testable import PEPCore

@Suite struct ConfigLoaderTLSTests {
    /// `certificates` adds SNI certificates after the default pair; a list alone makes its first entry the default.
    @Test func loadsSeveralListenerCertificates() throws {
        let text = ConfigTestSupport.config(
            topExtra: """
                listen:
                  - address: "0.0.0.0:8443"
                    tls:
                      certificate: /tls/default.pem
                      private_key: /tls/default-key.pem
                      certificates:
                        - {certificate: /tls/b.pem, private_key: /tls/b-key.pem}
                      client_ca: /tls/clients.pem
                  - address: "0.0.0.0:9443"
                    tls:
                      certificates:
                        - {certificate: /tls/c.pem, private_key: /tls/c-key.pem}
                        - {certificate: /tls/d.pem, private_key: /tls/d-key.pem}
                """)
        let config = try ConfigTestSupport.load(text)
        let first = try #require(config.listeners[0].tls)
        #expect(
            first.certificates == [
                TLSCertificatePaths(certificatePath: "/tls/default.pem", privateKeyPath: "/tls/default-key.pem"),
                TLSCertificatePaths(certificatePath: "/tls/b.pem", privateKeyPath: "/tls/b-key.pem"),
            ])
        #expect(first.clientCAPath == "/tls/clients.pem")
        let second = try #require(config.listeners[1].tls)
        #expect(second.certificatePath == "/tls/c.pem")
        #expect(second.additionalCertificates.map(\.certificatePath) == ["/tls/d.pem"])
        #expect(
            config.checkReport().contains("0.0.0.0:8443 (https, client certificate required, 2 certificates by SNI)"))
    }

    /// Client certificates for upstreams and authorization servers are read as pairs.
    @Test func loadsClientCertificates() throws {
        let text = ConfigTestSupport.config()
            .replacingOccurrences(
                of: "    client_secret: s3cr3t-value",
                with: "    client_secret: s3cr3t-value\n    client_certificate: /tls/pep.pem\n"
                    + "    client_private_key: /tls/pep-key.pem"
            )
            .replacingOccurrences(of: "http://127.0.0.1:9000", with: "https://backend.internal")
            .replacingOccurrences(
                of: "    hosts: [api.example.com]",
                with: "    hosts: [api.example.com]\n"
                    + "    upstream_tls: {client_certificate: /tls/up.pem, client_private_key: /tls/up-key.pem}")
        let config = try ConfigTestSupport.load(text)
        #expect(
            config.authorizationServers[0].clientCertificate
                == TLSCertificatePaths(certificatePath: "/tls/pep.pem", privateKeyPath: "/tls/pep-key.pem"))
        #expect(
            config.services[0].upstreamTLS
                == UpstreamTLS(
                    clientCertificate: TLSCertificatePaths(
                        certificatePath: "/tls/up.pem", privateKeyPath: "/tls/up-key.pem")))
    }

    /// Incomplete TLS settings name the missing field.
    @Test(arguments: [
        (
            "listen: [{address: \"127.0.0.1:1\", tls: {certificates: []}}]", "listen[0].tls.certificates",
            "config.missing_field"
        ),
        (
            "listen: [{address: \"127.0.0.1:1\", tls: {certificates: [{certificate: c}]}}]",
            "listen[0].tls.certificates[0].private_key", "config.missing_field"
        ),
        (
            "listen: [{address: \"127.0.0.1:1\", tls: {private_key: k, certificates: [{certificate: c, private_key: k}]}}"
                + "]",
            "listen[0].tls.certificate", "config.missing_field"
        ),
        (
            "listen: [{address: \"127.0.0.1:1\", tls: {certificates: [{certificate: c, private_key: k, sni: x}]}}]",
            "listen[0].tls.certificates[0].sni", "config.unknown_field"
        ),
        ("listen: [{address: \"127.0.0.1:1\", tls: {}}]", "listen[0].tls.certificate", "config.missing_field"),
    ])
    func refusesIncompleteListenerTLS(extra: String, fieldPath: String, detail: String) {
        let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: extra))
        #expect(error?.fieldPath == fieldPath)
        #expect(error?.detail == detail)
    }

    /// A client certificate without its key (or the reverse) is an error naming the missing one.
    @Test func refusesHalfAClientCertificate() {
        let server = ConfigTestSupport.config().replacingOccurrences(
            of: "    client_secret: s3cr3t-value",
            with: "    client_secret: s3cr3t-value\n    client_private_key: /k.pem")
        let serverError = ConfigTestSupport.error(server)
        #expect(serverError?.fieldPath == "authorization_servers.gluu.client_certificate")
        #expect(serverError?.detail == "config.missing_field")
        let upstream = ConfigTestSupport.config()
            .replacingOccurrences(of: "http://127.0.0.1:9000", with: "https://backend.internal")
            .replacingOccurrences(
                of: "    hosts: [api.example.com]",
                with: "    hosts: [api.example.com]\n    upstream_tls: {client_certificate: /c.pem}")
        let upstreamError = ConfigTestSupport.error(upstream)
        #expect(upstreamError?.fieldPath == "services[0].upstream_tls.client_private_key")
        #expect(upstreamError?.detail == "config.missing_field")
    }
}
