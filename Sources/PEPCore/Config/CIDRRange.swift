/// A CIDR range (`10.0.0.0/8`, `fd00::/8`; a bare address means a single host), used by `trusted_proxies`.
public struct CIDRRange: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public let network: IPAddress
    /// The prefix length: 0…32 for IPv4, 0…128 for IPv6.
    public let prefixLength: Int

    /// Parses `address[/prefix]`; host bits set in `address` are cleared.
    /// - Returns: `nil` for a malformed address or an out-of-range prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(parts[1]), value <= maximum
            else { return nil }
            prefix = value
        }
        self.prefixLength = prefix
        self.network = IPAddress(bytes: Self.mask(address.bytes, prefix)) ?? address
    }

    /// Whether `address` lies in this range. IPv4-mapped IPv6 addresses are compared as IPv4.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmapped
        guard candidate.bytes.count == self.network.bytes.count else { return false }
        return Self.mask(candidate.bytes, self.prefixLength) == self.network.bytes
    }

    /// `network/prefixLength`.
    public var description: String { "\(self.network)/\(self.prefixLength)" }

    private static func mask(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsHere = max(0, min(8, prefix - index * 8))
            result[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        return result
    }
}
