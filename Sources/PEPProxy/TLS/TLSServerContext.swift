private import COpenSSL
import Foundation

/// The OpenSSL state of one TLS listener: one `SSL_CTX` per configured certificate, all with the same settings
/// (TLS 1.2+, `TLSContextBuilder` ciphers, ALPN `http/1.1`, optional required client certificates). The first
/// context is the default; the SNI callback switches a handshake to the first certificate that covers the
/// requested name (RFC 6066 §3).
///
/// Ownership (STYLE rule 3): this object owns its `SSL_CTX`s and frees them in `deinit`. Each accepted TLS
/// connection keeps a strong reference to the context it was created from, so a certificate reload (a new
/// context for new connections) never pulls state from under a handshake in progress. Immutable after `init`;
/// `SSL_new` on a shared `SSL_CTX` is thread-safe, so one context serves every worker.
public final class TLSServerContext: @unchecked Sendable {
    /// The files this context was built from (a reload builds a new context from the same configuration).
    public let configuration: TLSServerConfiguration
    private let contexts: [OpaquePointer]
    /// Each context's leaf certificate (borrowed from its `SSL_CTX`), for SNI matching.
    private let leaves: [OpaquePointer]

    /// Loads every certificate and key (and the client CA bundle) and builds the contexts.
    ///
    /// - Throws: `TLSError` naming the file that could not be used (`.certificateUnreadable`,
    ///   `.privateKeyUnreadable`, `.keyMismatch`, `.caFileUnreadable`), or `.noCertificate`.
    public init(configuration: TLSServerConfiguration) throws(TLSError) {
        guard !configuration.certificates.isEmpty else { throw .noCertificate }
        self.configuration = configuration
        var contexts: [OpaquePointer] = []
        var leaves: [OpaquePointer] = []
        do throws(TLSError) {
            for files in configuration.certificates {
                let ctx = try TLSContextBuilder.makeContext(server: true)
                contexts.append(ctx)
                try Self.configure(ctx, files: files, clientCAPath: configuration.clientCAPath)
                guard let leaf = SSL_CTX_get0_certificate(ctx) else {
                    throw TLSError.certificateUnreadable(path: files.certificatePath, reason: "no certificate")
                }
                leaves.append(leaf)
            }
        } catch {
            contexts.forEach { SSL_CTX_free($0) }
            throw error
        }
        self.contexts = contexts
        self.leaves = leaves
        let me = Unmanaged.passUnretained(self).toOpaque()
        for ctx in contexts {
            _ = COpenSSL_SSL_CTX_set_tlsext_servername_callback(ctx, tlsServerNameThunk)
            _ = COpenSSL_SSL_CTX_set_tlsext_servername_arg(ctx, me)
        }
    }

    deinit {
        for ctx in self.contexts {
            _ = COpenSSL_SSL_CTX_set_tlsext_servername_arg(ctx, nil)
            SSL_CTX_free(ctx)
        }
    }

    /// Whether clients must present a certificate (`client_ca` set).
    public var requiresClientCertificate: Bool { self.configuration.clientCAPath != nil }

    private static func configure(
        _ ctx: OpaquePointer, files: TLSCertificateFiles, clientCAPath: String?
    ) throws(TLSError) {
        try TLSContextBuilder.load(files, into: ctx)
        SSL_CTX_set_alpn_select_cb(ctx, tlsALPNSelectThunk, nil)
        let sid = TLSContextBuilder.sessionIDContext
        guard SSL_CTX_set_session_id_context(ctx, sid, UInt32(sid.count)) == 1 else {
            throw .contextFailed(step: "SSL_CTX_set_session_id_context", reason: OpenSSLErrorQueue.drain())
        }
        guard let clientCAPath else { return }
        try TLSContextBuilder.loadTrust(caFile: clientCAPath, into: ctx)
        guard let names = SSL_load_client_CA_file(clientCAPath) else {
            throw .caFileUnreadable(path: clientCAPath, reason: OpenSSLErrorQueue.drain())
        }
        SSL_CTX_set_client_CA_list(ctx, names)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
    }

    /// A new server-side `SSL` on the default certificate; the caller hands it to a bufferevent, which owns it.
    func makeSSL() -> OpaquePointer? {
        SSL_new(self.contexts[0])
    }

    /// SNI: switch `ssl` to the first certificate whose names cover the requested host; keep the default
    /// when there is no name or no match (the client then decides whether the default will do).
    fileprivate func selectCertificate(_ ssl: OpaquePointer) -> Int32 {
        guard self.contexts.count > 1, let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else {
            return SSL_TLSEXT_ERR_OK
        }
        let length = strlen(name)
        for (index, leaf) in self.leaves.enumerated() where X509_check_host(leaf, name, length, 0, nil) == 1 {
            if index > 0 { _ = SSL_set_SSL_CTX(ssl, self.contexts[index]) }
            return SSL_TLSEXT_ERR_OK
        }
        return SSL_TLSEXT_ERR_OK
    }

    /// The names (subjectAltName DNS entries, or the CN without them) of the certificate served for `serverName`
    /// (tests and `check-config`): the index of the chosen certificate in `configuration.certificates`.
    public func certificateIndex(forServerName serverName: String?) -> Int {
        guard let serverName else { return 0 }
        for (index, leaf) in self.leaves.enumerated()
        where X509_check_host(leaf, serverName, serverName.utf8.count, 0, nil) == 1 {
            return index
        }
        return 0
    }
}

/// The verified client certificate's subject of a finished handshake, RFC 2253 form (`CN=alice,O=Example`),
/// or `nil` when the peer sent none or it did not verify. Escapes non-ASCII and control characters, so the
/// result is safe in a header value.
func tlsVerifiedPeerSubject(_ ssl: OpaquePointer) -> String? {
    guard let certificate = SSL_get0_peer_certificate(ssl), SSL_get_verify_result(ssl) == X509_V_OK,
        let name = X509_get_subject_name(certificate), let bio = BIO_new(BIO_s_mem())
    else { return nil }
    defer { BIO_free(bio) }
    guard X509_NAME_print_ex(bio, name, 0, COpenSSL_XN_FLAG_RFC2253()) >= 0 else { return nil }
    let pending = Int(BIO_ctrl_pending(bio))
    guard pending > 0, pending <= 4096 else { return nil }
    var bytes = [UInt8](repeating: 0, count: pending)
    let read = BIO_read(bio, &bytes, Int32(pending))
    guard read > 0 else { return nil }
    return String(decoding: bytes.prefix(Int(read)), as: UTF8.self)
}

private func tlsServerNameThunk(
    _ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ssl, let arg else { return SSL_TLSEXT_ERR_OK }
    return Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue().selectCertificate(ssl)
}

/// ALPN (RFC 7301 §3.2): select `http/1.1` when the client offers it; otherwise continue without ALPN (the
/// client then speaks HTTP/1.1 or gives up), as nginx does.
private func tlsALPNSelectThunk(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ input: UnsafePointer<UInt8>?, _ inputLength: UInt32,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let input else { return SSL_TLSEXT_ERR_NOACK }
    let wanted = TLSContextBuilder.alpnHTTP11
    var index = 0
    let count = Int(inputLength)
    while index < count {
        let length = Int(input[index])
        let start = index + 1
        guard start + length <= count else { break }
        if length == wanted.count - 1,
            (0..<length).allSatisfy({ input[start + $0] == wanted[$0 + 1] })
        {
            out.pointee = input + start
            outLength.pointee = UInt8(length)
            return SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
