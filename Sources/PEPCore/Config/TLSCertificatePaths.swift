/// A PEM certificate chain file and its PEM private key file, as configured (`certificate` / `private_key` in
/// `listen[].tls`, `client_certificate` / `client_private_key` for upstreams and authorization servers). The
/// core only checks the shape; the shells open the files at start and report a missing or mismatched one.
public struct TLSCertificatePaths: Sendable, Equatable, Hashable {
    /// The certificate chain file: leaf first, then intermediates.
    public let certificatePath: String
    /// The unencrypted private key file.
    public let privateKeyPath: String

    /// Creates a pair of paths.
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
