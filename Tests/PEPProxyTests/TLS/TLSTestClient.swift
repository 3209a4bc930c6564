import COpenSSL
import Foundation

@testable import PEPProxy

/// A blocking TLS client for tests, built on OpenSSL directly (not on the code under test): connects to
/// 127.0.0.1, handshakes with chosen versions, SNI, CA and client certificate, then sends raw bytes and reads
/// raw responses like `RawClient`.
final class TLSTestClient {
    struct Options {
        var caFile: String?
        var serverName: String? = "localhost"
        var minVersion: Int32 = TLS1_2_VERSION
        var maxVersion: Int32 = 0
        var certificate: TLSCertificateFiles?
        var alpn: [String] = ["http/1.1"]
        /// OpenSSL 3 refuses TLS < 1.2 at the default security level; level 0 lets the client try it.
        var securityLevel: Int32?
        var session: OpaquePointer?
    }

    private let fd: Int32
    private let ctx: OpaquePointer
    private let ssl: OpaquePointer
    var leftover: [UInt8] = []

    /// Connects and handshakes; throws `TLSTestClientError.handshake(reason)` when the handshake fails.
    init(port: Int, options: Options) throws {
        self.fd = try RawClient.connectedSocket(port: port)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        self.ctx = SSL_CTX_new(TLS_client_method())!
        if let level = options.securityLevel { SSL_CTX_set_security_level(self.ctx, level) }
        _ = COpenSSL_SSL_CTX_set_min_proto_version(self.ctx, options.minVersion)
        _ = COpenSSL_SSL_CTX_set_max_proto_version(self.ctx, options.maxVersion)
        if let ca = options.caFile {
            SSL_CTX_load_verify_locations(self.ctx, ca, nil)
            SSL_CTX_set_verify(self.ctx, SSL_VERIFY_PEER, nil)
        }
        if let files = options.certificate {
            SSL_CTX_use_certificate_chain_file(self.ctx, files.certificatePath)
            SSL_CTX_use_PrivateKey_file(self.ctx, files.privateKeyPath, SSL_FILETYPE_PEM)
        }
        if !options.alpn.isEmpty {
            let wire = options.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            SSL_CTX_set_alpn_protos(self.ctx, wire, UInt32(wire.count))
        }
        self.ssl = SSL_new(self.ctx)!
        if let name = options.serverName {
            var v4 = in_addr()
            if inet_pton(AF_INET, name, &v4) == 1 {
                // IP literals are not sent as SNI (RFC 6066 §3) but verified against the iPAddress SAN.
                if options.caFile != nil { X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(self.ssl), name) }
            } else {
                _ = COpenSSL_SSL_set_tlsext_host_name(self.ssl, name)
                if options.caFile != nil { SSL_set1_host(self.ssl, name) }
            }
        }
        if let session = options.session { SSL_set_session(self.ssl, session) }
        SSL_set_fd(self.ssl, self.fd)
        ERR_clear_error()
        if SSL_connect(self.ssl) != 1 {
            throw TLSTestClientError.handshake(OpenSSLErrorQueue.drain(fallback: "handshake failed"))
        }
    }

    deinit {
        SSL_free(self.ssl)
        SSL_CTX_free(self.ctx)
        close(self.fd)
    }

    /// The negotiated protocol version (`TLSv1.3`).
    var version: String { String(cString: SSL_get_version(self.ssl)) }

    /// The ALPN protocol the server selected, or nil.
    var alpn: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The server certificate's subject CN.
    var peerCommonName: String? {
        guard let certificate = SSL_get0_peer_certificate(self.ssl), let name = X509_get_subject_name(certificate)
        else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let n = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The session for resumption (caller frees it with SSL_SESSION_free).
    func session() -> OpaquePointer? { SSL_get1_session(self.ssl) }

    /// Whether the handshake resumed a session.
    var resumed: Bool { SSL_session_reused(self.ssl) == 1 }

    func send(_ text: String) {
        self.send(bytes: Array(text.utf8))
    }

    /// Writes all of `bytes` (blocking).
    func send(bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { SSL_write(self.ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { return }
            offset += Int(n)
        }
    }

    /// Reads one HTTP response; nil when the server closed or `timeout` passed first.
    func readResponse(timeout: Double = 5) -> RawResponse? {
        var data = self.leftover
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Large bodies: once the head says how long the body is, parse only when all of it arrived.
        var needed = 0
        while Date() < deadline {
            if data.count >= needed, let response = RawResponse.parse(data) {
                self.leftover = Array(data[response.length...])
                return response
            }
            if needed == 0, let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                    let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                {
                    needed = end.upperBound + length
                }
            }
            let n = buffer.withUnsafeMutableBytes { SSL_read(self.ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<Int(n)])
        }
        return nil
    }

    /// One `SSL_read` of at most 16 KiB: the number of bytes read (≤ 0 on close or error).
    func readSome() -> Int {
        var buffer = [UInt8](repeating: 0, count: 16384)
        return Int(buffer.withUnsafeMutableBytes { SSL_read(self.ssl, $0.baseAddress, Int32($0.count)) })
    }

    /// Whether the server closed the connection (close_notify or EOF) within `timeout`.
    func isClosedByPeer(timeout: Double = 3) -> Bool {
        var byte: UInt8 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let n = SSL_read(self.ssl, &byte, 1)
            if n <= 0 {
                let code = SSL_get_error(self.ssl, n)
                return code == SSL_ERROR_ZERO_RETURN || code == SSL_ERROR_SYSCALL || code == SSL_ERROR_SSL
            }
        }
        return false
    }
}

enum TLSTestClientError: Error {
    case handshake(String)

    var reason: String {
        switch self {
        case .handshake(let reason): return reason
        }
    }
}
