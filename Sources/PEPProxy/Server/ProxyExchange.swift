import Foundation
import Logging
import PEPCore

// This file is the exchange's whole shell (access phase → upstream → response relay → tunnel hand-over); it is
// over 400 lines because the I/O each action performs reads best beside the events that lead to it (STYLE rule
// 18). The decisions are in ExchangeStateMachine.swift.

/// One proxied request/response on a client connection: the shell around an `ExchangeStateMachine`, which makes
/// every decision (what to answer, when to retry, how the exchange ends and what it reports). The shell feeds it
/// socket, timer and authorizer events and performs what it returns: the access-phase checks that need the
/// engine (canonical target, route, body preflight), building and writing heads, moving body bytes (evbuffer
/// chains moved, never copied into Swift arrays) with backpressure both ways, timeouts, the pool, logging.
///
/// Failures: upstream connect error → `502`, upstream timeout before the response head → `504`, a rejected
/// upstream response head → `502`, all with a JSON body; after the response has started, any failure cuts both
/// connections (the client sees a truncated response, never a spliced one).
final class ProxyExchange: BufferedSocketDelegate {
    /// Bytes queued on the other side before reads pause.
    static let highWatermark = 256 * 1024
    /// Bytes the queue must drain to before reads resume.
    static let lowWatermark = 64 * 1024

    /// The client connection. A strong reference (an `unowned` one cost an unowned-to-strong retain on each of
    /// the eight accesses a request makes): the cycle with the connection's `.proxying(self)` state is broken by
    /// every state change, and an exchange still waiting for the authorization server after its connection
    /// closed keeps only the object (its socket is closed) until the answer is dropped.
    let connection: HTTPServerConnection
    let engine: ProxyEngine
    /// The request head, stored out of line so that a reused exchange (``reuse(head:keepAlive:)``) can replace it
    /// while every use still borrows it in place: a `var` head was copied (its five references retained) at each
    /// use that borrows a `let` (callgrind: ~300 instructions a request).
    private let headSlot: UnsafeMutablePointer<RequestHead>
    var head: RequestHead { unsafeAddress { UnsafePointer(self.headSlot) } }
    /// The exchange's state and every decision about it (stored inline, mutated in place).
    private var machine: ExchangeStateMachine
    private var path = ""
    private(set) var query: String?
    private var serviceIndex = -1
    private var upstream: UpstreamConnection?
    private var connectTimer: LoopTimer?
    private var requestBody: BodyRelay
    private var responseBody: BodyRelay?
    private var mutations = HeaderMutations.none
    /// Body bytes of a reply uma-pep made itself (401, 403, 404, 502…), for the access log's `bytes_out`.
    private var localBodyBytes = 0
    /// `MonotonicClock` nanoseconds when the request's head was read (the access log's and metrics' start).
    private var started: Int64
    private var upstreamStarted: Int64?
    /// The W3C trace context forwarded upstream and to the authorization server, and logged (`trace_id`).
    private(set) var trace: TraceContext
    /// The client's `tracestate` line, forwarded with a kept `traceparent`.
    private var traceStateIndex: Int?
    /// The worker's tunnel slot this handshake holds once forwarded (released with the exchange or the tunnel).
    private var webSocketSlot: WebSocketSlot?
    /// Tunnel byte counts for the access log's `bytes_in` / `bytes_out`, once the tunnel closed.
    private var tunnelBytes: (clientToUpstream: UInt64, upstreamToClient: UInt64)?

    /// - Parameters:
    ///   - head: taken over (`consuming`: stored without a copy, whose arrays were retained).
    ///   - now: `MonotonicClock` nanoseconds, the request's start (the caller's reading of the clock).
    init(
        connection: HTTPServerConnection, engine: ProxyEngine, head: consuming RequestHead, keepAlive: Bool, now: Int64
    ) {
        #if DEBUG
            engine.liveExchanges.add(1, ordering: .relaxed)
            engine.createdExchanges.add(1, ordering: .relaxed)
        #endif
        let worker = connection.worker
        self.connection = connection
        self.worker = worker
        self.client = connection.socket
        self.engine = engine
        self.started = now
        (self.machine, self.requestBody, self.trace, self.traceStateIndex) = Self.fresh(
            head, keepAlive: keepAlive, worker: worker)
        self.headSlot = .allocate(capacity: 1)
        self.headSlot.initialize(to: consume head)
    }

