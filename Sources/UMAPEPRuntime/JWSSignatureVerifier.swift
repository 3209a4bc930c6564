private import COpenSSL
import Foundation
import PEPCore

/// JWS signature verification with OpenSSL 3 EVP (RFC 7515 §5.2 step 8, RFC 7518 §3.3–3.5). The public key is
/// built from the JWK with `EVP_PKEY_fromdata` (RSA `n`, `e`; EC `group` + uncompressed point `04‖x‖y`);
/// ECDSA's `R‖S` signature is converted to DER for `EVP_DigestVerify`. No cryptography is implemented here.
enum JWSSignatureVerifier {
    /// The public key of a JWK as an OpenSSL `EVP_PKEY`, built once and reused for every token signed with it
    /// (OpenSSL allows concurrent verifications with one key).
    final class PublicKey: @unchecked Sendable {
        fileprivate let pkey: OpaquePointer

        /// - Returns: `nil` when OpenSSL refuses the key material (e.g. a point not on the curve).
        init?(_ key: JWK) {
            guard let pkey = JWSSignatureVerifier.publicKey(key) else { return nil }
            self.pkey = pkey
        }

        deinit { EVP_PKEY_free(self.pkey) }
    }

    /// Verifies `signature` over `signingInput` with `publicKey` for `alg`.
    /// - Parameters:
    ///   - alg: the header's algorithm (the key's fit was checked by `JWTRPTValidator.checkKey`).
    ///   - publicKey: the JWK's key, built once per `kid`.
    ///   - signingInput: `BASE64URL(header) "." BASE64URL(payload)`.
    ///   - signature: the decoded third segment (ECDSA: `R‖S`).
    /// - Returns: `true` only when OpenSSL verifies the signature; any OpenSSL failure is `false`.
    static func verify(alg: JWSAlgorithm, publicKey: PublicKey, signingInput: [UInt8], signature: [UInt8]) -> Bool {
        let pkey = publicKey.pkey
        var derSignature = signature
        if let length = alg.ecCoordinateLength {
            guard signature.count == 2 * length, let der = Self.ecdsaDER(signature, length: length) else {
                return false
            }
            derSignature = der
        }
        guard let md = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(md) }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(md, &pctx, alg.digestName, nil, nil, pkey, nil) == 1 else { return false }
        if alg == .ps256 {
            guard let pctx, EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1
            else { return false }
        }
        let ok = EVP_DigestVerify(md, derSignature, derSignature.count, signingInput, signingInput.count) == 1
        ERR_clear_error()
        return ok
    }

    /// An `EVP_PKEY` holding the JWK's public key (caller frees), or `nil`. `OSSL_PARAM_BLD` keeps pointers to the
    /// names and values it is given until `OSSL_PARAM_BLD_to_param`, so they are C copies freed afterwards.
    private static func publicKey(_ key: JWK) -> OpaquePointer? {
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        var numbers: [OpaquePointer] = []
        var strings: [UnsafeMutablePointer<CChar>] = []
        var buffers: [UnsafeMutableBufferPointer<UInt8>] = []
        defer {
            for number in numbers { BN_free(number) }
            for string in strings { free(string) }
            for buffer in buffers { buffer.deallocate() }
        }
        func cString(_ text: String) -> UnsafeMutablePointer<CChar>? {
            guard let copy = strdup(text) else { return nil }
            strings.append(copy)
            return copy
        }
        let typeName: String
        switch key.material {
        case .rsa(let n, let e):
            typeName = "RSA"
            guard let bn = BN_bin2bn(n, Int32(n.count), nil) else { return nil }
            numbers.append(bn)
            guard let be = BN_bin2bn(e, Int32(e.count), nil) else { return nil }
            numbers.append(be)
            guard let nName = cString("n"), let eName = cString("e"),
                OSSL_PARAM_BLD_push_BN(builder, nName, bn) == 1, OSSL_PARAM_BLD_push_BN(builder, eName, be) == 1
            else { return nil }
        case .ec(let curve, let x, let y):
            typeName = "EC"
            let point = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 + x.count + y.count)
            buffers.append(point)
            _ = point.initialize(from: [0x04] + x + y)
            guard let groupName = cString("group"), let curveName = cString(curve), let pubName = cString("pub"),
                OSSL_PARAM_BLD_push_utf8_string(builder, groupName, curveName, 0) == 1,
                OSSL_PARAM_BLD_push_octet_string(builder, pubName, point.baseAddress, point.count) == 1
            else { return nil }
        }
        guard let params = OSSL_PARAM_BLD_to_param(builder) else { return nil }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1,
            EVP_PKEY_fromdata(ctx, &pkey, COpenSSL_EVP_PKEY_PUBLIC_KEY(), params) == 1
        else {
            ERR_clear_error()
            return nil
        }
        return pkey
    }

    /// DER `ECDSA-Sig-Value` from a JWS `R‖S` signature (RFC 7518 §3.4).
    private static func ecdsaDER(_ signature: [UInt8], length: Int) -> [UInt8]? {
        guard let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = BN_bin2bn(Array(signature[0..<length]), Int32(length), nil)
        let s = BN_bin2bn(Array(signature[length...]), Int32(length), nil)
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else {
            if let r { BN_free(r) }
            if let s { BN_free(s) }
            return nil
        }
        let size = i2d_ECDSA_SIG(sig, nil)
        guard size > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(size))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        return written == size ? der : nil
    }
}
