/// A PEM certificate chain file and the PEM private key file that belongs to it (leaf certificate first in the
/// chain file, then intermediates; the key unencrypted).
public struct TLSCertificateFiles: Sendable, Hashable {
    /// The certificate chain file (`certificate`).
    public var certificatePath: String
    /// The private key file (`private_key`).
    public var privateKeyPath: String

    /// Creates a pair of paths (nothing is read yet).
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// What a TLS listener serves (`listen[].tls`): TLS 1.2 and 1.3 only, the modern cipher list of
/// `TLSContextBuilder`, ALPN `http/1.1`, one or more certificates chosen by SNI, optional client certificates.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// Certificates in order of preference. The first is served when the client sends no SNI name or a name none
    /// of them covers; otherwise the first whose subjectAltName (or CN) matches the SNI name (RFC 6066 §3,
    /// RFC 6125 matching via `X509_check_host`). Never empty for a valid configuration.
    public var certificates: [TLSCertificateFiles]
    /// A PEM CA bundle; when set, every client must present a certificate that chains to it (mTLS), else the
    /// handshake is refused. `nil` = no client certificates are asked for.
    public var clientCAPath: String?

    /// Creates a configuration.
    public init(certificates: [TLSCertificateFiles], clientCAPath: String? = nil) {
        self.certificates = certificates
        self.clientCAPath = clientCAPath
    }
}

/// How uma-pep verifies and authenticates to a TLS upstream (`services[].upstream_tls`).
public struct TLSClientConfiguration: Sendable, Hashable {
    /// A PEM CA bundle to verify the upstream's certificate; `nil` = the system trust store.
    public var caFilePath: String?
    /// Skip certificate and host-name verification (development only; the runtime logs a warning).
    public var insecureSkipVerify: Bool
    /// A client certificate to present when the upstream asks for one (mTLS); `nil` = none.
    public var clientCertificate: TLSCertificateFiles?

    /// Creates a configuration; the defaults verify against the system trust store.
    public init(
        caFilePath: String? = nil, insecureSkipVerify: Bool = false, clientCertificate: TLSCertificateFiles? = nil
    ) {
        self.caFilePath = caFilePath
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificate = clientCertificate
    }
}