    /// Makes a finished exchange serve the connection's next request (`HTTPServerConnection` keeps it between
    /// requests: no object is allocated per kept-alive request). Only for an exchange that nothing else refers to
    /// (no authorizer resume, socket delegate or timer), whose methods are no longer running, with the same engine.
    /// - Parameter now: `MonotonicClock` nanoseconds, the request's start (the caller's reading of the clock).
    func reuse(head: consuming RequestHead, keepAlive: Bool, now: Int64) {
        (self.machine, self.requestBody, self.trace, self.traceStateIndex) = Self.fresh(
            head, keepAlive: keepAlive, worker: self.worker)
        self.headSlot.pointee = consume head
        self.path = ""
        self.query = nil
        self.serviceIndex = -1
        self.upstream = nil
        self.connectTimer = nil
        self.responseBody = nil
        self.mutations = .none
        self.localBodyBytes = 0
        self.started = now
        self.upstreamStarted = nil
        self.tunnelBytes = nil
        self.webSocketSlot = nil
    }

    /// What every request starts from, new exchange or reused: the state machine, the request body's relay, and
    /// the trace context with the index of the `tracestate` line to forward.
    @inline(__always)
    private static func fresh(_ head: borrowing RequestHead, keepAlive: Bool, worker: Worker) -> (
        ExchangeStateMachine, BodyRelay, TraceContext, Int?
    ) {
        let machine = ExchangeStateMachine(
            framing: head.framing, keepAlive: keepAlive, maxBodyBytes: worker.limits.maxBodyBytes)
        let (trace, stateIndex) = Self.traceContext(of: head, worker: worker)
        return (machine, BodyRelay(request: head.framing), trace, stateIndex)
    }

    /// The request's W3C trace context: the client's `traceparent` when it is valid (with its `tracestate` when
    /// that is forwardable), otherwise a new trace (and no `tracestate`).
    static func traceContext(of head: RequestHead, worker: Worker) -> (TraceContext, Int?) {
        if !head.known.traceparentRepeated, let index = head.known.traceparent {
            let parsed = head.headers.withUnsafeBytes { bytes -> (TraceContext, Int?)? in
                let range = head.headers.valueRange(at: index)
                guard let kept = TraceContext.parse(UnsafeRawBufferPointer(rebasing: bytes[range])) else { return nil }
                guard !head.known.tracestateRepeated, let state = head.known.tracestate,
                    TraceContext.isForwardableState(
                        UnsafeRawBufferPointer(rebasing: bytes[head.headers.valueRange(at: state)]))
                else { return (kept, nil) }
                return (kept, state)
            }
            if let parsed { return parsed }
        }
        return (TraceContext.generate(&worker.traceIDs), nil)
    }

    deinit {
        #if DEBUG
            self.engine.liveExchanges.add(-1, ordering: .relaxed)
        #endif
        self.headSlot.deinitialize(count: 1)
        self.headSlot.deallocate()
    }

    /// The connection's worker and socket, held directly (each access through the `unowned` connection is an
    /// unowned-to-strong retain).
    private let worker: Worker
    private let client: BufferedSocket

    // MARK: access phase

    func start() {
        // One borrow of the head for the whole access phase: each use of `head` copies it (it may change
        // under a call, as far as the compiler knows).
        let head = self.head
        if head.method == "CONNECT" || head.method == "TRACE" {
            return self.refuse(.method)
        }
        var webSocket = false
        if head.known.upgrade != nil {
            switch WebSocketUpgrade.classify(head, enabled: self.worker.limits.maxWebSocketTunnels > 0) {
            case .webSocket:
                webSocket = true
            case .unsupported:
                return self.refuse(.upgrade)
            case .invalid(let detail):
                return self.refuse(.webSocketHandshake(detail))
            }
        }
        let target: CanonicalTarget
        do {
            target = try head.canonicalTarget(options: self.engine.options.canonical)
        } catch {
            return self.refuse(.target(error.detail))
        }
        self.path = target.path
        self.query = target.query
        guard let index = self.connection.route(head: head, engine: self.engine) else {
            return self.refuse(.noRoute)
        }
        self.serviceIndex = index
        if let refused = self.requestBody.preflightError(in: self.client, maxBodyBytes: self.worker.limits.maxBodyBytes)
        {
            // A body already broken in the bytes that came with the head: refused before authorization, so
            // nothing of it (not even the head) reaches the upstream or the authorization server.
            return self.refuse(.body(status: refused.status, detail: refused.detail))
        }
        // The machine checks the declared length against `max_body_bytes` (`413`), then asks for authorization.
        self.perform(self.machine.handle(.admitted(webSocket: webSocket)))
    }

