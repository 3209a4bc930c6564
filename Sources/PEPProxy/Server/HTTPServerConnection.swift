import Foundation
import Logging
import PEPCore

/// One client (downstream) HTTP/1.1 connection: reads request heads strictly, one request at a time
/// (pipelining-safe: the next head is read only after the response is done), answers locally or hands the
/// request to a `ProxyExchange`, and keeps the connection alive when both sides allow it.
///
/// Timers (ServerLimits): `idleTimeout` while no byte of the next request has arrived (closed silently);
/// `headerTimeout` from the first byte of a head until it is complete, not reset per read (408, SECURITY 32).
///
/// Thread rules: lives on its worker's loop thread only.
final class HTTPServerConnection: BufferedSocketDelegate {
    enum State {
        /// Waiting for (the rest of) a request head.
        case readingHead
        /// A local responder's request body is being collected.
        case readingBody(LocalRequestBody)
        /// A local responder is computing the response.
        case awaitingResponder
        /// A proxied exchange owns the connection's reads and writes.
        case proxying(ProxyExchange)
        /// A WebSocket tunnel owns the connection until it closes (no request follows).
        case tunneling(WebSocketTunnel)
        /// A response is queued; `closeAfter` closes once it has been written.
        case writing(closeAfter: Bool)
        /// A closing answer was written and the sending side shut down while the client was still sending:
        /// what it sends is read and dropped until it closes, goes quiet or the lingering time ends (``linger()``).
        case lingering
        case closed
    }

    unowned let worker: Worker
    let socket: BufferedSocket
    let peer: SocketAddress?
    let context: ListenerContext
    private(set) var state: State = .readingHead
    private var parser = RequestHeadParser()
    private var timer: LoopTimer?
    /// When the connection times out while it waits for a head (monotonic nanoseconds), or `nil`. The timer is
    /// not moved for every request (three libevent calls a request): it fires at `timerArmedAt` at the latest,
    /// and then acts or re-arms for what is left (``deadlineTimerFired()``).
    private var deadline: Int64?
    private var timerArmedAt: Int64?
    private var headStarted = false
    private var draining = false
    private(set) var requestCount = 0
    /// The last authorized request on this connection was granted without authorization-server work (from the
    /// caches, or a public rule): its next request starts at once. Set by `ProxyExchange`.
    var holdsCachedGrant = false
    /// The next request's bytes wait unparsed in the input buffer until the worker's `TurnAdmission` lets it start
    /// (`admitted()`). Reading stays on meanwhile, up to ``pipelinedInputBound``, so that a client that leaves is
    /// seen.
    private(set) var isWaitingForAdmission = false
    /// The waiting request is paced (`limits.uncachedRequestsPerSecond`): a close seen while it waits drops it.
    private var waitsPaced = false
    /// Requests of this connection refused in a row (`ProxyExchange.authorized`): from the second, the next one
    /// is paced. A legitimate client is refused at most once (its `401`) before it comes back with an RPT.
    var refusalStreak = 0
    /// Requests here are counted by the worker's `TurnAdmission` (a proxy listener, and a limit set).
    private let admissionApplies: Bool

    init(worker: Worker, socket: BufferedSocket, peer: SocketAddress?, context: ListenerContext) {
        self.worker = worker
        self.socket = socket
        self.peer = peer
        self.context = context
        if case .proxy = context.role {
            self.admissionApplies =
                worker.limits.uncachedRequestsPerTurn > 0 || worker.limits.uncachedRequestsPerSecond > 0
        } else {
            self.admissionApplies = false
        }
        self.timer = LoopTimer(loop: worker.loop) { [unowned self] in self.deadlineTimerFired() }
        socket.delegate = self
    }

    func start() {
        // The first request's head, from accept: a client that connects and sends nothing is held for
        // `header_timeout`, not `idle_timeout` (which is for the time between requests).
        self.headStarted = false
        self.setDeadline(after: self.worker.limits.headerTimeout, self.worker.headerTimeoutNanoseconds)
    }

    // MARK: BufferedSocketDelegate

