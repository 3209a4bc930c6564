import Foundation
import PEPCore

/// Where a service's requests go: scheme, numeric address and the `Host` value to send (DESIGN.md: Kong's
/// service `url`).
///
/// A class: the exchange hands its target to the pools on every request, and a copy of a struct retained and
/// released each of its strings (callgrind counted seven copies per cached-grant request). Immutable.
public final class UpstreamTarget: Sendable {
    /// `http`, or `https` when `tls` is set.
    public let scheme: String
    /// The numeric address to connect to.
    public let address: SocketAddress
    /// The `Host` header value sent upstream unless `preserve_host` (host, plus `:port` when not the default).
    public let hostHeader: String
    /// A path prefix from the service URL (`http://h/api` → `/api`), prepended to forwarded paths; empty for none.
    public let basePath: String
    /// TLS to the upstream (`https://` URLs): verification, client certificate, session cache. `nil` = plain.
    public let tls: TLSClientContext?
    /// The name sent as SNI and verified against the upstream's certificate: the URL's host (DNS name or IP).
    public let serverName: String

    /// Creates a target.
    ///
    /// - Parameters:
    ///   - tls: when set, connections speak TLS and `scheme` is `https`.
    ///   - serverName: SNI and verified name; defaults to `hostHeader` without its port.
    public init(
        scheme: String = "http", address: SocketAddress, hostHeader: String, basePath: String = "",
        tls: TLSClientContext? = nil, serverName: String? = nil
    ) {
        self.scheme = tls == nil ? scheme : "https"
        self.address = address
        self.hostHeader = hostHeader
        self.basePath = basePath
        self.tls = tls
        self.serverName = serverName ?? UpstreamTarget.hostWithoutPort(hostHeader)
        self.poolKey = UpstreamPoolKey(address: self.address, tls: self.tls, serverName: self.serverName)
    }

    /// Connections are pooled per address, TLS context and server name: a TLS connection is never reused for
    /// a plain target, nor one verified for one name for another. Built once (its hash too).
    let poolKey: UpstreamPoolKey

    /// `host` of `host:port`, `v6` of `[v6]:port` / `[v6]`.
    static func hostWithoutPort(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":"), !authority[..<colon].contains(":") {
            return String(authority[..<colon])
        }
        return authority
    }
}

/// What an idle upstream connection may be reused for.
struct UpstreamPoolKey: Hashable, Sendable {
    let address: SocketAddress
    let tls: TLSClientContext?
    let serverName: String
    /// The fields' hash, computed once: a per-request lookup hashes one integer instead of two strings.
    private let precomputedHash: Int

    init(address: SocketAddress, tls: TLSClientContext?, serverName: String) {
        self.address = address
        self.tls = tls
        self.serverName = serverName
        var hasher = Hasher()
        hasher.combine(address)
        hasher.combine(tls)
        hasher.combine(serverName)
        self.precomputedHash = hasher.finalize()
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.precomputedHash)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.address == rhs.address && lhs.tls == rhs.tls
            && lhs.serverName == rhs.serverName
    }
}

/// A worker's keep-alive pools, one per upstream address (ServerLimits: `upstreamMaxIdle`,
/// `upstreamIdleTimeout`, `upstreamMaxRequests`).
///
/// Thread rules: worker loop thread only.
final class UpstreamPools {
    let limits: ServerLimits
    var loop: EventLoop?
    /// Idle connections per pool key: the dictionary gives a key its list's index once, and the lists are then
    /// popped and pushed in place (a dictionary's in-place mutation allocated a coroutine frame per request).
    private var slots: [UpstreamPoolKey: Int] = [:]
    private var idle: [[UpstreamConnection]] = []
    /// Connections created / reused (tests and metrics read them through the admin endpoint).
    private(set) var created = 0
    private(set) var reused = 0

    /// `limits.upstreamIdleTimeout` in nanoseconds, for the pooled connections' idle checks.
    let idleTimeoutNanoseconds: Int64

    init(limits: ServerLimits) {
        self.limits = limits
        self.idleTimeoutNanoseconds = CacheInstant.saturatingNanoseconds(limits.upstreamIdleTimeout)
    }

    /// An idle pooled connection for `target`, or `nil` when none is available.
    func takeIdle(_ target: UpstreamTarget) -> UpstreamConnection? {
        let slot = self.slot(for: target)
        // Popped in place: copying the list out and back copied it on every request.
        while let connection = self.idle[slot].popLast() {
            connection.leavePool()
            if connection.socket.isOpen {
                self.reused += 1
                return connection
            }
        }
        return nil
    }

    /// A new connection for `target` (connect, and TLS handshake for `https`, in progress; the caller becomes
    /// its delegate and hears `.connected` when it is ready).
    func connect(_ target: UpstreamTarget) throws -> UpstreamConnection {
        guard let loop = self.loop else { throw BufferedSocketError.creationFailed }
        let socket = try BufferedSocket(
            base: loop.base, connectingTo: target.address, tls: target.tls, serverName: target.serverName)
        // An upstream that stops reading a request body is cut like one that stops answering.
        socket.sendTimeout = self.limits.upstreamReadTimeout
        self.created += 1
        return UpstreamConnection(socket: socket, poolSlot: self.slot(for: target), pools: self)
    }