    /// An access-phase check failed (off the per-request path).
    @inline(never)
    private func refuse(_ refusal: ExchangeStateMachine.Refusal) {
        self.perform(self.machine.handle(.refused(refusal)))
    }

    /// Inlined into `start()` (through `perform`), the only place that asks for it.
    @inline(__always)
    private func authorize() {
        let request = AuthorizationRequest(
            serviceIndex: self.serviceIndex, method: self.head.method, path: self.path, head: self.head,
            worker: self.worker.index)
        let resume = AuthorizationResume(loop: self.worker.loop, exchange: self)
        let decision = self.engine.authorizer.authorize(request, resume: resume)
        // Forwarded without waiting (cached grant, public rule): the next request skips `TurnAdmission`.
        if case .forward? = decision {
            self.connection.holdsCachedGrant = true
        } else {
            self.connection.holdsCachedGrant = false
        }
        if let decision { self.authorized(decision) }
    }

    /// The authorizer's decision, on the worker's loop (synchronously from `start()` or resumed later).
    func authorized(_ decision: AuthorizationDecision) {
        guard !self.connection.isClosed else { return }
        switch decision {
        case .respond(let response, let detail, let ruleIndex):
            // Refusals in a row make the connection's next request paced (`TurnAdmission`).
            self.connection.refusalStreak &+= 1
            let action = self.machine.handle(
                .denied(status: response.status, detail: detail, ruleIndex: ruleIndex))
            // The authorizer's own message, in hand only here.
            guard case .respond(.decision, let keepAlive) = action else { return self.perform(action) }
            self.respond(response, keepAlive: keepAlive)
        case .forward(let mutations, let detail, let ruleIndex):
            self.connection.refusalStreak = 0
            self.mutations = mutations
            let slotFree =
                !self.machine.webSocket || self.worker.webSocketTunnels < self.worker.limits.maxWebSocketTunnels
            self.perform(self.machine.handle(.granted(detail: detail, ruleIndex: ruleIndex, tunnelSlotFree: slotFree)))
        }
    }

    // MARK: actions

    /// Does what the machine decided. Finishing actions drop or pool the upstream connection, report the outcome
    /// once (the machine returns them once), then act on the client connection.
    @inline(__always)
    private func perform(_ action: ExchangeStateMachine.Action) {
        switch action {
        case .none:
            break
        case .authorize:
            self.authorize()
        case .acquireUpstream:
            self.addClientCertificateSubject()
            if self.machine.webSocket { self.webSocketSlot = WebSocketSlot(worker: self.worker) }
            self.acquireUpstream()
        case .retry:
            self.closeUpstream(reset: false)
            self.acquireUpstream()
        case .sendRequest:
            self.sendRequest()
        case .relayRequestBody:
            self.relayRequestBody()
        case .pauseClientReading:
            // At most one read's worth is buffered, so a client that sends nothing while its request is served
            // costs no epoll_ctl.
            self.client.setReading(false)
        case .startResponse, .startTunnel:
            // Performed where the response head is at hand (`startResponse(_:)`, `switchProtocols(_:)`).
            break
        case .respond(let reply, let keepAlive):
            // `.decision` never comes here: `authorized(_:)` answers it with the authorizer's message.
            self.respond(reply.message, keepAlive: keepAlive)
        case .reject(let status, let resetUpstream):
            self.closeUpstream(reset: resetUpstream)
            self.log()
            self.connection.reject(status: status, detail: self.machine.outcome.detail)
        case .cut(let resetUpstream):
            self.closeUpstream(reset: resetUpstream)
            self.log()
            self.connection.close()
        case .complete(let reuseUpstream, let keepAlive, let relayRest):
            if relayRest { self.relayResponseBody() }
            self.complete(reuseUpstream: reuseUpstream, keepAlive: keepAlive)
        case .peerHalfClosed(let relayBody):
            self.connection.peerHalfClosed()
            if relayBody { self.relayRequestBody() }
        case .logTunnel:
            self.logTunnel()
        case .dropUpstream:
            self.closeUpstream(reset: false)
            self.log()
        }
    }

