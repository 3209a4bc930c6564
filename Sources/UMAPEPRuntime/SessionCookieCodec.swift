private import COpenSSL
import PEPCore

/// Seals and opens the claims-gathering session cookie with AES-256-GCM through OpenSSL's EVP interface
/// (docs/security.md "Session cookie"). Nothing is hand-rolled: OpenSSL encrypts and authenticates; this type
/// only lays out the bytes.
///
/// Cookie value = base64url (no padding) of
/// `version(1) ‖ key-id length(1) ‖ key id ‖ expiry(8, big-endian seconds) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.
/// Everything before the nonce is authenticated as additional data, together with the cookie name, so a value
/// moved to another cookie name, a changed expiry or key id, or any flipped byte fails to open. The nonce is
/// 12 fresh bytes from `RAND_bytes` per seal (random nonces: at most 2^32 seals per key, NIST SP 800-38D §8.3;
/// rotate keys well before).
///
/// Rotation: new cookies are sealed with the first key; a cookie sealed with any listed key still opens.
/// Removing a key voids its cookies (browsers start over).
struct SessionCookieCodec: Sendable {
    static let version: UInt8 = 1
    static let nonceLength = 12
    static let tagLength = 16

    let cookieName: String
    let keys: [ClaimsGatheringSettings.CookieKey]

    init(cookieName: String, keys: [ClaimsGatheringSettings.CookieKey]) {
        self.cookieName = cookieName
        self.keys = keys
    }

    /// Seals `plaintext` with the first key, valid until `expiresAt`.
    /// - Returns: the cookie value, or `nil` when there is no key or OpenSSL fails (the caller answers 502).
    func seal(_ plaintext: [UInt8], expiresAt: Int64) -> String? {
        guard let key = self.keys.first else { return nil }
        var header: [UInt8] = [Self.version, UInt8(key.id.utf8.count)]
        header += Array(key.id.utf8)
        for shift in stride(from: 56, through: 0, by: -8) {
            header.append(UInt8(truncatingIfNeeded: expiresAt >> shift))
        }
        var nonce = [UInt8](repeating: 0, count: Self.nonceLength)
        guard nonce.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, Int32($0.count)) }) == 1 else {
            return nil
        }
        guard let (ciphertext, tag) = Self.encrypt(plaintext, key: key.key.bytes, nonce: nonce, aad: self.aad(header))
        else { return nil }
        return Base64URL.encode(header + nonce + ciphertext + tag)
    }

    /// Opens a cookie value.
    /// - Returns: the plaintext and the sealed expiry; `nil` when the value is malformed, truncated, sealed with
    ///   an unknown key id, tampered with, or expired at `now`.
    func open(_ value: String, now: Int64) -> (plaintext: [UInt8], expiresAt: Int64)? {
        guard value.utf8.count <= 8192, let bytes = Base64URL.decode(value.utf8), bytes.count >= 2,
            bytes[0] == Self.version
        else { return nil }
        let idLength = Int(bytes[1])
        let headerLength = 2 + idLength + 8
        guard idLength > 0, bytes.count >= headerLength + Self.nonceLength + Self.tagLength else { return nil }
        let id = String(decoding: bytes[2..<(2 + idLength)], as: UTF8.self)
        guard let key = self.keys.first(where: { $0.id == id }) else { return nil }
        var expiresAt: Int64 = 0
        for byte in bytes[(2 + idLength)..<headerLength] { expiresAt = expiresAt << 8 | Int64(byte) }
        guard now < expiresAt else { return nil }
        let header = Array(bytes[0..<headerLength])
        let nonce = Array(bytes[headerLength..<(headerLength + Self.nonceLength)])
        let ciphertext = Array(bytes[(headerLength + Self.nonceLength)..<(bytes.count - Self.tagLength)])
        let tag = Array(bytes[(bytes.count - Self.tagLength)...])
        guard
            let plaintext = Self.decrypt(
                ciphertext, tag: tag, key: key.key.bytes, nonce: nonce, aad: self.aad(header))
        else { return nil }
        return (plaintext, expiresAt)
    }

    private func aad(_ header: [UInt8]) -> [UInt8] {
        header + Array(self.cookieName.utf8)
    }

    private static func encrypt(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8])
        -> (ciphertext: [UInt8], tag: [UInt8])?
    {
        guard key.count == 32, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        var length: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1,
            EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        else { return nil }
        if !plaintext.isEmpty {
            guard
                ciphertext.withUnsafeMutableBufferPointer({
                    EVP_EncryptUpdate(context, $0.baseAddress, &length, plaintext, Int32(plaintext.count))
                }) == 1, Int(length) == plaintext.count
            else { return nil }
        }
        var final = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptFinal_ex(context, &final, &length) == 1, length == 0,
            tag.withUnsafeMutableBytes({
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), $0.baseAddress)
            }) == 1
        else { return nil }
        return (ciphertext, tag)
    }

    private static func decrypt(_ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8])
        -> [UInt8]?
    {
        guard key.count == 32, tag.count == Self.tagLength, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        var length: Int32 = 0
        var tagCopy = tag
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        else { return nil }
        if !ciphertext.isEmpty {
            guard
                plaintext.withUnsafeMutableBufferPointer({
                    EVP_DecryptUpdate(context, $0.baseAddress, &length, ciphertext, Int32(ciphertext.count))
                }) == 1, Int(length) == ciphertext.count
            else { return nil }
        }
        guard
            tagCopy.withUnsafeMutableBytes({
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), $0.baseAddress)
            }) == 1
        else { return nil }
        var final = [UInt8](repeating: 0, count: 16)
        // The tag is checked here: any change to the header, nonce, ciphertext or tag fails.
        guard EVP_DecryptFinal_ex(context, &final, &length) == 1 else { return nil }
        return plaintext
    }

    /// A fresh random `state` / identifier: 32 bytes from `RAND_bytes`, base64url.
    static func randomToken() -> String? {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard bytes.withUnsafeMutableBufferPointer({ RAND_bytes($0.baseAddress, Int32($0.count)) }) == 1 else {
            return nil
        }
        return Base64URL.encode(bytes)
    }
}
