import Logging
import PEPCore
import PEPProxy

/// Turns the configuration's TLS settings into the data plane's OpenSSL contexts, at start, so a bad file is an
/// error naming the config field and the file before anything is bound.
enum RuntimeTLS {
    /// Services with the same upstream host and the same `upstream_tls` share one context (and its pool and
    /// session).
    struct Key: Hashable {
        var host: String
        var configuration: TLSClientConfiguration
    }

    /// The client context for an `https` service.
    ///
    /// - Throws: `RuntimeError` naming `services[i].upstream_tls` and the file.
    static func context(
        for service: ServiceConfiguration, index: Int, cache: inout [Key: TLSClientContext], logger: Logger
    ) throws -> TLSClientContext {
        let tls = service.upstreamTLS
        let configuration = TLSClientConfiguration(
            caFilePath: tls.caFile, insecureSkipVerify: tls.insecureSkipVerify,
            clientCertificate: tls.clientCertificate.map {
                TLSCertificateFiles(certificatePath: $0.certificatePath, privateKeyPath: $0.privateKeyPath)
            })
        let key = Key(host: service.upstream.host, configuration: configuration)
        if let existing = cache[key] { return existing }
        if tls.insecureSkipVerify {
            logger.warning(
                "TLS verification is OFF for an upstream (development only)", metadata: ["service": "\(service.name)"])
        }
        do {
            let context = try TLSClientContext(configuration: configuration)
            cache[key] = context
            return context
        } catch {
            throw RuntimeError("services[\(index)].upstream_tls: \(error)")
        }
    }

    /// The server context of a TLS listener.
    ///
    /// - Throws: `RuntimeError` naming `listen[i].tls` and the file.
    static func listenerContext(_ tls: ListenerTLS, index: Int) throws -> TLSServerContext {
        let configuration = TLSServerConfiguration(
            certificates: tls.certificates.map {
                TLSCertificateFiles(certificatePath: $0.certificatePath, privateKeyPath: $0.privateKeyPath)
            },
            clientCAPath: tls.clientCAPath)
        do {
            return try TLSServerContext(configuration: configuration)
        } catch {
            throw RuntimeError("listen[\(index)].tls: \(error)")
        }
    }
}