    private func respond(_ response: HTTPResponseMessage, keepAlive: Bool) {
        self.closeUpstream(reset: false)
        self.localBodyBytes = self.head.method == "HEAD" ? 0 : response.body.count
        self.log()
        self.connection.respond(response, keepAlive: keepAlive, isHead: self.head.method == "HEAD")
    }

    private func closeUpstream(reset: Bool) {
        self.connectTimer?.cancel()
        guard let upstream = self.upstream else { return }
        if reset { upstream.socket.closeWithReset() } else { upstream.socket.close() }
        self.upstream = nil
    }

    private func complete(reuseUpstream: Bool, keepAlive: Bool) {
        // One clock reading for the log line, the pooled upstream's idle start and the client's idle deadline
        // (each read of the clock is a vDSO call, about 1 % of a request's CPU for four of them, perf).
        let now = MonotonicClock.nanoseconds()
        if let upstream = self.upstream {
            if reuseUpstream {
                self.worker.upstreams.release(upstream, now: now)
            } else {
                upstream.socket.close()
            }
            self.upstream = nil
        }
        self.log(now: now)
        self.client.setWriteLowWatermark(0)
        // A handshake the upstream declined: its tunnel place goes back now (the connection may keep this
        // exchange for its next request).
        self.webSocketSlot = nil
        self.connection.exchangeFinished(keepAlive: keepAlive, now: now)
    }

    // MARK: upstream connection

    private var service: ProxyService { self.engine.services[self.serviceIndex] }

    private func acquireUpstream() {
        let target = self.service.upstream
        if let idle = self.worker.upstreams.takeIdle(target) {
            self.upstream = idle
            idle.socket.delegate = self
            return self.perform(self.machine.handle(.upstreamReused))
        }
        do {
            let upstream = try self.worker.upstreams.connect(target)
            self.upstream = upstream
            upstream.socket.delegate = self
            self.connectTimer = LoopTimer(loop: self.worker.loop) { [unowned self] in
                self.perform(self.machine.handle(.upstreamConnectTimeout))
            }
            self.connectTimer?.schedule(after: self.worker.limits.upstreamConnectTimeout)
        } catch {
            self.perform(self.machine.handle(.upstreamConnectFailed))
        }
    }

