private import COpenSSL

/// Unpredictable identifiers from OpenSSL's CSPRNG (`RAND_bytes`), never from Swift's default generator, so
/// tickets, tokens and ids can be used as bearer secrets.
enum RandomToken {
    /// `count` random bytes. `RAND_bytes` failing means the process has no entropy source, which is not a
    /// condition a development server can serve through.
    static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed: no entropy")
        return out
    }

    /// An opaque bearer token: 32 random bytes as base64url (43 characters, no `=`, `,` or `"`).
    static func opaque() -> String {
        FormURLEncoding.base64URL(self.bytes(32))
    }

    /// A random RFC 9562 version-4 UUID in lowercase (the shape Gluu uses for tickets and resource ids).
    static func uuid() -> String {
        var b = self.bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
    }
}
