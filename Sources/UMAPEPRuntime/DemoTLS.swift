import PEPCore
import PEPProxy

/// `uma-pep demo --tls`: a development CA and one server certificate (loopback and the tutorial's host names)
/// shared by the proxy, the development authorization server and the demo API, and the tutorial configuration
/// rewritten to use them — an HTTPS listener, and the CA as `ca_file` for the control plane and the upstreams.
struct DemoTLS {
    /// The names the demo's server certificate covers.
    static let serverNames = [
        "localhost", "127.0.0.1", "::1", "non-claim-gathering.example.com", "claim-gathering.example.com",
    ]

    let files: DevelopmentTLSFiles
    let serverContext: TLSServerContext

    /// Generates the CA and certificates into `directory`.
    ///
    /// - Throws: `TLSError`, or a file error.
    init(directory: String) throws {
        self.files = try DevelopmentCertificateAuthority.writeDevelopmentFiles(
            to: directory, serverNames: Self.serverNames)
        self.serverContext = try TLSServerContext(
            configuration: TLSServerConfiguration(certificates: [self.files.server]))
    }

    /// The tutorial configuration with TLS: every listener HTTPS with the server certificate, every authorization
    /// server and every `https` upstream verified against the development CA.
    func apply(to configuration: PEPConfiguration) -> PEPConfiguration {
        let listenerTLS = ListenerTLS(
            certificatePath: self.files.server.certificatePath, privateKeyPath: self.files.server.privateKeyPath)
        let ca = self.files.caCertificatePath
        return PEPConfiguration(
            sourceFile: configuration.sourceFile + " with --tls",
            listeners: configuration.listeners.map { ListenerConfiguration(address: $0.address, tls: listenerTLS) },
            admin: configuration.admin, workerCount: configuration.workerCount, limits: configuration.limits,
            authorizationServers: configuration.authorizationServers.map { server in
                AuthorizationServerConfiguration(
                    name: server.name, mode: server.mode, oxdURL: server.oxdURL, opURL: server.opURL,
                    oxdId: server.oxdId, clientId: server.clientId, clientSecret: server.clientSecret, caFile: ca,
                    insecureSkipVerify: false, connectTimeout: server.connectTimeout, timeout: server.timeout,
                    registerResources: server.registerResources, realm: server.realm,
                    clientCertificate: server.clientCertificate)
            },
            cache: configuration.cache, consumers: configuration.consumers,
            consumerMapping: configuration.consumerMapping, trustedProxies: configuration.trustedProxies,
            trustRequestId: configuration.trustRequestId, pathParams: configuration.pathParams,
            encodedSlashes: configuration.encodedSlashes, foldCase: configuration.foldCase,
            services: configuration.services.map { service in
                guard service.upstream.scheme == .https else { return service }
                return ServiceConfiguration(
                    name: service.name, policy: service.policy, protectionDocument: service.protectionDocument,
                    rawProtectionDocument: service.rawProtectionDocument, upstream: service.upstream,
                    hosts: service.hosts, preserveHost: service.preserveHost,
                    upstreamTLS: UpstreamTLS(caFile: ca, clientCertificate: service.upstreamTLS.clientCertificate))
            }, claimsGathering: configuration.claimsGathering)
    }
}
