private import COpenSSL
import Foundation

/// The settings every uma-pep `SSL_CTX` shares, and loading of PEM files into one (RFC 8446, RFC 5246;
/// Mozilla "intermediate" profile without DHE).
enum TLSContextBuilder {
    /// TLS 1.2 cipher suites: ECDHE key exchange with AEAD ciphers only. TLS 1.3 suites are OpenSSL's defaults
    /// (all AEAD).
    static let tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    /// ALPN protocol list in wire format (RFC 7301 §3.1): one length-prefixed `http/1.1`.
    static let alpnHTTP11: [UInt8] = [8] + Array("http/1.1".utf8)
    /// The session-id context for server-side resumption with client certificates (`SSL_CTX_set_session_id_context`).
    static let sessionIDContext = Array("uma-pep".utf8)

    /// A new `SSL_CTX` with TLS 1.2 as the minimum version, no renegotiation, no compression, the cipher list
    /// above and released idle buffers. The caller owns it (`SSL_CTX_free`).
    ///
    /// - Throws: `TLSError.contextFailed` naming the step.
    static func makeContext(server: Bool) throws(TLSError) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw .contextFailed(step: "SSL_CTX_new", reason: OpenSSLErrorQueue.drain())
        }
        guard COpenSSL_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1,
            SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) == 1
        else {
            SSL_CTX_free(ctx)
            throw .contextFailed(step: "protocol versions and ciphers", reason: OpenSSLErrorQueue.drain())
        }
        SSL_CTX_set_options(ctx, COpenSSL_SSL_OP_NO_RENEGOTIATION() | COpenSSL_SSL_OP_NO_COMPRESSION())
        // Idle keep-alive connections give their 2 × 17 KB record buffers back.
        _ = COpenSSL_SSL_CTX_set_mode(ctx, Int(SSL_MODE_RELEASE_BUFFERS))
        return ctx
    }

    /// Loads a certificate chain and its key into `ctx` and checks that they belong together.
    ///
    /// - Throws: `.certificateUnreadable`, `.privateKeyUnreadable` or `.keyMismatch`, each naming the file.
    static func load(_ files: TLSCertificateFiles, into ctx: OpaquePointer) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard FileManager.default.isReadableFile(atPath: files.certificatePath) else {
            throw .certificateUnreadable(path: files.certificatePath, reason: "no such file or not readable")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, files.certificatePath) == 1 else {
            throw .certificateUnreadable(path: files.certificatePath, reason: OpenSSLErrorQueue.drain())
        }
        guard FileManager.default.isReadableFile(atPath: files.privateKeyPath) else {
            throw .privateKeyUnreadable(path: files.privateKeyPath, reason: "no such file or not readable")
        }
        // A key that does not match the certificate already fails here (OpenSSL checks the pair on use).
        guard SSL_CTX_use_PrivateKey_file(ctx, files.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrorQueue.drain()
            if reason.contains("values mismatch") || reason.contains("key mismatch") {
                throw .keyMismatch(certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
            }
            throw .privateKeyUnreadable(path: files.privateKeyPath, reason: reason)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            OpenSSLErrorQueue.clear()
            throw .keyMismatch(certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
        }
    }

    /// Adds the certificates of a PEM bundle to `ctx`'s trust store.
    ///
    /// - Throws: `.caFileUnreadable` naming the file.
    static func loadTrust(caFile path: String, into ctx: OpaquePointer) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .caFileUnreadable(path: path, reason: "no such file or not readable")
        }
        guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
            throw .caFileUnreadable(path: path, reason: OpenSSLErrorQueue.drain())
        }
    }
}