    private func sendRequest() {
        guard let upstream = self.upstream else { return }
        upstream.requestCount += 1
        self.upstreamStarted = MonotonicClock.nanoseconds()
        let peerHost = self.connection.peer?.host
        let trusted = self.engine.options.trustedProxies.trusts(peerHost: peerHost)
        RequestForwarder.build(
            head: self.head, path: self.path, query: self.query, service: self.service, mutations: self.mutations,
            peerHost: peerHost, peerTrusted: trusted, scheme: self.connection.context.scheme,
            requestId: self.requestId(trusted: trusted), via: self.engine.options.via,
            upstreamVersion10: self.head.version == .http10, trace: self.trace, traceStateIndex: self.traceStateIndex,
            webSocket: self.machine.webSocket, into: self.worker.requestHeadBuffer)
        upstream.socket.write(self.worker.requestHeadBuffer.bytes)
        // The response wait starts when the whole request is out: a client that stalls its body is the client's
        // timeout (408), not the upstream's (504). Until then a stalled upstream is its send timeout.
        upstream.socket.setTimeouts(
            read: self.requestBody.isDone ? self.worker.limits.upstreamReadTimeout : nil, write: nil)
        // From the end of the request: a reused connection's timer still runs from its last read.
        if self.requestBody.isDone { upstream.socket.restartReadTimeout() }
        upstream.socket.setReading(true)
        if self.head.expectsContinue, !self.requestBody.isDone {
            self.client.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        if !self.requestBody.isDone {
            self.client.setReading(true)
            self.client.setTimeouts(read: self.worker.limits.idleTimeout, write: nil)
            self.relayRequestBody()
        }
    }

    /// `X-Client-Cert-Subject`: on a listener that requires client certificates, the verified subject (RFC 2253)
    /// is sent upstream; a client's own copy of the field is dropped on every listener, so the upstream can trust
    /// it (SECURITY 18: headers uma-pep sets are never the client's).
    private func addClientCertificateSubject() {
        let name = ProxyExchange.clientCertificateSubjectHeader
        if self.head.headers.firstIndex(named: name) != nil {
            self.mutations.remove.append(name)
        }
        if let subject = self.client.tlsPeerSubject {
            self.mutations.set.append(HeaderField(name: "X-Client-Cert-Subject", value: subject))
        }
    }

    /// The lower-cased name of the header carrying the verified client-certificate subject.
    static let clientCertificateSubjectHeader = "x-client-cert-subject"

    /// A client's `X-Request-Id` kept under `trust_request_id`, or `nil` (the forwarder generates one).
    private func requestId(trusted: Bool) -> String? {
        if self.engine.options.trustRequestId, let sent = self.head.headers.first(named: "x-request-id"),
            RequestID.isValid(sent)
        {
            return sent
        }
        return nil
    }

    // MARK: request body (client → upstream)

    func clientReadable() {
        self.perform(self.machine.handle(.clientReadable))
    }

    private func relayRequestBody() {
        guard let upstream = self.upstream, upstream.socket.isOpen else { return }
        if case .failed(let error) = self.requestBody.relay(
            from: self.client, to: upstream.socket, limits: self.worker.httpLimits)
        {
            return self.perform(self.machine.handle(.requestBodyFailed(error)))
        }
        if self.requestBody.isDone {
            self.client.setReading(false)
            self.client.setTimeouts(read: nil, write: nil)
            upstream.socket.setTimeouts(read: self.worker.limits.upstreamReadTimeout, write: nil)
            upstream.socket.restartReadTimeout()
        } else if upstream.socket.outputLength > Self.highWatermark {
            self.client.setReading(false)
            upstream.socket.setWriteLowWatermark(Self.lowWatermark)
        }
        self.perform(
            self.machine.handle(
                .requestBodyProgress(
                    done: self.requestBody.isDone, bytesRelayed: self.requestBody.bytesRelayed,
                    clientDrained: self.client.inputLength == 0)))
    }

    // MARK: upstream socket events

    func socketReadable(_ socket: BufferedSocket) {
        if self.responseBody == nil {
            self.readResponseHead()
        } else {
            self.relayResponseBody()
        }
    }

    func socketWritable(_ socket: BufferedSocket) {
        // The upstream drained its output: resume reading the client's body.
        guard !self.requestBody.isDone, socket.outputLength <= Self.lowWatermark else { return }
        socket.setWriteLowWatermark(0)
        self.client.setReading(true)
        self.relayRequestBody()
    }

    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) {
        switch event {
        case .connected:
            self.connectTimer?.cancel()
            self.connectTimer = nil
            self.perform(self.machine.handle(.upstreamConnected))
        case .eof:
            let idempotent = ExchangeStateMachine.isIdempotent(self.head.method)
            self.perform(self.machine.handle(.upstreamEOF(idempotentMethod: idempotent)))
        case .error:
            let idempotent = ExchangeStateMachine.isIdempotent(self.head.method)
            let action = self.machine.handle(
                .upstreamError(tlsFailed: socket.tlsFailure != nil, idempotentMethod: idempotent))
            if self.machine.outcome.upstreamFailure == .tls, case .respond = action, let reason = socket.tlsFailure {
                self.worker.logger.warning(
                    "upstream TLS failed",
                    metadata: [
                        "service": "\(self.service.name)", "upstream": "\(self.service.upstream.serverName)",
                        "reason": "\(reason)",
                    ])
            }
            self.perform(action)
        case .readTimeout, .writeTimeout:
            self.perform(self.machine.handle(.upstreamTimeout))
        }
    }

    // MARK: response (upstream → client)