    /// Returns a connection whose last exchange ended cleanly; it is closed instead when the pool is full, it
    /// has served `upstreamMaxRequests`, or unread bytes are left on it.
    /// `now`: `MonotonicClock` nanoseconds, the start of its idle time.
    func release(_ connection: UpstreamConnection, now: Int64) {
        guard connection.socket.isOpen, connection.socket.inputLength == 0,
            connection.requestCount < self.limits.upstreamMaxRequests, let loop = self.loop,
            Self.push(connection, onto: &self.idle[connection.poolSlot], limit: self.limits.upstreamMaxIdle)
        else {
            connection.socket.close()
            return
        }
        connection.enterPool(
            loop: loop, idleTimeout: self.limits.upstreamIdleTimeout, readTimeout: self.limits.upstreamReadTimeout,
            now: now)
    }

    /// Recently used targets and their lists' indexes, by the target's address: a kept-alive request finds its
    /// list with one comparison of references instead of hashing the pool key. Strong references, so an address
    /// is never reused while it is here.
    private var recent = [(target: UpstreamTarget?, slot: Int)](repeating: (nil, 0), count: 64)

    /// The index of `target`'s idle list.
    @inline(__always)
    private func slot(for target: UpstreamTarget) -> Int {
        let index = Int(truncatingIfNeeded: UInt(bitPattern: ObjectIdentifier(target)) >> 4) & 63
        if self.recent[index].target === target { return self.recent[index].slot }
        let slot = self.slot(target.poolKey)
        self.recent[index] = (target, slot)
        return slot
    }

    /// The index of `key`'s idle list, made on first use.
    private func slot(_ key: UpstreamPoolKey) -> Int {
        if let slot = self.slots[key] { return slot }
        self.idle.append([])
        self.slots[key] = self.idle.count - 1
        return self.idle.count - 1
    }

    /// Appends `connection` when `list` holds fewer than `limit`.
    private static func push(_ connection: UpstreamConnection, onto list: inout [UpstreamConnection], limit: Int)
        -> Bool
    {
        guard list.count < limit else { return false }
        list.append(connection)
        return true
    }

    /// Called by an idle connection that the upstream closed or that timed out.
    func remove(_ connection: UpstreamConnection) {
        self.idle[connection.poolSlot].removeAll { $0 === connection }
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        for list in self.idle {
            for connection in list {
                connection.leavePool()
                connection.socket.close()
            }
        }
        self.idle = self.idle.map { _ in [] }
    }

    /// Idle connections for a target (tests).
    func idleCount(_ target: UpstreamTarget) -> Int { self.slots[target.poolKey].map { self.idle[$0].count } ?? 0 }
}

/// One upstream connection: a socket plus pool bookkeeping. While pooled it watches for the upstream closing
/// it (EOF, stray bytes) and for its idle timeout.
final class UpstreamConnection: BufferedSocketDelegate {
    let socket: BufferedSocket
    /// The index of its pool key's idle list in `pools` (the key itself is not kept: nothing reads it).
    let poolSlot: Int
    private unowned let pools: UpstreamPools
    var requestCount = 0
    /// Parses the responses of this connection: one per connection, so that each response head reuses the
    /// memory of the previous one.
    var responseParser = ResponseHeadParser()
    private var idleTimer: LoopTimer?
    /// Whether the idle timer is armed. It is not cancelled when the connection leaves the pool (that would be an
    /// `event_del` and an `event_add` per request): when it fires, it evicts a connection idle for the whole
    /// timeout, re-arms for the rest of it, or does nothing for a connection in use.
    private var idleTimerArmed = false
    private var inPool = false
    private var idleSince: Int64 = 0

    init(socket: BufferedSocket, poolSlot: Int, pools: UpstreamPools) {
        self.socket = socket
        self.poolSlot = poolSlot
        self.pools = pools
    }

    /// Pools the connection. Its read timeout stays `readTimeout` (the one every request sets, so no libevent
    /// call per request): a pooled connection is also closed after `upstream_read_timeout` without traffic.
    func enterPool(
        loop: EventLoop, idleTimeout: Duration, readTimeout: Duration, now: Int64
    ) {
        self.socket.delegate = self
        self.socket.setTimeouts(read: readTimeout, write: nil)
        self.socket.setReading(true)
        self.inPool = true
        self.idleSince = now
        if self.idleTimer == nil {
            self.idleTimer = LoopTimer(loop: loop) { [unowned self] in self.idleTimerFired() }
        }
        if !self.idleTimerArmed {
            self.idleTimerArmed = true
            self.idleTimer?.schedule(after: idleTimeout)
        }
    }

    func leavePool() {
        self.inPool = false
        self.socket.delegate = nil
    }

    private func idleTimerFired() {
        self.idleTimerArmed = false
        guard self.inPool else { return }  // in use: armed again when it comes back
        let idle = MonotonicClock.nanoseconds() - self.idleSince
        let idleTimeout = self.pools.idleTimeoutNanoseconds
        if idle >= idleTimeout {
            self.evict()
        } else {
            self.idleTimerArmed = true
            self.idleTimer?.schedule(after: .nanoseconds(idleTimeout - idle))
        }
    }

    private func evict() {
        self.pools.remove(self)
        self.leavePool()
        self.idleTimer?.cancel()
        self.idleTimerArmed = false
        self.socket.close()
    }

    // Pooled: any activity means the connection cannot be reused.
    func socketReadable(_ socket: BufferedSocket) { self.evict() }
    func socketWritable(_ socket: BufferedSocket) {}
    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) { self.evict() }
}
