import Foundation

/// An IPv4 or IPv6 network in CIDR form (`10.0.0.0/8`, `::1/128`; a bare address is a /32 or /128), for
/// `trusted_proxies`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    private let bytes: [UInt8]
    private let prefix: Int

    /// Parses CIDR text.
    ///
    /// - Throws: `SocketAddressError.invalid` naming the text.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let host = parts.first.map(String.init), let bytes = IPNetwork.addressBytes(host) else {
            throw SocketAddressError.invalid(text)
        }
        let maxPrefix = bytes.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { throw SocketAddressError.invalid(text) }
            prefix = p
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// Whether `host` (numeric) lies in this network. IPv4-mapped IPv6 addresses match IPv4 networks.
    public func contains(_ host: String) -> Bool {
        guard var other = IPNetwork.addressBytes(host) else { return false }
        if other.count == 16, self.bytes.count == 4, other[0..<10].allSatisfy({ $0 == 0 }),
            other[10] == 0xFF, other[11] == 0xFF
        {
            other = Array(other[12..<16])
        }
        guard other.count == self.bytes.count else { return false }
        var remaining = self.prefix
        for i in 0..<other.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if other[i] & mask != self.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// `address/prefix`.
    public var description: String {
        let family = self.bytes.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let text = self.bytes.withUnsafeBytes { raw -> String in
            guard inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        return "\(text)/\(self.prefix)"
    }

    private static func addressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
