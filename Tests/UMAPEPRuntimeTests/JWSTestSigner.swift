import COpenSSL
import PEPCore

/// Test keys and JWS signing through OpenSSL EVP (RS*, PS256, ES256/384), for vectors the verifier must accept.
final class JWSTestSigner: @unchecked Sendable {
    let pkey: OpaquePointer
    let kid: String
    let jwk: JSONValue

    deinit { EVP_PKEY_free(self.pkey) }

    /// A fresh RSA-2048 key.
    static func rsa(kid: String) -> JWSTestSigner {
        let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil)!
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        precondition(EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) > 0)
        precondition(EVP_PKEY_generate(ctx, &key) == 1)
        let n = Self.bignum(key!, "n")
        let e = Self.bignum(key!, "e")
        return JWSTestSigner(
            pkey: key!, kid: kid,
            jwk: .object([
                "kty": .string("RSA"), "kid": .string(kid), "use": .string("sig"), "n": .string(Base64URL.encode(n)),
                "e": .string(Base64URL.encode(e)),
            ]))
    }

    /// A fresh EC key on `P-256` or `P-384`.
    static func ec(kid: String, curve: String) -> JWSTestSigner {
        let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil)!
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        precondition(EVP_PKEY_keygen_init(ctx) == 1)
        precondition(EVP_PKEY_CTX_set_group_name(ctx, curve) == 1)
        precondition(EVP_PKEY_generate(ctx, &key) == 1)
        var point = [UInt8](repeating: 0, count: 200)
        var length = 0
        precondition(EVP_PKEY_get_octet_string_param(key!, "pub", &point, point.count, &length) == 1)
        let size = (length - 1) / 2
        return JWSTestSigner(
            pkey: key!, kid: kid,
            jwk: .object([
                "kty": .string("EC"), "kid": .string(kid), "crv": .string(curve),
                "x": .string(Base64URL.encode(point[1..<(1 + size)])),
                "y": .string(Base64URL.encode(point[(1 + size)..<length])),
            ]))
    }

    private init(pkey: OpaquePointer, kid: String, jwk: JSONValue) {
        self.pkey = pkey
        self.kid = kid
        self.jwk = jwk
    }

    /// A compact JWS of `claims` with header `{"alg", "kid"}` (plus `extraHeader`).
    func sign(_ claims: JSONValue, alg: String, kid: String? = nil, extraHeader: [String: JSONValue] = [:]) -> String {
        var header: [String: JSONValue] = ["alg": .string(alg), "kid": .string(kid ?? self.kid), "typ": .string("JWT")]
        for (name, value) in extraHeader { header[name] = value }
        let input =
            Base64URL.encode(JSONCodec.serialize(.object(header))) + "."
            + Base64URL.encode(JSONCodec.serialize(claims))
        return input + "." + Base64URL.encode(self.signature(Array(input.utf8), alg: alg))
    }

    /// The raw JWS signature (ECDSA converted from DER to `R‖S`).
    func signature(_ data: [UInt8], alg: String) -> [UInt8] {
        let digest: String = alg.hasSuffix("384") ? "SHA384" : alg.hasSuffix("512") ? "SHA512" : "SHA256"
        let md = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(md) }
        var pctx: OpaquePointer?
        precondition(EVP_DigestSignInit_ex(md, &pctx, digest, nil, nil, self.pkey, nil) == 1)
        if alg.hasPrefix("PS") {
            precondition(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1)
            precondition(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1)
        }
        var length = 0
        precondition(EVP_DigestSign(md, nil, &length, data, data.count) == 1)
        var signature = [UInt8](repeating: 0, count: length)
        precondition(EVP_DigestSign(md, &signature, &length, data, data.count) == 1)
        signature = Array(signature.prefix(length))
        guard alg.hasPrefix("ES") else { return signature }
        let size = alg == "ES256" ? 32 : 48
        var cursor: UnsafePointer<UInt8>? = nil
        let sig: OpaquePointer = signature.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)!
        }
        defer { ECDSA_SIG_free(sig) }
        var r = [UInt8](repeating: 0, count: size)
        var s = [UInt8](repeating: 0, count: size)
        precondition(BN_bn2binpad(ECDSA_SIG_get0_r(sig), &r, Int32(size)) == size)
        precondition(BN_bn2binpad(ECDSA_SIG_get0_s(sig), &s, Int32(size)) == size)
        return r + s
    }

    private static func bignum(_ key: OpaquePointer, _ name: String) -> [UInt8] {
        var bn: OpaquePointer?
        precondition(EVP_PKEY_get_bn_param(key, name, &bn) == 1)
        defer { BN_free(bn) }
        var out = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        _ = BN_bn2bin(bn, &out)
        return out
    }
}