    private func readResponseHead() {
        guard let upstream = self.upstream else { return }
        let limits = self.worker.httpLimits
        while self.responseBody == nil, upstream.socket.inputLength > 0 {
            let result = upstream.socket.withInput(upTo: limits.maxHeadBytes + 1) {
                upstream.responseParser.parse($0, requestMethod: self.head.method, limits: limits)
            }
            // `consume`: the head moves out of the result; bound from a live `let`, it was copied through the generic
            // `HTTP1ParseResult` (its references retained and released: ~130 instructions a request, callgrind).
            switch consume result {
            case .incomplete:
                return
            case .rejected(let error):
                return self.perform(self.machine.handle(.responseHeadRejected(error)))
            case .complete(let response, let consumed):
                upstream.socket.drainInput(consumed)
                // 1xx interim responses are dropped (Expect is answered by uma-pep itself), except 101, which ends
                // HTTP on this connection (`startResponse`).
                if response.isInformational, response.status != 101 { continue }
                self.startResponse(response)
                if self.upstream == nil { return }
            }
        }
        if self.responseBody != nil { self.relayResponseBody() }
    }

    /// A final response head (or a `101`): the machine decides whether it is relayed and how.
    private func startResponse(_ response: ResponseHead) {
        // A tunnel or a 502. Tested here, not in `readResponseHead`: a second use of its bound head there made
        // every head be copied (callgrind, cached grant: +300 instructions a request).
        if response.status == 101 { return self.switchProtocols(response) }
        let body = BodyRelay(response: response.framing)
        let action = self.machine.handle(
            .responseHead(
                status: response.status, keepAlive: response.keepAlive, untilClose: body.isUntilClose,
                draining: self.worker.draining))
        guard case .startResponse(let closeClient) = action else { return self.perform(action) }
        self.responseBody = body
        // The head leaves with the first body bytes (relayResponseBody follows at once and flushes it).
        let out = self.worker.responseHeadBuffer
        ResponseForwarder.build(
            response, closeClient: closeClient, keepAliveHeader: self.head.version == .http10, into: out)
        self.client.writeDeferred(out.bytes)
    }

    private func relayResponseBody() {
        guard let upstream = self.upstream, var body = self.responseBody else { return }
        let result = body.relay(from: upstream.socket, to: self.client, limits: self.worker.httpLimits)
        self.client.flushDeferred()
        self.responseBody = body
        if case .failed = result {
            return self.perform(self.machine.handle(.responseBodyFailed))
        }
        if body.isDone {
            return self.perform(self.machine.handle(.responseBodyComplete))
        }
        if self.client.outputLength > Self.highWatermark {
            upstream.socket.setReading(false)
            self.client.setWriteLowWatermark(Self.lowWatermark)
        }
    }

    func clientWritable() {
        guard let upstream = self.upstream, self.responseBody != nil else { return }
        if self.client.outputLength <= Self.lowWatermark {
            self.client.setWriteLowWatermark(0)
            upstream.socket.setReading(true)
            self.relayResponseBody()
        }
    }

    func clientEvent(_ event: BufferedSocket.Event) {
        switch event {
        case .eof: self.perform(self.machine.handle(.clientEOF))
        case .readTimeout: self.perform(self.machine.handle(.clientReadTimeout))
        case .writeTimeout: self.perform(self.machine.handle(.clientGone(sendTimeout: true)))
        case .connected, .error: self.perform(self.machine.handle(.clientGone(sendTimeout: false)))
        }
    }

    // MARK: WebSocket (RFC 6455 §4)

    /// The upstream answered `101 Switching Protocols`: a tunnel when the client asked for exactly that
    /// (`WebSocketUpgrade.judgeSwitch`), otherwise `502` and the upstream connection closed.
    @inline(never)
    private func switchProtocols(_ response: ResponseHead) {
        guard self.upstream != nil else { return }
        let verdict = WebSocketUpgrade.judgeSwitch(response, requestedWebSocket: self.machine.webSocket)
        let action = self.machine.handle(.switchingProtocols(verdict))
        guard case .startTunnel = action else { return self.perform(action) }
        let out = self.worker.responseHeadBuffer
        ResponseForwarder.build(
            response, closeClient: false, keepAliveHeader: false, switchingToWebSocket: true, into: out)
        self.client.write(out.bytes)
        self.startTunnel()
    }

