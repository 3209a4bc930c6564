import COpenSSL
import Foundation

/// One RSA signing key for every dev AS started by this test process: generated once (2048 bits through
/// OpenSSL) and written as PEM to a temporary file, so each `uma-pep dev-as` loads it instead of spending half a
/// second generating its own.
enum TestSigningKey {
    /// The PEM file's path, or nil when generation failed (the dev AS then generates its own key).
    static let path: String? = {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) > 0,
            EVP_PKEY_generate(ctx, &key) == 1, let pkey = key
        else { return nil }
        defer { EVP_PKEY_free(pkey) }
        let path = Self.fileName
        guard let file = fopen(path, "w") else { return nil }
        let written = PEM_write_PrivateKey(file, pkey, nil, nil, 0, nil, nil)
        fclose(file)
        chmod(path, 0o600)
        atexit { unlink(TestSigningKey.fileName) }
        return written == 1 ? path : nil
    }()

    private static let fileName = FileManager.default.temporaryDirectory
        .appendingPathComponent("uma-pep-e2e-key-\(getpid()).pem").path
}
