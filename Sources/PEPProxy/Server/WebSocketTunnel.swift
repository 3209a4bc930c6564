import Foundation
import PEPCore

/// A byte tunnel between a client and an upstream connection after an authorized WebSocket handshake (RFC 6455
/// §4; RFC 9110 §7.8): from the upstream's `101` on, whatever either side sends is moved to the other, evbuffer
/// chains moved (never copied into Swift arrays), with the proxy's watermarks for backpressure. uma-pep does not
/// parse frames: authorization happened once, on the handshake.
///
/// Ends:
/// - One side sends its FIN: what is queued for the other side is flushed, then the other side is half-closed
///   (`shutdown(SHUT_WR)`) so it sees the end of stream too; the tunnel closes when both directions ended. A TLS
///   side cannot be half-closed: the tunnel closes once the flush is done.
/// - An error, a reset or a send timeout on either side: both connections are closed at once.
/// - `limits.websocket_idle_timeout` without a byte in either direction: both closed (`websocket.idle_timeout`).
/// - Shutdown or drain: both closed (`websocket.shutdown`).
///
/// The upstream connection is never returned to the pool, and the client connection serves no further request.
/// The close is logged and counted once (``ProxyExchange/tunnelClosed(detail:clientToUpstream:upstreamToClient:)``).
///
/// Thread rules: lives on its worker's loop thread only.
final class WebSocketTunnel: BufferedSocketDelegate {
    private let exchange: ProxyExchange
    private let client: BufferedSocket
    private let upstream: BufferedSocket
    private unowned let worker: Worker
    private var idleTimer: LoopTimer?
    /// When a byte last moved (monotonic nanoseconds); the idle timer re-arms for what is left of the timeout.
    private var lastActivity: Int64
    /// What the two peers had taken (`BufferedSocket.bytesTakenByPeer`, summed) when the idle timer last looked.
    private var takenAtLastLook: Int64 = 0
    private let idleNanoseconds: Int64
    /// The side has sent its FIN (nothing more will be read from it).
    private var clientEnded = false
    private var upstreamEnded = false
    /// The side's writing was shut down after the other side ended.
    private var clientShut = false
    private var upstreamShut = false
    /// The client sent its FIN before the upstream did (the log's `websocket.client_closed`).
    private var clientEndedFirst = false
    private(set) var bytesClientToUpstream: UInt64 = 0
    private(set) var bytesUpstreamToClient: UInt64 = 0
    private(set) var isClosed = false

    /// Takes over both sockets (the caller already relayed the `101` head to the client).
    init(exchange: ProxyExchange, client: BufferedSocket, upstream: BufferedSocket, worker: Worker) {
        self.exchange = exchange
        self.client = client
        self.upstream = upstream
        self.worker = worker
        self.lastActivity = MonotonicClock.nanoseconds()
        self.idleNanoseconds = CacheInstant.saturatingNanoseconds(worker.limits.webSocketIdleTimeout)
    }

    /// Starts moving bytes: what already arrived on either side (frames sent right behind the handshake) first.
    func start() {
        self.upstream.delegate = self
        // The exchange's timeouts end here: only the idle timeout and the send timeouts remain.
        self.client.setTimeouts(read: nil, write: nil)
        self.upstream.setTimeouts(read: nil, write: nil)
        self.client.setWriteLowWatermark(0)
        self.upstream.setWriteLowWatermark(0)
        self.idleTimer = LoopTimer(loop: self.worker.loop) { [unowned self] in self.idleTimerFired() }
        self.idleTimer?.schedule(after: self.worker.limits.webSocketIdleTimeout)
        self.takenAtLastLook = self.takenByPeers()
        self.client.setReading(true)
        self.upstream.setReading(true)
        self.pump(from: self.upstream)
        self.pump(from: self.client)
    }

    // MARK: BufferedSocketDelegate (both sockets: the upstream's directly, the client's through its connection)

    func socketReadable(_ socket: BufferedSocket) {
        self.pump(from: socket)
    }