    /// Hands both sockets to a tunnel (the `101` head was written to the client).
    private func startTunnel() {
        guard let upstream = self.upstream else { return }
        self.upstream = nil
        // Counted as a request now (its latency is the handshake's); the access log line waits for the close.
        self.observe(now: MonotonicClock.nanoseconds())
        self.engine.observer?.webSocketTunnelOpened(worker: self.worker.index)
        let tunnel = WebSocketTunnel(
            exchange: self, client: self.client, upstream: upstream.socket, worker: self.worker)
        self.connection.startTunnel(tunnel)
    }

    /// The tunnel this exchange opened closed: its access-log line (status 101, the tunnel's bytes each way, the
    /// time from the request head to the close) and metrics; the tunnel slot is released.
    func tunnelClosed(detail: String, clientToUpstream: UInt64, upstreamToClient: UInt64) {
        self.tunnelBytes = (clientToUpstream, upstreamToClient)
        self.perform(self.machine.handle(.tunnelClosed(detail: detail)))
    }

    private func logTunnel() {
        let now = MonotonicClock.nanoseconds()
        self.appendAccessLog(now: now)
        if let bytes = self.tunnelBytes {
            self.engine.observer?.webSocketTunnelClosed(
                worker: self.worker.index, clientToUpstream: bytes.clientToUpstream,
                upstreamToClient: bytes.upstreamToClient, nanoseconds: now - self.started)
        }
        self.webSocketSlot = nil
    }

    /// Drops the upstream side at once (shutdown, drain timeout): when the exchange had not ended, it is logged
    /// and counted with `detail` (status `0` before a status line).
    func abort(detail: String) {
        self.perform(self.machine.handle(.aborted(detail: detail)))
    }

    // MARK: access log

    /// Reports the machine's outcome: metrics and the access-log line. Called once, by the finishing actions.
    private func log(now: Int64 = MonotonicClock.nanoseconds()) {
        self.observe(now: now)
        self.appendAccessLog(now: now)
    }

    /// Reports the exchange to the observer (metrics). Inlined into `log()` (the per-request path).
    @inline(__always)
    private func observe(now: Int64) {
        let total = now - self.started
        if let observer = self.engine.observer {
            observer.exchangeCompleted(
                ExchangeRecord(
                    serviceIndex: self.serviceIndex >= 0 ? self.serviceIndex : nil,
                    ruleIndex: self.machine.outcome.ruleIndex, method: self.head.method,
                    status: self.machine.outcome.status, nanoseconds: total,
                    detail: self.machine.outcome.metricsDetail ?? self.machine.outcome.detail,
                    worker: self.worker.index, upstreamFailure: self.machine.outcome.upstreamFailure))
        }
    }

    /// Appends the exchange's access-log line, when proxied requests are logged. Inlined into `log()`.
    @inline(__always)
    private func appendAccessLog(now: Int64) {
        guard let accessLog = self.worker.accessLog else { return }
        let total = now - self.started
        accessLog.append(
            peer: self.connection.peer?.host ?? "", method: self.head.method, path: self.path,
            service: self.serviceIndex >= 0 ? self.service.name : "", decision: self.machine.outcome.detail,
            figures: AccessLogFigures(
                status: self.machine.outcome.status,
                bytesIn: self.tunnelBytes?.clientToUpstream ?? self.requestBody.bytesRelayed,
                bytesOut: self.tunnelBytes?.upstreamToClient ?? self.responseBody?.bytesRelayed
                    ?? UInt64(self.localBodyBytes),
                upstreamNanoseconds: self.upstreamStarted.map { now - $0 }, totalNanoseconds: total,
                trace: self.trace))
    }
}

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`; a vDSO call, no allocation): the data plane's clock for
/// durations and deadlines, and the caches' clock (`CacheInstant`).
public enum MonotonicClock {
    /// Nanoseconds since an unspecified start (boot); only differences mean anything.
    public static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}

/// One of the worker's `limits.max_websocket_tunnels` places, held from the forwarded handshake to the tunnel's
/// close (or the exchange's end, when the upstream declined): taken at creation, given back when released.
final class WebSocketSlot {
    private unowned let worker: Worker

    init(worker: Worker) {
        self.worker = worker
        worker.webSocketTunnels += 1
    }

    deinit { self.worker.webSocketTunnels -= 1 }
}
