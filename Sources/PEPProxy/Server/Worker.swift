import Foundation
import Logging
import PEPCore
import Synchronization

/// One data-plane worker: an `EventLoop` on its own thread, its listeners (`SO_REUSEPORT`), its client
/// connections and its upstream connection pools (DESIGN.md "Threads and state"). A connection lives and dies
/// on one worker.
///
/// Thread rules: everything below runs on `loop`'s thread, except `beginDrain()`/`stop()` which hop onto it.
final class Worker: @unchecked Sendable {
    let index: Int
    let loop: EventLoop
    let limits: ServerLimits
    let logger: Logger
    private(set) var listeners: [Listener] = []
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    /// `limits.maxConnectionsPerIP` across workers (nil = no cap), and the address each connection counts for.
    private let peerCounter: PeerConnectionCounter?
    private var peerSlots: [ObjectIdentifier: String] = [:]
    /// Counts the connections of proxy listeners (`HTTPServer.proxyConnections`); the ids it counts.
    private let tally: ConnectionTally?
    private var tallied: Set<ObjectIdentifier> = []
    let upstreams: UpstreamPools
    /// The codec limits derived from `limits`.
    let httpLimits: HTTP1Limits
    /// `limits.headerTimeout` and `limits.idleTimeout` in nanoseconds (converted once, not per request).
    let headerTimeoutNanoseconds: Int64
    let idleTimeoutNanoseconds: Int64
    /// Canonicalization for local responders (the proxy uses its engine's options).
    let canonicalOptions = CanonicalTarget.Options()
    private(set) var draining = false
    /// Where the forwarders build the upstream request head and the client response head (reused: no
    /// allocation per request; valid until the next head of the same direction is built on this worker).
    let requestHeadBuffer = HeadBuffer()
    let responseHeadBuffer = HeadBuffer()
    /// Ids for the traces this worker starts (W3C Trace Context).
    var traceIDs = TraceIDGenerator()
    /// WebSocket tunnels of this worker, from the forwarded handshake to the tunnel's close (at most
    /// `limits.maxWebSocketTunnels`; `WebSocketSlot`).
    var webSocketTunnels = 0
    /// This worker's access-log buffer, or `nil` when proxied requests are not logged.
    var accessLog: AccessLogBuffer?
    private var drainTimer: LoopTimer?
    /// `limits.uncachedRequestsPerTurn`: requests of connections without a cached grant started per loop turn,
    /// the connections whose request waits, and the zero-delay timer that ends a turn.
    private var admission: TurnAdmission<HTTPServerConnection>
    private var turnEndTimer: LoopTimer?
    private let onRequestWaited: (@Sendable () -> Void)?
    private var onStopped: (@Sendable () -> Void)?

    init(
        index: Int, limits: ServerLimits, logger: Logger, peerCounter: PeerConnectionCounter? = nil,
        tally: ConnectionTally? = nil, onRequestWaited: (@Sendable () -> Void)? = nil
    ) throws {
        self.index = index
        self.onRequestWaited = onRequestWaited
        self.peerCounter = peerCounter
        self.tally = tally
        self.loop = try EventLoop()
        self.limits = limits
        self.logger = logger
        self.upstreams = UpstreamPools(limits: limits)
        self.httpLimits = HTTP1Limits(maxHeadBytes: limits.maxHeaderBytes, maxHeadersCount: limits.maxHeadersCount)
        self.headerTimeoutNanoseconds = CacheInstant.saturatingNanoseconds(limits.headerTimeout)
        self.idleTimeoutNanoseconds = CacheInstant.saturatingNanoseconds(limits.idleTimeout)
        self.upstreams.loop = self.loop
        self.admission = TurnAdmission(
            perTurn: limits.uncachedRequestsPerTurn, perSecond: limits.uncachedRequestsPerSecond)
        self.turnEndTimer = LoopTimer(loop: self.loop) { [unowned self] in self.turnEnded() }
    }

    // MARK: admission (TurnAdmission)

    /// Whether the request `connection` (which holds no cached grant) has begun to send starts now; `paced`: its
    /// connection's previous two requests were refused (`limits.uncachedRequestsPerSecond`). When it does not
    /// start, the connection is queued (its request is not parsed until then); `turnEnded` resumes it in a later
    /// turn.
    func admitUncached(_ connection: HTTPServerConnection, paced: Bool) -> Bool {
        // Only the pace reads the clock.
        let now = paced ? MonotonicClock.nanoseconds() : 0
        let (verdict, scheduleTurnEnd) = self.admission.admit(paced: paced, now: now)
        if scheduleTurnEnd { self.turnEndTimer?.schedule(after: .zero) }
        guard verdict == .wait else { return true }
        self.admission.wait(connection, paced: paced)
        self.onRequestWaited?()
        return false
    }

    /// A request of a connection that holds a cached grant started: the share applies from the next turn.
    func grantedRequestStarted() {
        self.admission.grantedStarted()
    }

    /// The loop turn ended: the count starts again and the oldest waiting requests start.
    private func turnEnded() {
        let now = MonotonicClock.nanoseconds()
        self.admission.turnEnded(now: now)
        while let connection = self.admission.nextToStart(now: now, isLive: { $0.isWaitingForAdmission }) {
            connection.admitted()
        }
        if let delay = self.admission.needsTurnEnd(now: now) { self.turnEndTimer?.schedule(after: .nanoseconds(delay)) }
    }