    func socketWritable(_ socket: BufferedSocket) {
        guard !self.isClosed, socket.outputLength <= ProxyExchange.lowWatermark else { return }
        socket.setWriteLowWatermark(0)
        let source = self.other(socket)
        if !self.ended(source) {
            source.setReading(true)
            self.pump(from: source)
        }
        self.passEndIfFlushed(to: socket)
    }

    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) {
        guard !self.isClosed else { return }
        let fromClient = socket === self.client
        switch event {
        case .eof:
            self.sideEnded(socket)
        case .error(0) where fromClient && socket.isTLS:
            // A TLS client's close (with or without close_notify) is its end of stream; it cannot be written to
            // any more (`BufferedSocket.handleEvent`), so the tunnel closes once what it sent has reached the
            // upstream (`passEndIfFlushed`).
            self.sideEnded(socket)
        case .error:
            self.close(detail: fromClient ? "websocket.client_reset" : "websocket.upstream_reset")
        case .writeTimeout:
            self.close(detail: fromClient ? "client.send_timeout" : "upstream.send_timeout")
        case .readTimeout, .connected:
            break
        }
    }

    // MARK: relay

    private func other(_ socket: BufferedSocket) -> BufferedSocket {
        socket === self.client ? self.upstream : self.client
    }

    private func ended(_ socket: BufferedSocket) -> Bool {
        socket === self.client ? self.clientEnded : self.upstreamEnded
    }

    /// Moves everything `source` has read to the other side; pauses `source` when the other side's queue passes
    /// the high watermark (resumed from `socketWritable` at the low one).
    private func pump(from source: BufferedSocket) {
        guard !self.isClosed else { return }
        let destination = self.other(source)
        let available = source.inputLength
        guard available > 0 else { return }
        let moved = UInt64(source.moveInput(to: destination, count: available))
        if source === self.client {
            self.bytesClientToUpstream += moved
        } else {
            self.bytesUpstreamToClient += moved
        }
        self.lastActivity = MonotonicClock.nanoseconds()
        if destination.outputLength > ProxyExchange.highWatermark {
            source.setReading(false)
            destination.setWriteLowWatermark(ProxyExchange.lowWatermark)
        }
    }

    /// `socket` sent its FIN: flush what it sent to the other side, then pass the end on.
    private func sideEnded(_ socket: BufferedSocket) {
        self.pump(from: socket)
        if socket === self.client {
            self.clientEndedFirst = !self.upstreamEnded
            self.clientEnded = true
        } else {
            self.upstreamEnded = true
        }
        socket.setReading(false)
        self.passEndIfFlushed(to: self.other(socket))
    }

    /// Once the side opposite `destination` ended and `destination`'s queue is empty, half-closes `destination`
    /// (or closes the tunnel when it cannot be half-closed); closes the tunnel when both directions ended.
    private func passEndIfFlushed(to destination: BufferedSocket) {
        guard !self.isClosed, self.ended(self.other(destination)), destination.outputLength == 0 else { return }
        let isClient = destination === self.client
        if isClient ? !self.clientShut : !self.upstreamShut {
            guard destination.shutdownWrite(), !self.other(destination).isTLS else {
                return self.close(detail: isClient ? "websocket.upstream_closed" : "websocket.client_closed")
            }
            if isClient { self.clientShut = true } else { self.upstreamShut = true }
        }
        if self.clientEnded && self.upstreamEnded {
            self.close(detail: self.clientEndedFirst ? "websocket.client_closed" : "websocket.upstream_closed")
        }
    }

    private func idleTimerFired() {
        guard !self.isClosed else { return }
        // A slow reader draining a full queue moves bytes though none is pumped (its source is paused until the
        // queue is down to the low watermark, and the kernel's send buffer holds megabytes): that is no idleness.
        let taken = self.takenByPeers()
        if taken != self.takenAtLastLook {
            self.lastActivity = MonotonicClock.nanoseconds()
        }
        self.takenAtLastLook = taken
        let idle = MonotonicClock.nanoseconds() - self.lastActivity
        if idle < self.idleNanoseconds {
            self.idleTimer?.schedule(after: .nanoseconds(self.idleNanoseconds - idle))
            return
        }
        self.close(detail: "websocket.idle_timeout")
    }

    /// What both peers have taken so far (`BufferedSocket.bytesTakenByPeer`); it changes only when a peer reads.
    private func takenByPeers() -> Int64 {
        (self.client.bytesTakenByPeer ?? 0) &+ (self.upstream.bytesTakenByPeer ?? 0)
    }

    // MARK: close

    /// Closes both connections (pending output is discarded), then logs and counts the tunnel. Idempotent.
    func close(detail: String) {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.upstream.close()
        self.exchange.tunnelClosed(
            detail: detail, clientToUpstream: self.bytesClientToUpstream, upstreamToClient: self.bytesUpstreamToClient)
        self.exchange.connection.close()
    }
}
