import Foundation

/// Where a service's requests go: scheme, numeric address and the `Host` value to send (DESIGN.md: Kong's
/// service `url`).
public struct UpstreamTarget: Sendable, Hashable {
    /// `http` (TLS upstreams come with the TLS issue).
    public var scheme: String
    /// The numeric address to connect to.
    public var address: SocketAddress
    /// The `Host` header value sent upstream unless `preserve_host` (host, plus `:port` when not the default).
    public var hostHeader: String
    /// A path prefix from the service URL (`http://h/api` → `/api`), prepended to forwarded paths; empty for none.
    public var basePath: String

    /// Creates a target.
    public init(scheme: String = "http", address: SocketAddress, hostHeader: String, basePath: String = "") {
        self.scheme = scheme
        self.address = address
        self.hostHeader = hostHeader
        self.basePath = basePath
    }
}

/// A worker's keep-alive pools, one per upstream address (ServerLimits: `upstreamMaxIdle`,
/// `upstreamIdleTimeout`, `upstreamMaxRequests`).
///
/// Thread rules: worker loop thread only.
final class UpstreamPools {
    let limits: ServerLimits
    var loop: EventLoop?
    private var idle: [SocketAddress: [UpstreamConnection]] = [:]
    /// Connections created / reused (tests and metrics read them through the admin endpoint).
    private(set) var created = 0
    private(set) var reused = 0

    init(limits: ServerLimits) {
        self.limits = limits
    }

    /// An idle pooled connection to `address`, or `nil` when none is available.
    func takeIdle(_ address: SocketAddress) -> UpstreamConnection? {
        while var list = self.idle[address], let connection = list.popLast() {
            self.idle[address] = list
            connection.leavePool()
            if connection.socket.isOpen {
                self.reused += 1
                return connection
            }
        }
        return nil
    }

    /// A new connection to `address` (connect in progress; the caller becomes its delegate).
    func connect(_ address: SocketAddress) throws -> UpstreamConnection {
        guard let loop = self.loop else { throw BufferedSocketError.creationFailed }
        let socket = try BufferedSocket(base: loop.base, connectingTo: address)
        self.created += 1
        return UpstreamConnection(socket: socket, address: address, pools: self)
    }

    /// Returns a connection whose last exchange ended cleanly; it is closed instead when the pool is full, it
    /// has served `upstreamMaxRequests`, or unread bytes are left on it.
    func release(_ connection: UpstreamConnection) {
        guard connection.socket.isOpen, connection.socket.inputLength == 0,
            connection.requestCount < self.limits.upstreamMaxRequests,
            (self.idle[connection.address]?.count ?? 0) < self.limits.upstreamMaxIdle,
            let loop = self.loop
        else {
            connection.socket.close()
            return
        }
        connection.enterPool(loop: loop, idleTimeout: self.limits.upstreamIdleTimeout)
        self.idle[connection.address, default: []].append(connection)
    }

    /// Called by an idle connection that the upstream closed or that timed out.
    func remove(_ connection: UpstreamConnection) {
        guard var list = self.idle[connection.address] else { return }
        list.removeAll { $0 === connection }
        self.idle[connection.address] = list
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        for (_, list) in self.idle {
            for connection in list {
                connection.leavePool()
                connection.socket.close()
            }
        }
        self.idle.removeAll()
    }

    /// Idle connections per address (tests).
    func idleCount(_ address: SocketAddress) -> Int { self.idle[address]?.count ?? 0 }
}

/// One upstream connection: a socket plus pool bookkeeping. While pooled it watches for the upstream closing
/// it (EOF, stray bytes) and for its idle timeout.
final class UpstreamConnection: BufferedSocketDelegate {
    let socket: BufferedSocket
    let address: SocketAddress
    private unowned let pools: UpstreamPools
    var requestCount = 0
    private var idleTimer: LoopTimer?

    init(socket: BufferedSocket, address: SocketAddress, pools: UpstreamPools) {
        self.socket = socket
        self.address = address
        self.pools = pools
    }

    func enterPool(loop: EventLoop, idleTimeout: Duration) {
        self.socket.delegate = self
        self.socket.setTimeouts(read: nil, write: nil)
        self.socket.setReading(true)
        if self.idleTimer == nil {
            self.idleTimer = LoopTimer(loop: loop) { [unowned self] in self.evict() }
        }
        self.idleTimer?.schedule(after: idleTimeout)
    }

    func leavePool() {
        self.idleTimer?.cancel()
        self.socket.delegate = nil
    }

    private func evict() {
        self.pools.remove(self)
        self.leavePool()
        self.socket.close()
    }

    // Pooled: any activity means the connection cannot be reused.
    func socketReadable(_ socket: BufferedSocket) { self.evict() }
    func socketWritable(_ socket: BufferedSocket) {}
    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) { self.evict() }
}