    /// Opens a listener for `spec` on this worker (before the loop thread starts, or on it).
    func listen(_ spec: ListenerContext) throws -> SocketAddress {
        // The first worker makes sure nobody else listens there; the others join its port (SO_REUSEPORT).
        // The context the connections see carries the bound address (the real port when 0 was asked for):
        // claims redirect URLs name the listening port.
        let bound = Mutex<ListenerContext>(spec)
        let listener = try Listener(loop: self.loop, address: spec.address, exclusive: self.index == 0) {
            [unowned self] fd, peer in
            self.accept(fd: fd, peer: peer, context: bound.withLock { $0 })
        }
        bound.withLock { $0.address = listener.boundAddress }
        self.listeners.append(listener)
        return listener.boundAddress
    }

    private func accept(fd: Int32, peer: SocketAddress?, context: ListenerContext) {
        if self.draining {
            close(fd)
            return
        }
        var slot: String?
        if let counter = self.peerCounter, let host = peer?.host {
            guard counter.acquire(host) else {
                close(fd)
                self.logger.debug(
                    "connection refused: per-address limit", metadata: ["peer": "\(host)", "limit": "\(counter.limit)"])
                return
            }
            slot = host
        }
        do {
            let socket = try BufferedSocket(base: self.loop.base, fd: fd, tls: context.tls?.current)
            socket.sendTimeout = self.limits.sendTimeout
            socket.setTimeouts(read: nil, write: nil)
            if socket.isTLS, self.logger.logLevel <= .debug {
                socket.onTLSHandshakeFailure = { [logger = self.logger] reason in
                    logger.debug(
                        "TLS handshake refused",
                        metadata: ["peer": "\(peer?.description ?? "-")", "reason": "\(reason)"])
                }
            }
            let connection = HTTPServerConnection(worker: self, socket: socket, peer: peer, context: context)
            self.connections[ObjectIdentifier(connection)] = connection
            if let slot { self.peerSlots[ObjectIdentifier(connection)] = slot }
            if case .proxy = context.role, let tally = self.tally {
                self.tallied.insert(ObjectIdentifier(connection))
                tally.opened()
            }
            if self.connections.count >= self.limits.maxConnectionsPerWorker {
                self.listeners.forEach { $0.setAccepting(false) }
            }
            connection.start()
        } catch {
            if let slot { self.peerCounter?.release(slot) }
            self.logger.warning("accept failed", metadata: ["error": "\(error)"])
        }
    }

    /// Called by a connection once it has closed its socket; the object is released after the current callback.
    func connectionClosed(_ connection: HTTPServerConnection) {
        let id = ObjectIdentifier(connection)
        if let slot = self.peerSlots.removeValue(forKey: id) { self.peerCounter?.release(slot) }
        if self.tallied.remove(id) != nil { self.tally?.closed() }
        // The object stays in `connections` until the next loop turn: it may be on the stack (STYLE rule 3).
        self.loop.execute { [self] in
            self.connections.removeValue(forKey: id)
            if !self.draining, self.connections.count < self.limits.maxConnectionsPerWorker {
                self.listeners.forEach { $0.setAccepting(true) }
            }
            if self.draining, self.connections.isEmpty { self.finishStop() }
        }
    }

    /// Closes every listening socket at once, on the calling thread: for a worker whose loop never ran (a later
    /// listener could not be bound), before the worker and its loop are released.
    func closeListeners() {
        self.listeners.forEach { $0.close() }
        self.listeners.removeAll()
    }

    /// Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish (their
    /// connections close after the response), and stop the loop when none remain or `drainTimeout` passes.
    func beginDrain() {
        self.loop.execute { [self] in
            guard !self.draining else { return }
            self.draining = true
            self.accessLog?.flush()
            self.listeners.forEach { $0.close() }
            for connection in Array(self.connections.values) { connection.drain() }
            if self.connections.isEmpty {
                self.finishStop()
                return
            }
            self.drainTimer = LoopTimer(loop: self.loop) { [unowned self] in
                for connection in Array(self.connections.values) { connection.abort(reason: "drain timeout") }
                self.finishStop()
            }
            self.drainTimer?.schedule(after: self.limits.drainTimeout)
        }
    }

    /// Stops the loop at once (connections are cut).
    func stop() {
        self.loop.execute { [self] in self.finishStop() }
    }

    func setOnStopped(_ callback: @escaping @Sendable () -> Void) {
        self.onStopped = callback
    }

    /// Called on the worker thread after its loop returned.
    func notifyStopped() {
        self.onStopped?()
    }

    /// The current proxy engine override (config reload), used instead of the listener's original one.
    private(set) var proxyEngine: ProxyEngine?

    func replaceProxyEngine(_ engine: ProxyEngine) {
        self.proxyEngine = engine
    }

    private func finishStop() {
        self.accessLog?.flush()
        self.drainTimer?.cancel()
        self.drainTimer = nil
        self.turnEndTimer?.cancel()
        for connection in Array(self.connections.values) { connection.abort(reason: "shutdown") }
        self.upstreams.closeAll()
        self.listeners.forEach { $0.close() }
        self.loop.stop()
    }

    /// Number of open client connections (tests, metrics).
    var connectionCount: Int { self.connections.count }
}

/// What a listener does with its requests, and facts about it that requests need.
struct ListenerContext: Sendable {
    /// The configured address (port may be 0 before binding).
    var address: SocketAddress
    /// How requests are answered.
    var role: ServerRole
    /// `http` or `https` (X-Forwarded-Proto, claims redirect URLs).
    var scheme: String = "http"
    /// The listener's TLS certificates (replaced on reload); `nil` = plain HTTP.
    var tls: TLSContextSlot?
}

/// How a listener answers requests.
public enum ServerRole: Sendable {
    /// Whole requests answered by a local responder (dev authorization server, demo upstream, admin).
    case local(any HTTPResponder)
    /// Requests enforced and proxied.
    case proxy(ProxyEngine)
}
