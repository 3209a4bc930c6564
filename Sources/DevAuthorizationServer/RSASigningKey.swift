private import COpenSSL
import Foundation
import PEPCore

/// The RS256 key that signs JWT RPTs and is published at `/jwks` and oxd `/get-jwks` (RFC 7517, RFC 7518 §3.3).
///
/// Owns one OpenSSL `EVP_PKEY` (freed in `deinit`). The JWK carries `n`, `e`, a `kid` (RFC 7638 thumbprint) and a
/// self-signed `x5c` certificate, because the reference PEP builds its verification key from `x5c[0]`
/// (SPEC Part B §2.3 step 3).
final class RSASigningKey: @unchecked Sendable {
    // Immutable after init; OpenSSL allows concurrent signing with one EVP_PKEY and per-call digest contexts.
    private let pkey: OpaquePointer
    /// The key id (RFC 7638 SHA-256 thumbprint, base64url).
    let kid: String
    /// The JWK `exp` member, epoch seconds (a year after creation).
    let expiresAt: Int64
    private let modulus: [UInt8]
    private let exponent: [UInt8]
    private let certificateDER: [UInt8]

    private init(pkey: OpaquePointer, now: Int64) throws {
        self.pkey = pkey
        self.modulus = try Self.bignumParameter(pkey, "n")
        self.exponent = try Self.bignumParameter(pkey, "e")
        let thumbprintInput =
            "{\"e\":\"\(FormURLEncoding.base64URL(self.exponent))\",\"kty\":\"RSA\","
            + "\"n\":\"\(FormURLEncoding.base64URL(self.modulus))\"}"
        self.kid = FormURLEncoding.base64URL(try Self.sha256(Array(thumbprintInput.utf8)))
        self.expiresAt = now + 365 * 86_400
        self.certificateDER = try Self.selfSignedCertificate(pkey, now: now)
    }

    deinit {
        EVP_PKEY_free(self.pkey)
    }

