private import COpenSSL
import Foundation
import Synchronization

/// The OpenSSL state for TLS connections to one upstream (`https://` service URL): one `SSL_CTX` with TLS 1.2+,
/// the `TLSContextBuilder` ciphers, ALPN `http/1.1`, peer verification against `ca_file` or the system trust
/// store (unless `insecure_skip_verify`), an optional client certificate, and one cached session for
/// resumption (RFC 8446 §2.2, RFC 5077).
///
/// Ownership (STYLE rule 3): owns its `SSL_CTX` and the cached `SSL_SESSION`, freed in `deinit`. Every
/// connection made from it keeps a strong reference to it. Shared by all workers: `SSL_new` on a configured
/// `SSL_CTX` is thread-safe, and the session slot is behind a mutex. Sessions are cached per context, so the
/// runtime builds one context per upstream.
public final class TLSClientContext: @unchecked Sendable, Hashable {
    /// The settings this context was built from.
    public let configuration: TLSClientConfiguration
    private let ctx: OpaquePointer
    private let session = Mutex<SessionSlot>(SessionSlot())
    private let counts = Mutex<(full: Int, resumed: Int)>((0, 0))

    /// The one cached session (a counted `SSL_SESSION *` reference owned by the slot).
    private struct SessionSlot: @unchecked Sendable {
        var pointer: OpaquePointer?
    }

    /// Builds the context: trust store, verification mode, client certificate, ALPN, session caching.
    ///
    /// - Throws: `TLSError` naming the file (`.caFileUnreadable`, `.certificateUnreadable`,
    ///   `.privateKeyUnreadable`, `.keyMismatch`) or `.systemTrustStoreUnavailable`.
    public init(configuration: TLSClientConfiguration) throws(TLSError) {
        self.configuration = configuration
        let ctx = try TLSContextBuilder.makeContext(server: false)
        do {
            try Self.configure(ctx, configuration)
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        // Assigned last: a throwing init with every property set would run `deinit` and free it twice.
        self.ctx = ctx
        _ = SSL_CTX_set_ex_data(ctx, 0, Unmanaged.passUnretained(self).toOpaque())
        // Sessions are kept here, not in OpenSSL's client cache (which it never consults on its own).
        _ = COpenSSL_SSL_CTX_set_session_cache_mode(
            ctx, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_sess_set_new_cb(ctx, tlsNewSessionThunk)
    }

    deinit {
        _ = SSL_CTX_set_ex_data(self.ctx, 0, nil)
        self.session.withLock { slot in
            if let old = slot.pointer { SSL_SESSION_free(old) }
            slot.pointer = nil
        }
        SSL_CTX_free(self.ctx)
    }

    private static func configure(_ ctx: OpaquePointer, _ configuration: TLSClientConfiguration) throws(TLSError) {
        if configuration.insecureSkipVerify {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        } else {
            if let caFile = configuration.caFilePath {
                try TLSContextBuilder.loadTrust(caFile: caFile, into: ctx)
            } else if SSL_CTX_set_default_verify_paths(ctx) != 1 {
                throw .systemTrustStoreUnavailable(reason: OpenSSLErrorQueue.drain())
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        if let files = configuration.clientCertificate {
            try TLSContextBuilder.load(files, into: ctx)
        }
        let alpn = TLSContextBuilder.alpnHTTP11
        // Note the inverted convention: 0 is success here.
        guard SSL_CTX_set_alpn_protos(ctx, alpn, UInt32(alpn.count)) == 0 else {
            throw .contextFailed(step: "SSL_CTX_set_alpn_protos", reason: OpenSSLErrorQueue.drain())
        }
    }

    /// A client-side `SSL` for `serverName` (the upstream URL's host): SNI for DNS names (RFC 6066 §3 forbids
    /// IP literals there), host-name or IP verification against the certificate (RFC 6125 via
    /// `SSL_set1_host` / `X509_VERIFY_PARAM_set1_ip_asc`) unless verification is off, and the cached session.
    /// The caller hands it to a bufferevent, which owns it.
    func makeSSL(serverName: String) -> OpaquePointer? {
        guard let ssl = SSL_new(self.ctx) else { return nil }
        let isIP = Self.isIPLiteral(serverName)
        var ok = true
        if !isIP { ok = ok && COpenSSL_SSL_set_tlsext_host_name(ssl, serverName) == 1 }
        if !self.configuration.insecureSkipVerify {
            if isIP {
                ok = ok && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
            } else {
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                ok = ok && SSL_set1_host(ssl, serverName) == 1
            }
        }
        guard ok else {
            OpenSSLErrorQueue.clear()
            SSL_free(ssl)
            return nil
        }
        self.session.withLock { slot in
            if let cached = slot.pointer { _ = SSL_set_session(ssl, cached) }
        }
        return ssl
    }

    /// Keeps `session` (whose reference the caller hands over) as the one to offer next time.
    fileprivate func store(_ session: OpaquePointer) {
        let old = self.session.withLock { slot -> SessionSlot in
            let old = slot
            slot.pointer = session
            return old
        }
        if let pointer = old.pointer { SSL_SESSION_free(pointer) }
    }

    /// Records a finished handshake (full or resumed); tests and diagnostics read `handshakeCounts`.
    func noteHandshake(_ ssl: OpaquePointer) {
        let resumed = SSL_session_reused(ssl) == 1
        self.counts.withLock { counts in
            if resumed { counts.resumed += 1 } else { counts.full += 1 }
        }
    }

    /// Finished handshakes made from this context so far: full and resumed (session resumption).
    public var handshakeCounts: (full: Int, resumed: Int) { self.counts.withLock { $0 } }

    private static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Identity: two contexts are the same only if they are the same object (pooled connections are keyed by it).
    public static func == (lhs: TLSClientContext, rhs: TLSClientContext) -> Bool { lhs === rhs }

    /// Hashes the identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// OpenSSL hands a new session (TLS 1.2 at the end of the handshake, TLS 1.3 with each NewSessionTicket).
/// Returning 1 keeps OpenSSL's reference, which the context's slot now owns.
private func tlsNewSessionThunk(_ ssl: OpaquePointer?, _ session: OpaquePointer?) -> Int32 {
    guard let ssl, let session, let ctx = SSL_get_SSL_CTX(ssl), let arg = SSL_CTX_get_ex_data(ctx, 0) else {
        return 0
    }
    Unmanaged<TLSClientContext>.fromOpaque(arg).takeUnretainedValue().store(session)
    return 1
}
