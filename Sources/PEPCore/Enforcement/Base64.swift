/// Standard base64 (RFC 4648 §4) as the reference's `ngx.encode_base64` writes it: alphabet `A–Z a–z 0–9 + /`,
/// with `=` padding unless `padding` is false (`ngx.encode_base64(s, true)`, used for unsigned JWTs,
/// Appendix A row 11).
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// Encodes bytes.
    /// - Parameters:
    ///   - bytes: the input.
    ///   - padding: append `=` to a multiple of 4 characters.
    /// - Returns: the base64 text.
    static func encode(_ bytes: some Collection<UInt8>, padding: Bool) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(Self.alphabet[Int(group >> 18 & 0x3F)])
            output.append(Self.alphabet[Int(group >> 12 & 0x3F)])
            if second != nil {
                output.append(Self.alphabet[Int(group >> 6 & 0x3F)])
            } else if padding {
                output.append(UInt8(ascii: "="))
            }
            if third != nil {
                output.append(Self.alphabet[Int(group & 0x3F)])
            } else if padding {
                output.append(UInt8(ascii: "="))
            }
            if third == nil { break }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
