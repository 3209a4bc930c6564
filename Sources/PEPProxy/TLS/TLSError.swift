/// Why TLS material could not be loaded or a TLS context could not be built. Every case names the file (or the
/// setting) involved, so a bad certificate at start or on reload is a message an operator can act on.
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A certificate (chain) file is missing, unreadable or not PEM. Carries the path and OpenSSL's reason.
    case certificateUnreadable(path: String, reason: String)
    /// A private key file is missing, unreadable, encrypted or not PEM. Carries the path and OpenSSL's reason.
    case privateKeyUnreadable(path: String, reason: String)
    /// The private key does not belong to the certificate (`SSL_CTX_check_private_key`).
    case keyMismatch(certificatePath: String, privateKeyPath: String)
    /// A CA bundle (`client_ca`, `ca_file`) is missing, unreadable or holds no certificate.
    case caFileUnreadable(path: String, reason: String)
    /// The system trust store could not be loaded (`SSL_CTX_set_default_verify_paths`).
    case systemTrustStoreUnavailable(reason: String)
    /// A listener has no certificate at all.
    case noCertificate
    /// OpenSSL refused to build a context (out of memory, no usable cipher). Carries the step and the reason.
    case contextFailed(step: String, reason: String)
    /// Development certificate generation failed at `step`.
    case generationFailed(step: String, reason: String)

    /// A stable identifier for logs, stats and tests (STYLE rule 8).
    public var detail: String {
        switch self {
        case .certificateUnreadable: return "tls.certificate_unreadable"
        case .privateKeyUnreadable: return "tls.private_key_unreadable"
        case .keyMismatch: return "tls.key_mismatch"
        case .caFileUnreadable: return "tls.ca_file_unreadable"
        case .systemTrustStoreUnavailable: return "tls.system_trust_store_unavailable"
        case .noCertificate: return "tls.no_certificate"
        case .contextFailed: return "tls.context_failed"
        case .generationFailed: return "tls.generation_failed"
        }
    }

    /// A human-readable message naming the file.
    public var description: String {
        switch self {
        case .certificateUnreadable(let path, let reason):
            return "\(path): cannot load the certificate (\(reason))"
        case .privateKeyUnreadable(let path, let reason):
            return "\(path): cannot load the private key (\(reason))"
        case .keyMismatch(let certificatePath, let privateKeyPath):
            return "\(privateKeyPath): the private key does not match the certificate in \(certificatePath)"
        case .caFileUnreadable(let path, let reason):
            return "\(path): cannot load the CA certificates (\(reason))"
        case .systemTrustStoreUnavailable(let reason):
            return "cannot load the system CA trust store (\(reason)); set ca_file"
        case .noCertificate:
            return "a TLS listener needs at least one certificate and private key"
        case .contextFailed(let step, let reason):
            return "OpenSSL could not build a TLS context at \(step) (\(reason))"
        case .generationFailed(let step, let reason):
            return "development certificate generation failed at \(step) (\(reason))"
        }
    }
}
