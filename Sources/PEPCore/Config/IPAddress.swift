/// An IPv4 or IPv6 address literal as written in the configuration (listen addresses, hosts, CIDRs).
///
/// Grammar: IPv4 `dec-octet "." dec-octet "." dec-octet "." dec-octet` without leading zeros; IPv6 per
/// RFC 4291 §2.2 (hex groups, one `::`, optional trailing IPv4), without brackets and without a zone id
/// (RFC 3986 §3.2.2).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address bytes: 4 for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool { self.bytes.count == 16 }

    /// Parses an address literal.
    /// - Returns: `nil` if `text` is neither a dotted-quad IPv4 address nor an IPv6 address.
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            self.bytes = v4
        } else if let v6 = Self.parseIPv6(Substring(text)) {
            self.bytes = v6
        } else {
            return nil
        }
    }

    /// Creates an address from 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else `self`.
    public var unmapped: IPAddress {
        guard self.isIPv6, self.bytes[0..<10].allSatisfy({ $0 == 0 }), self.bytes[10] == 0xFF, self.bytes[11] == 0xFF
        else { return self }
        return IPAddress(uncheckedBytes: Array(self.bytes[12..<16]))
    }

    private init(uncheckedBytes: [UInt8]) {
        self.bytes = uncheckedBytes
    }

    /// Dotted quad for IPv4; RFC 5952 text (lowercase, longest zero run compressed) for IPv6.
    public var description: String {
        guard self.isIPv6 else { return self.bytes.map { String($0) }.joined(separator: ".") }
        var groups: [UInt16] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(self.bytes[index]) << 8 | UInt16(self.bytes[index + 1]))
        }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength && index - start >= 2 {
                bestStart = start
                bestLength = index - start
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || part.first != "0", let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !halves.contains(where: { $0.contains("::") }) else { return nil }
        guard let head = Self.parseGroups(halves[0], allowTrailingIPv4: halves.count == 1) else { return nil }
        if halves.count == 1 {
            return head.count == 16 ? head : nil
        }
        guard let tail = Self.parseGroups(halves[1], allowTrailingIPv4: true), head.count + tail.count <= 14 else {
            return nil
        }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Parses `h16 *(":" h16) [":" IPv4]` (or nothing) into bytes.
    private static func parseGroups(_ text: Substring, allowTrailingIPv4: Bool) -> [UInt8]? {
        guard !text.isEmpty else { return [] }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (offset, group) in groups.enumerated() {
            if offset == groups.count - 1, allowTrailingIPv4, group.contains(".") {
                guard let v4 = Self.parseIPv4(group) else { return nil }
                bytes += v4
                continue
            }
            guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16),
                group.allSatisfy({ $0.isHexDigit })
            else { return nil }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes.count <= 16 ? bytes : nil
    }
}