    /// Generates a fresh RSA key of `bits` bits.
    /// - Throws: `DevAuthorizationServerError.cryptoFailure` when OpenSSL fails.
    static func generate(bits: Int32 = 2048, now: Int64) throws -> RSASigningKey {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else {
            throw DevAuthorizationServerError.cryptoFailure(operation: "EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) > 0,
            EVP_PKEY_generate(ctx, &key) == 1, let pkey = key
        else { throw DevAuthorizationServerError.cryptoFailure(operation: "EVP_PKEY_generate") }
        return try RSASigningKey(pkey: pkey, now: now)
    }

    /// Loads an RSA private key from a PEM file.
    /// - Throws: `.signingKeyUnreadable` / `.signingKeyNotRSA`.
    static func load(pemPath: String, now: Int64) throws -> RSASigningKey {
        guard let data = FileManager.default.contents(atPath: pemPath) else {
            throw DevAuthorizationServerError.signingKeyUnreadable(path: pemPath)
        }
        let bytes = [UInt8](data)
        let loaded: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let pkey = loaded else { throw DevAuthorizationServerError.signingKeyUnreadable(path: pemPath) }
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA else {
            EVP_PKEY_free(pkey)
            throw DevAuthorizationServerError.signingKeyNotRSA(path: pemPath)
        }
        return try RSASigningKey(pkey: pkey, now: now)
    }

    /// RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) over `data`, or `nil` if OpenSSL fails.
    func sign(_ data: [UInt8]) -> [UInt8]? {
        guard let md = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestSignInit(md, nil, EVP_sha256(), nil, self.pkey) == 1 else { return nil }
        var length = 0
        guard EVP_DigestSign(md, nil, &length, data, data.count) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(md, &signature, &length, data, data.count) == 1 else { return nil }
        return Array(signature.prefix(length))
    }

    /// Verifies an RS256 signature (used by tests and by nothing on the request path).
    func verify(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        guard let md = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestVerifyInit(md, nil, EVP_sha256(), nil, self.pkey) == 1 else { return false }
        return EVP_DigestVerify(md, signature, signature.count, data, data.count) == 1
    }

    /// Verifies an RS256 signature with the public key of a base64 DER certificate (a JWK `x5c[0]`), the way
    /// the reference PEP does (SPEC Part B §2.3 step 3). Used by tests to check what `/jwks` publishes.
    static func verify(_ signature: [UInt8], over data: [UInt8], certificateBase64: String) -> Bool {
        guard let der = Data(base64Encoded: certificateBase64).map({ [UInt8]($0) }) else { return false }
        let certificate: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let certificate else { return false }
        defer { X509_free(certificate) }
        guard let publicKey = X509_get0_pubkey(certificate), let md = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(md) }
        guard EVP_DigestVerifyInit(md, nil, EVP_sha256(), nil, publicKey) == 1 else { return false }
        return EVP_DigestVerify(md, signature, signature.count, data, data.count) == 1
    }

    /// The private key as PKCS#8 PEM (for `signingKeyPEMPath` files; never logged).
    func privateKeyPEM() -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, self.pkey, nil, nil, 0, nil, nil) == 1 else { return nil }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard length > 0, let pointer else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
    }

    /// Signs a JWT (RFC 7519) with header `{"alg":"RS256","kid":…,"typ":"JWT"}` over `claims`.
    func signJWT(_ claims: JSONValue) -> String? {
        let header = JSONValue.object(["alg": .string("RS256"), "kid": .string(self.kid), "typ": .string("JWT")])
        let input =
            FormURLEncoding.base64URL(Array(JSONText.render(header).utf8)) + "."
            + FormURLEncoding.base64URL(Array(JSONText.render(claims).utf8))
        guard let signature = self.sign(Array(input.utf8)) else { return nil }
        return input + "." + FormURLEncoding.base64URL(signature)
    }

    /// The public JWK (RFC 7517 §4, RFC 7518 §6.3.1) with `kid`, `use: sig`, `alg: RS256`, `exp` (epoch seconds)
    /// and `x5c` (standard base64 DER, RFC 7517 §4.7).
    var jwk: JSONValue {
        .object([
            "kty": .string("RSA"), "use": .string("sig"), "alg": .string("RS256"), "kid": .string(self.kid),
            "n": .string(FormURLEncoding.base64URL(self.modulus)),
            "e": .string(FormURLEncoding.base64URL(self.exponent)),
            "exp": .int(self.expiresAt),
            "x5c": .array([.string(Data(self.certificateDER).base64EncodedString())]),
        ])
    }

    private static func bignumParameter(_ pkey: OpaquePointer, _ name: String) throws -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let number = bn else {
            throw DevAuthorizationServerError.cryptoFailure(operation: "EVP_PKEY_get_bn_param(\(name))")
        }
        defer { BN_free(number) }
        var out = [UInt8](repeating: 0, count: Int((BN_num_bits(number) + 7) / 8))
        _ = BN_bn2bin(number, &out)
        return out
    }

    private static func sha256(_ data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &out, &length, EVP_sha256(), nil) == 1 else {
            throw DevAuthorizationServerError.cryptoFailure(operation: "EVP_Digest")
        }
        return out
    }

    private static func selfSignedCertificate(_ pkey: OpaquePointer, now: Int64) throws -> [UInt8] {
        guard let x509 = X509_new() else { throw DevAuthorizationServerError.cryptoFailure(operation: "X509_new") }
        defer { X509_free(x509) }
        var start = time_t(now)
        let mbstringASC: Int32 = 0x1001  // MBSTRING_ASC, a macro Swift does not import
        guard X509_set_version(x509, 2) == 1,
            ASN1_INTEGER_set(X509_get_serialNumber(x509), Int(now & 0x7FFF_FFFF)) == 1,
            X509_time_adj_ex(X509_getm_notBefore(x509), 0, 0, &start) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x509), 365, 0, &start) != nil,
            X509_set_pubkey(x509, pkey) == 1,
            let name = X509_get_subject_name(x509),
            X509_NAME_add_entry_by_txt(name, "CN", mbstringASC, "uma-pep dev-as", -1, -1, 0) == 1,
            X509_set_issuer_name(x509, name) == 1,
            X509_sign(x509, pkey, EVP_sha256()) > 0
        else { throw DevAuthorizationServerError.cryptoFailure(operation: "X509 self-signed certificate") }
        let length = i2d_X509(x509, nil)
        guard length > 0 else { throw DevAuthorizationServerError.cryptoFailure(operation: "i2d_X509") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(x509, &cursor)
        }
        guard written == length else { throw DevAuthorizationServerError.cryptoFailure(operation: "i2d_X509") }
        return der
    }
}
