import Foundation

/// Creating listening sockets for the workers (DESIGN.md: one `SO_REUSEPORT` listener per worker).
enum ListeningSocket {
    /// Opens a non-blocking, listening TCP socket on `address` with `SO_REUSEADDR` and `SO_REUSEPORT`.
    ///
    /// - Returns: the fd and the bound address (the real port when `address.port` was 0).
    /// - Throws: `SocketAddressError.bindFailed` with the system's reason.
    /// - Parameter exclusive: first check that nobody else listens there. `SO_REUSEPORT` lets any process of the
    ///   same user join a port silently (the kernel would then split the traffic between two instances, one
    ///   perhaps with an old configuration), so the first worker's bind probes with a plain socket first.
    static func open(
        _ address: SocketAddress, backlog: Int32 = 4096, exclusive: Bool = false
    ) throws -> (fd: Int32, bound: SocketAddress) {
        if exclusive && address.port != 0 {
            try Self.probe(address)
        }
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(
            domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketAddressError.bindFailed(address.description, Self.lastError()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == .ipv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let reason = Self.lastError()
            close(fd)
            throw SocketAddressError.bindFailed(address.description, reason)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let local = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> SocketAddress? in
                guard getsockname(fd, pointer, &length) == 0 else { return nil }
                return SocketAddress.from(pointer)
            }
        }
        return (fd, local ?? address)
    }

    static func lastError() -> String {
        String(cString: strerror(errno))
    }

    /// Binds (and closes) a socket without `SO_REUSEPORT`: fails with "Address already in use" when another
    /// socket — ours from an earlier run, or another instance — is listening on `address`.
    private static func probe(_ address: SocketAddress) throws {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketAddressError.bindFailed(address.description, Self.lastError()) }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == .ipv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            throw SocketAddressError.bindFailed(
                address.description, Self.lastError() + " (is another uma-pep running?)")
        }
    }
}
