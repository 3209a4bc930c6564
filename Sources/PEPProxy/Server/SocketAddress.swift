import Foundation

/// A numeric IPv4 or IPv6 socket address parsed from `host:port` / `[v6]:port` (config `listen`, services' `url`).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    /// The numeric host (`127.0.0.1`, `::1`); `localhost` is read as `127.0.0.1`.
    public var host: String
    /// The TCP port, 0 = any free port (the bound port is reported after binding).
    public var port: Int
    /// IPv4 or IPv6.
    public var family: Family

    /// Parses `host:port`, `[v6]:port`, or `:port` (all IPv4 interfaces).
    ///
    /// - Throws: `SocketAddressError.invalid` naming the text when it is not a numeric address with a port.
    public init(parsing text: String) throws {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw SocketAddressError.invalid(text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw SocketAddressError.invalid(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw SocketAddressError.invalid(text) }
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        try self.init(host: String(host), port: port)
        _ = text
    }

    /// Creates an address from a numeric host and a port.
    ///
    /// - Throws: `SocketAddressError.invalid` when `host` is not a numeric IPv4/IPv6 address.
    public init(host: String, port: Int) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self.family = .ipv4
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            self.family = .ipv6
        } else {
            throw SocketAddressError.invalid(host)
        }
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 hosts.
    public var description: String {
        self.family == .ipv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    /// Calls `body` with a `sockaddr` for this address.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch self.family {
        case .ipv4:
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(self.port).bigEndian)
            _ = inet_pton(AF_INET, self.host, &addr.sin_addr)
            return try withUnsafePointer(to: &addr) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(self.port).bigEndian)
            _ = inet_pton(AF_INET6, self.host, &addr.sin6_addr)
            return try withUnsafePointer(to: &addr) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The numeric host of a `sockaddr` (IPv4/IPv6 only), e.g. from `getaddrinfo`.
    public static func numericHost(of address: UnsafePointer<sockaddr>) -> String? {
        Self.from(address)?.host
    }

    /// Reads the peer or local address out of a `sockaddr` (IPv4/IPv6 only; others give `nil`).
    static func from(_ address: UnsafePointer<sockaddr>) -> SocketAddress? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var a = v4.pointee.sin_addr
                guard inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return try? SocketAddress(
                    host: Self.string(buffer), port: Int(UInt16(bigEndian: v4.pointee.sin_port)))
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var a = v6.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return try? SocketAddress(
                    host: Self.string(buffer), port: Int(UInt16(bigEndian: v6.pointee.sin6_port)))
            }
        default:
            return nil
        }
    }

    private static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Socket-address and binding errors.
public enum SocketAddressError: Error, CustomStringConvertible, Equatable {
    /// The text is not `host:port` with a numeric host and a port in 0…65535.
    case invalid(String)
    /// `socket`/`bind`/`listen` failed; carries the address and `strerror(errno)`.
    case bindFailed(String, String)

    /// A human-readable message.
    public var description: String {
        switch self {
        case .invalid(let text): return "invalid socket address '\(text)' (expected host:port with a numeric host)"
        case .bindFailed(let address, let reason): return "cannot listen on \(address): \(reason)"
        }
    }
}
