private import COpenSSL
import Foundation

/// A throwaway certificate authority for development and tests (`uma-pep demo --tls`, `dev-as --tls`, the TLS
/// tests): an EC P-256 key, a self-signed CA certificate, and leaf certificates it signs for server and client
/// authentication, all built with OpenSSL's X509 API (RFC 5280). Never for production: the keys live in memory
/// and in the files written, unencrypted.
///
/// Owns its `EVP_PKEY` and `X509` (freed in `deinit`).
public final class DevelopmentCertificateAuthority: @unchecked Sendable {
    /// What a leaf certificate may be used for (`extendedKeyUsage`, RFC 5280 §4.2.1.12).
    public enum Usage: Sendable {
        /// TLS server authentication (`serverAuth`).
        case server
        /// TLS client authentication (`clientAuth`), for mTLS.
        case client
    }

    /// A certificate and its private key, both PEM text.
    public struct Issued: Sendable {
        /// The PEM certificate (leaf only; the CA is `DevelopmentCertificateAuthority.certificatePEM`).
        public let certificatePEM: String
        /// The PEM (PKCS#8) private key.
        public let privateKeyPEM: String

        /// Writes the certificate and the key (mode 0600) to the given paths.
        ///
        /// - Throws: Foundation's file errors.
        public func write(certificatePath: String, privateKeyPath: String) throws {
            try Data(self.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificatePath))
            try DevelopmentCertificateAuthority.writePrivate(self.privateKeyPEM, to: privateKeyPath)
        }
    }

    private let key: OpaquePointer
    private let certificate: OpaquePointer
    /// The CA certificate, PEM: give it to clients as their trust anchor (`ca_file`, `curl --cacert`).
    public let certificatePEM: String
    /// The CA's private key, PEM (so another process can keep issuing from the same CA).
    public let privateKeyPEM: String

    /// Generates a new CA valid from an hour ago for `validityDays` days.
    ///
    /// - Throws: `TLSError.generationFailed` naming the OpenSSL step.
    public init(commonName: String = "uma-pep development CA", validityDays: Int = 30) throws(TLSError) {
        let key = try Self.generateKey()
        guard let certificate = X509_new() else {
            EVP_PKEY_free(key)
            throw .generationFailed(step: "X509_new", reason: OpenSSLErrorQueue.drain())
        }
        do throws(TLSError) {
            try Self.fill(
                certificate, subject: commonName, publicKey: key, issuer: nil, issuerKey: key,
                validityDays: validityDays,
                extensions: [
                    (NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign"),
                    (NID_subject_key_identifier, "hash"),
                ])
            self.certificatePEM = try Self.pem(certificate: certificate)
            self.privateKeyPEM = try Self.pem(privateKey: key)
        } catch {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
        self.certificate = certificate
    }

    deinit {
        X509_free(self.certificate)
        EVP_PKEY_free(self.key)
    }

    /// Issues a leaf certificate signed by this CA.
    ///
    /// - Parameters:
    ///   - commonName: the subject CN.
    ///   - names: subjectAltName entries: DNS names (`localhost`, `*.example.com`) and IP literals (`127.0.0.1`,
    ///     `::1`). Clients verify host names against these (RFC 6125), not the CN.
    ///   - usage: server or client authentication.
    ///   - validityDays: lifetime from an hour ago; negative values make an already expired certificate (tests).
    /// - Throws: `TLSError.generationFailed` naming the OpenSSL step.
    public func issue(
        commonName: String, names: [String] = [], usage: Usage = .server, validityDays: Int = 30
    ) throws(TLSError) -> Issued {
        let key = try Self.generateKey()
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else {
            throw .generationFailed(step: "X509_new", reason: OpenSSLErrorQueue.drain())
        }
        defer { X509_free(certificate) }
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, usage == .server ? "serverAuth" : "clientAuth"),
            (NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid:always"),
        ]
        if !names.isEmpty {
            let entries = names.map { Self.isIPLiteral($0) ? "IP:\($0)" : "DNS:\($0)" }
            extensions.append((NID_subject_alt_name, entries.joined(separator: ",")))
        }
        try Self.fill(
            certificate, subject: commonName, publicKey: key, issuer: self.certificate, issuerKey: self.key,
            validityDays: validityDays, extensions: extensions)
        return Issued(
            certificatePEM: try Self.pem(certificate: certificate), privateKeyPEM: try Self.pem(privateKey: key))
    }

    /// Writes the CA certificate to `path` (the trust anchor clients need).
    ///
    /// - Throws: Foundation's file errors.
    public func writeCertificate(to path: String) throws {
        try Data(self.certificatePEM.utf8).write(to: URL(fileURLWithPath: path))
    }

    // MARK: OpenSSL steps

    private static func generateKey() throws(TLSError) -> OpaquePointer {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else {
            throw .generationFailed(step: "EVP_PKEY_CTX_new_id", reason: OpenSSLErrorQueue.drain())
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) > 0,
            EVP_PKEY_generate(ctx, &key) == 1, let key
        else { throw .generationFailed(step: "EVP_PKEY_generate (P-256)", reason: OpenSSLErrorQueue.drain()) }
        return key
    }

    private static func fill(
        _ certificate: OpaquePointer, subject: String, publicKey: OpaquePointer, issuer: OpaquePointer?,
        issuerKey: OpaquePointer, validityDays: Int, extensions: [(Int32, String)]
    ) throws(TLSError) {
        let mbstringASC: Int32 = 0x1001  // MBSTRING_ASC, a macro Swift does not import
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else {
            throw .generationFailed(step: "RAND_bytes", reason: OpenSSLErrorQueue.drain())
        }
        serial[0] &= 0x7F  // a positive INTEGER (RFC 5280 §4.1.2.2)
        guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else {
            throw .generationFailed(step: "BN_bin2bn", reason: OpenSSLErrorQueue.drain())
        }
        defer { BN_free(number) }
        let days = Int32(clamping: validityDays)
        guard X509_set_version(certificate, 2) == 1,
            BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil,
            X509_gmtime_adj(X509_getm_notBefore(certificate), days < 0 ? Int(days) * 86_400 * 2 : -3600) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), Int(days) * 86_400) != nil,
            X509_set_pubkey(certificate, publicKey) == 1,
            let name = X509_get_subject_name(certificate),
            X509_NAME_add_entry_by_txt(name, "O", mbstringASC, "uma-pep development", -1, -1, 0) == 1,
            X509_NAME_add_entry_by_txt(name, "CN", mbstringASC, subject, -1, -1, 0) == 1,
            X509_set_issuer_name(certificate, issuer.flatMap { X509_get_subject_name($0) } ?? name) == 1
        else { throw .generationFailed(step: "X509 fields", reason: OpenSSLErrorQueue.drain()) }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer ?? certificate, certificate, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw .generationFailed(step: "X509V3_EXT_conf_nid(\(value))", reason: OpenSSLErrorQueue.drain())
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(certificate, ext, -1) == 1 else {
                throw .generationFailed(step: "X509_add_ext", reason: OpenSSLErrorQueue.drain())
            }
        }
        guard X509_sign(certificate, issuerKey, EVP_sha256()) > 0 else {
            throw .generationFailed(step: "X509_sign", reason: OpenSSLErrorQueue.drain())
        }
    }

    private static func pem(certificate: OpaquePointer) throws(TLSError) -> String {
        try Self.withMemoryBIO("PEM_write_bio_X509") { PEM_write_bio_X509($0, certificate) == 1 }
    }

    private static func pem(privateKey: OpaquePointer) throws(TLSError) -> String {
        try Self.withMemoryBIO("PEM_write_bio_PrivateKey") {
            PEM_write_bio_PrivateKey($0, privateKey, nil, nil, 0, nil, nil) == 1
        }
    }

    private static func withMemoryBIO(_ step: String, _ write: (OpaquePointer) -> Bool) throws(TLSError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw .generationFailed(step: "BIO_new", reason: OpenSSLErrorQueue.drain())
        }
        defer { BIO_free(bio) }
        guard write(bio) else { throw .generationFailed(step: step, reason: OpenSSLErrorQueue.drain()) }
        let pending = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: pending)
        guard pending > 0, BIO_read(bio, &bytes, Int32(pending)) == Int32(pending) else {
            throw .generationFailed(step: step, reason: "short read")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    fileprivate static func writePrivate(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.removeItem(at: url)
        let created = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    private static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
