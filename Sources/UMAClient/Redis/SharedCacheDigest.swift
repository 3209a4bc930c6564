private import COpenSSL

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface, for the shared cache's keys: a token appears in Redis
/// only as this digest (docs/operations.md "Several instances: the Redis cache").
public enum SharedCacheDigest {
    /// The lowercase hex SHA-256 of `text`'s UTF-8 bytes (64 characters).
    public static func sha256Hex(_ text: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
