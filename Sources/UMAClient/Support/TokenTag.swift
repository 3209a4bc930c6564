/// A short, non-reversible tag for a token or secret, safe to put in logs (never log the token itself).
///
/// Shape: `len=<n>,h=<8 hex digits>` where `h` is the 32-bit FNV-1a hash of the UTF-8 bytes. Enough to correlate
/// log lines about the same token, useless for replaying it.
enum TokenTag {
    /// The log tag of `token`.
    static func of(_ token: String) -> String {
        var hash: UInt32 = 0x811c_9dc5
        var count = 0
        for byte in token.utf8 {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193
            count += 1
        }
        let hex = String(hash, radix: 16)
        return "len=\(count),h=\(String(repeating: "0", count: 8 - hex.count))\(hex)"
    }
}