    func socketReadable(_ socket: BufferedSocket) {
        switch self.state {
        case .readingHead:
            self.readHead()
        case .readingBody(let body):
            self.readLocalBody(body)
        case .proxying(let exchange):
            exchange.clientReadable()
        case .tunneling(let tunnel):
            tunnel.socketReadable(socket)
        case .awaitingResponder, .writing, .closed:
            // Pipelined bytes wait in the input buffer until the current response is done.
            socket.setReading(false)
        case .lingering:
            socket.drainInput(socket.inputLength)
        }
    }

    func socketWritable(_ socket: BufferedSocket) {
        switch self.state {
        case .writing(let closeAfter):
            guard socket.outputLength == 0 else { return }
            if closeAfter || self.draining {
                self.closeOrLinger()
            } else {
                self.startNextRequest()
            }
        case .proxying(let exchange):
            exchange.clientWritable()
        case .tunneling(let tunnel):
            tunnel.socketWritable(socket)
        default:
            break
        }
    }

    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) {
        switch self.state {
        case .proxying(let exchange):
            exchange.clientEvent(event)
        case .tunneling(let tunnel):
            tunnel.socketEvent(socket, event)
        case .awaitingResponder where event == .eof:
            // Half-closed after a complete request: answer, then close.
            self.peerClosed = true
        case .writing where event == .eof:
            // Answer pipelined requests still in the buffer first (startNextRequest closes when none is left).
            self.peerClosed = true
        case .readingHead where event == .eof && self.isWaitingForAdmission && self.waitsPaced:
            // A paced request (its connection's last two were refused) whose client left: dropped from the line
            // unanswered, so it costs no authorization-server call.
            self.close()
        case .readingHead where event == .eof && socket.inputLength > 0 && !self.peerClosed:
            // Bytes may hold complete pipelined requests; serve them, then close.
            self.peerClosed = true
            self.readHead()
        case .readingHead where event == .eof:
            // Nothing more will come: close once what was already answered has been written.
            self.closeAfterFlush()
        default:
            self.close()
        }
    }

    /// How long a closing connection goes on reading and dropping what a client still sends (``linger()``), and
    /// how long it waits at most for the next byte meanwhile (nginx's `lingering_time` / `lingering_timeout`).
    static let lingeringTime: Duration = .seconds(5)
    static let lingeringTimeout: Duration = .seconds(2)

    /// Closes now, or lingers (``linger()``) when the client's bytes are still unread: closing with unread input
    /// makes the kernel send a reset, and a client still sending its request (a head over the limit, a body
    /// after a `413`) then gets a send error or a reset instead of the answer.
    private func closeOrLinger() {
        if self.socket.inputLength > 0, !self.draining, self.socket.shutdownWrite() {
            return self.linger()
        }
        self.close()
    }

    /// The answer is out and the sending side shut down (the client reads it, then an end of stream): what the
    /// client still sends is read and dropped, so its sends complete and no reset is sent, until it closes, sends
    /// nothing for `lingeringTimeout` or `lingeringTime` has passed. Plain sockets only (a TLS socket cannot
    /// half-close: it closes at once).
    private func linger() {
        self.state = .lingering
        self.isWaitingForAdmission = false
        self.socket.drainInput(self.socket.inputLength)
        self.socket.setTimeouts(read: Self.lingeringTimeout, write: nil)
        self.socket.setReading(true)
        self.deadline = nil
        self.setDeadline(after: Self.lingeringTime, CacheInstant.saturatingNanoseconds(Self.lingeringTime))
    }

    /// Closes once the output buffer has drained (a response may still be in it).
    func closeAfterFlush() {
        if case .closed = self.state { return }
        if case .lingering = self.state { return }
        if self.socket.outputLength == 0 {
            self.closeOrLinger()
        } else {
            self.deadline = nil
            self.socket.setReading(false)
            self.socket.setWriteLowWatermark(0)
            self.state = .writing(closeAfter: true)
        }
    }

    /// The last proxied exchange, finished, kept to serve the next request (`ProxyExchange.reuse`): a kept-alive
    /// request allocates no object. Dropped on close (the exchange refers to this connection).
    private var spareExchange: ProxyExchange?

    /// The client half-closed: finish what it asked for, then close instead of keeping alive.
    private var peerClosed = false
    /// The request being answered is HTTP/1.0 (its keep-alive must be confirmed in the response).
    private var requestIsHTTP10 = false

    // MARK: request heads

    private func readHead(admitted: Bool = false) {
        let available = self.socket.inputLength
        guard available > 0 else { return }
        // Read once: each access through the `unowned` reference is an unowned-to-strong retain.
        let worker = self.worker
        // One clock reading for a later head's deadline and for the start of the exchange it dispatches.
        let now = MonotonicClock.nanoseconds()
        if !self.headStarted {
            if self.admissionApplies, !admitted {
                if self.holdsCachedGrant {
                    worker.grantedRequestStarted()
                } else {
                    if !self.isWaitingForAdmission {
                        let paced = self.requestCount > 0 && self.refusalStreak >= 2 && !self.isFromTrustedProxy
                        if !worker.admitUncached(self, paced: paced) {
                            self.isWaitingForAdmission = true
                            self.waitsPaced = paced
                        }
                    }
                    if self.isWaitingForAdmission { return self.readWithinPipelineBound() }
                }
            }
            self.headStarted = true
            // The first head's deadline runs from accept (`start`); later heads get theirs from their first byte.
            if self.requestCount > 0 {
                self.setDeadline(after: worker.limits.headerTimeout, worker.headerTimeoutNanoseconds, now: now)
            }
        }
        let limits = worker.httpLimits
        let result = self.socket.withInput(upTo: limits.maxHeadBytes + 1) { self.parser.parse($0, limits: limits) }
        // `consume`: the head moves out of the result; bound from a live `let`, it was copied through the generic
        // `HTTP1ParseResult` (its references retained and released: ~130 instructions a request, callgrind).
        switch consume result {
        case .incomplete:
            // More of this head is needed (reading may be off after pipelined requests: `startNextRequest`).
            self.socket.setReading(true)
            return
        case .rejected(let error):
            self.recordRejection(status: error.status, detail: error.detail)
            self.reject(status: error.status, detail: error.detail)
        case .complete(let head, let consumed):
            self.socket.drainInput(consumed)
            self.deadline = nil
            self.headStarted = false
            self.requestCount += 1
            self.requestIsHTTP10 = head.version == .http10
            // Reading stays on: bytes that arrive while the request is served pause it then (`socketReadable`,
            // `ProxyExchange.clientReadable`), and an early close or reset is seen at once.
            self.dispatch(head, now: now)
        }
    }

    /// The peer is one of the configuration's `trusted_proxies`: many clients share its connections, so its requests
    /// are never paced (`limits.uncachedRequestsPerSecond`). Asked only of requests that would be.
    private var isFromTrustedProxy: Bool {
        guard case .proxy(let original) = self.context.role else { return false }
        return (self.worker.proxyEngine ?? original).options.trustedProxies.trusts(peerHost: self.peer?.host)
    }

    /// The worker's `TurnAdmission` let the waiting request start.
    func admitted() {
        self.isWaitingForAdmission = false
        guard case .readingHead = self.state else { return }
        self.readWithinPipelineBound()
        self.readHead(admitted: true)
    }

    /// Reads on only while fewer than ``pipelinedInputBound`` bytes wait unparsed: each read may add 16 KiB while a
    /// request takes a few dozen bytes out, so reading on regardless let a client that pipelines without pause grow
    /// the input without bound (before a request starts, after an admission, while a request waits: the review
    /// measured +3.4 MB a second on one paced connection when an admission turned reading on). A head cut off at
    /// the end of what is buffered turns reading on (`readHead`).
    @inline(__always)
    private func readWithinPipelineBound(pending: Int? = nil) {
        self.socket.setReading((pending ?? self.socket.inputLength) < Self.pipelinedInputBound)
    }

    /// `now`: `MonotonicClock` nanoseconds, the exchange's start.
    private func dispatch(_ head: consuming RequestHead, now: Int64) {
        let keepAlive = head.keepAlive && !self.draining
        switch self.context.role {
        case .local(let responder):
            self.handleLocal(head, responder: responder, keepAlive: keepAlive)
        case .proxy(let original):
            let engine = self.worker.proxyEngine ?? original
            let exchange: ProxyExchange
            if var spare = self.takeSpareExchange(), isKnownUniquelyReferenced(&spare), spare.engine === engine {
                spare.reuse(head: consume head, keepAlive: keepAlive, now: now)
                exchange = spare
            } else {
                exchange = ProxyExchange(
                    connection: self, engine: engine, head: consume head, keepAlive: keepAlive, now: now)
            }
            // The head before this one is free now: its storage is not kept idle if a large head grew it.
            self.parser.releaseLargeSpare()
            self.state = .proxying(exchange)
            exchange.start()
        }
    }

    // MARK: local responders

    private func handleLocal(_ head: RequestHead, responder: any HTTPResponder, keepAlive: Bool) {
        if head.method == "CONNECT" || head.method == "TRACE" {
            return self.respond(ProxyReplies.methodNotAllowed, keepAlive: keepAlive && head.framing == .none)
        }
        let target: CanonicalTarget
        do {
            target = try head.canonicalTarget(options: self.worker.canonicalOptions)
        } catch {
            return self.reject(status: 400, detail: error.detail)
        }
        let limit = UInt64(self.worker.limits.maxBodyBytes)
        switch head.framing {
        case .contentLength(let length) where length > limit:
            return self.reject(status: 413, detail: "http1.body_too_large")
        default:
            break
        }
        let request = HTTPRequestMessage(
            method: head.method, path: target.path, query: target.query,
            headers: head.headers.map { (name: $0.name, value: $0.value) },
            remoteAddress: self.peer?.description ?? "")
        let body = LocalRequestBody(
            request: request, framing: head.framing, keepAlive: keepAlive, limit: Int(limit), responder: responder,
            limits: self.worker.httpLimits)
        if head.expectsContinue, head.framing != .none {
            self.socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        self.state = .readingBody(body)
        self.socket.setReading(true)
        self.socket.setTimeouts(read: self.worker.limits.idleTimeout, write: nil)
        self.readLocalBody(body)
    }

    private func readLocalBody(_ body: LocalRequestBody) {
        switch body.consume(from: self.socket) {
        case .needMore:
            return
        case .failed(let status, let detail):
            self.reject(status: status, detail: detail)
        case .complete(let request):
            self.socket.setReading(false)
            self.socket.setTimeouts(read: nil, write: nil)
            self.state = .awaitingResponder
            let loop = self.worker.loop
            let keepAlive = body.keepAlive
            let token = ConnectionToken(self)
            body.responder.respond(to: request) { response in
                if loop.inLoop {
                    token.connection?.respond(response, keepAlive: keepAlive, isHead: request.method == "HEAD")
                } else {
                    loop.execute {
                        token.connection?.respond(response, keepAlive: keepAlive, isHead: request.method == "HEAD")
                    }
                }
            }
        }
    }

    // MARK: responses

    /// Writes a whole response and, once written, closes or reads the next request.
    func respond(_ response: HTTPResponseMessage, keepAlive: Bool, isHead: Bool = false) {
        guard case .closed = self.state else {
            // After a half-close, pipelined requests still in the buffer are answered before closing.
            let close = !keepAlive || self.draining || (self.peerClosed && self.socket.inputLength == 0)
            self.isWaitingForAdmission = false
            let bytes = ResponseSerializer.serialize(
                response, close: close, omitBody: isHead, keepAliveHeader: self.requestIsHTTP10)
            self.state = .writing(closeAfter: close)
            self.socket.write(bytes)
            if self.socket.outputLength == 0 { self.socketWritable(self.socket) }
            return
        }
    }

    /// Answers a framing or limit error with an empty body and `Connection: close`, then closes (STYLE rule 9).
    func reject(status: Int, detail: String) {
        self.worker.logger.debug("request rejected", metadata: ["status": "\(status)", "detail": "\(detail)"])
        let response = HTTPResponseMessage(status: status, headers: [], body: [])
        self.respond(response, keepAlive: false)
    }

    /// A request head refused before any exchange began (framing, limits): on a proxy listener it is counted and
    /// access-logged like any other request (`rejected`), with no method or path (they were not trusted).
    private func recordRejection(status: Int, detail: String) {
        guard case .proxy(let original) = self.context.role else { return }
        let engine = self.worker.proxyEngine ?? original
        engine.observer?.exchangeCompleted(
            ExchangeRecord(
                serviceIndex: nil, ruleIndex: nil, method: "", status: status, nanoseconds: 0, detail: detail,
                worker: self.worker.index))
        self.worker.accessLog?.append(
            peer: self.peer?.host ?? "", method: "", path: "", service: "", decision: detail,
            figures: AccessLogFigures(
                status: status, bytesIn: 0, bytesOut: 0, upstreamNanoseconds: nil, totalNanoseconds: 0, trace: nil))
    }

    /// The last `Host` value routed on this connection (its bytes) and its service: a kept-alive client nearly
    /// always sends the same one, so it is compared in the head's bytes and no string is made (parsing and
    /// routing it again cost ~3 000 instructions a request, making its string ~200).
    private var routeCache: (engine: ProxyEngine, host: [UInt8], service: Int?)?

    /// The service `head`'s `Host` routes to on this listener with `engine`'s route table (`nil`: no route; no
    /// `Host` routes as the empty name).
    func route(head: RequestHead, engine: ProxyEngine) -> Int? {
        let cached = head.withHostBytes { host -> Int?? in
            guard let cached = self.routeCache, cached.engine === engine else { return nil }
            let same = cached.host.withUnsafeBytes { kept in
                kept.count == host.count
                    && (host.isEmpty || memcmp(kept.baseAddress!, host.baseAddress!, host.count) == 0)
            }
            return same ? .some(cached.service) : nil
        }
        if let cached { return cached }
        let host = head.host ?? ""
        let service = engine.routes.route(hostHeader: host, listenerPort: self.context.address.port)
        self.routeCache = (engine, Array(host.utf8), service)
        return service
    }

    /// Called by a finished `ProxyExchange`: continue with the next request or close.
    /// `now`: `MonotonicClock` nanoseconds, when it finished (the idle deadline runs from it).
    func exchangeFinished(keepAlive: Bool, now: Int64) {
        guard case .proxying(let exchange) = self.state else { return }
        if keepAlive && !self.draining {
            if self.socket.outputLength > Self.pipelinedOutputBound {
                // A client that pipelines requests without reading the answers: the next one waits until what it
                // was sent has drained (`socketWritable`), or every answer would queue here without bound.
                self.state = .writing(closeAfter: false)
                self.socket.setReading(false)
                self.keepSpare(exchange)
                return
            }
            self.startNextRequest(now: now)
            // Kept for the next request only now: one pipelined behind it may have started (and finished) inside
            // `startNextRequest`, while this exchange's methods are still running below it on the stack.
            self.keepSpare(exchange)
        } else {
            self.closeAfterFlush()
        }
    }

    /// Bytes of answers queued to the client above which a finished exchange's connection waits for them to
    /// drain before it serves the next (pipelined) request (`ProxyExchange.lowWatermark`, 64 KiB).
    static let pipelinedOutputBound = ProxyExchange.lowWatermark
    /// Bytes of pipelined requests buffered above which the connection serves them before it reads more.
    static let pipelinedInputBound = 16 * 1024

    /// Keeps a finished exchange for the connection's next request (``spareExchange``), unless one is kept already
    /// or the connection is closed.
    private func keepSpare(_ exchange: ProxyExchange) {
        guard self.spareExchange == nil, !self.isClosed else { return }
        #if DEBUG
            exchange.engine.liveExchanges.add(-1, ordering: .relaxed)
        #endif
        self.spareExchange = exchange
    }

    /// The kept exchange, no longer kept (to reuse or to drop).
    private func takeSpareExchange() -> ProxyExchange? {
        guard let spare = self.spareExchange.take() else { return nil }
        #if DEBUG
            spare.engine.liveExchanges.add(1, ordering: .relaxed)
        #endif
        return spare
    }

    /// Called by an exchange whose upstream switched to WebSocket: the tunnel takes the connection over.
    func startTunnel(_ tunnel: WebSocketTunnel) {
        guard case .proxying = self.state else { return }
        self.state = .tunneling(tunnel)
        self.deadline = nil
        tunnel.start()
    }

    /// The client closed its sending side while a request was being served (plain sockets only): answer it and
    /// whatever complete requests it pipelined before closing, then close.
    func peerHalfClosed() {
        self.peerClosed = true
    }

    private func startNextRequest(now: Int64 = MonotonicClock.nanoseconds()) {
        let pending = self.socket.inputLength
        // Half-closed and nothing left to read: nothing more can come.
        if self.peerClosed && pending == 0 { return self.closeAfterFlush() }
        self.state = .readingHead
        self.socket.setTimeouts(read: nil, write: nil)
        // Pipelined requests already waiting are served before more is read.
        self.readWithinPipelineBound(pending: pending)
        self.armIdleTimer(now: now)
        if pending > 0 { self.readHead() }
    }

    private func armIdleTimer(now: Int64 = MonotonicClock.nanoseconds()) {
        self.headStarted = false
        self.setDeadline(after: self.worker.limits.idleTimeout, self.worker.idleTimeoutNanoseconds, now: now)
    }

    /// Sets the head deadline `timeout` from now; the timer is only re-armed when it would fire too late.
    /// `now`: `MonotonicClock` nanoseconds (a caller that read the clock in the same call passes its reading).
    private func setDeadline(after timeout: Duration, _ nanoseconds: Int64, now: Int64 = MonotonicClock.nanoseconds()) {
        let deadline = now &+ nanoseconds
        self.deadline = deadline
        if let armedAt = self.timerArmedAt, armedAt <= deadline { return }
        self.timerArmedAt = deadline
        self.timer?.schedule(after: timeout)
    }

    private func deadlineTimerFired() {
        self.timerArmedAt = nil
        guard let deadline = self.deadline else { return }
        let now = MonotonicClock.nanoseconds()
        if now < deadline {
            self.timerArmedAt = deadline
            self.timer?.schedule(after: .nanoseconds(deadline - now))
            return
        }
        self.deadline = nil
        self.timerFired()
    }

    private func timerFired() {
        if case .lingering = self.state { return self.close() }
        guard case .readingHead = self.state else { return }
        switch Self.headDeadlinePassed(
            headStarted: self.headStarted, inputBytes: self.socket.inputLength, outputBytes: self.socket.outputLength)
        {
        case .headerTimeout:
            self.recordRejection(status: 408, detail: "http1.header_timeout")
            self.reject(status: 408, detail: "http1.header_timeout")
        case .stillWriting:
            self.armIdleTimer()
        case .idle:
            self.close()
        }
    }

    /// What a passed head deadline means for a connection waiting for a request head.
    enum HeadDeadlineOutcome: Equatable {
        /// Part of a head arrived and not the rest: `408` (`http1.header_timeout`).
        case headerTimeout
        /// Nothing of a next request, but the last response is still being written (less than
        /// `pipelinedOutputBound` was left when its exchange ended): not idle yet. The idle deadline runs again
        /// from now, and a client that stopped reading is cut by the write timeout (`send_timeout`).
        case stillWriting
        /// Idle for `idle_timeout` (or silent for `header_timeout` after accept): closed.
        case idle
    }

    /// Decides what a passed head deadline does (pure; `HTTPServerConnectionDecisionTests`).
    static func headDeadlinePassed(headStarted: Bool, inputBytes: Int, outputBytes: Int) -> HeadDeadlineOutcome {
        if headStarted || inputBytes > 0 { return .headerTimeout }
        return outputBytes > 0 ? .stillWriting : .idle
    }

    // MARK: shutdown

    /// Graceful drain: idle connections close now; busy ones close after their response.
    func drain() {
        self.draining = true
        if case .lingering = self.state { return self.close() }
        if case .tunneling(let tunnel) = self.state { return tunnel.close(detail: "websocket.shutdown") }
        if case .readingHead = self.state, !self.headStarted, self.socket.inputLength == 0 {
            // Idle, unless the last response is still being written: then it closes once that is out (bounded by
            // the write timeout and `drain_timeout`).
            self.closeAfterFlush()
        }
    }

    /// Cuts the connection at once.
    func abort(reason: String) {
        if case .proxying(let exchange) = self.state {
            exchange.abort(detail: reason == "drain timeout" ? "proxy.drain_timeout" : "proxy.shutdown")
        }
        if case .tunneling(let tunnel) = self.state { return tunnel.close(detail: "websocket.shutdown") }
        self.close()
    }

    func close() {
        if case .closed = self.state { return }
        self.state = .closed
        _ = self.takeSpareExchange()
        self.isWaitingForAdmission = false
        self.timer?.cancel()
        self.timer = nil
        self.socket.close()
        self.worker.connectionClosed(self)
    }

    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }
}

/// A weak reference to a connection that can cross into `@Sendable` closures; only dereferenced on the
/// connection's own loop thread.
struct ConnectionToken: @unchecked Sendable {
    weak var connection: HTTPServerConnection?
    init(_ connection: HTTPServerConnection) { self.connection = connection }
}
