import Foundation
import Logging
import PEPCore

// This file holds one exchange's whole life (access phase → upstream → response relay); it is over 400 lines
// because the relay state machine and its failure handling read best in one place (STYLE rule 18).

/// One proxied request/response on a client connection: canonical target and route (access phase), the
/// authorizer's decision, then forwarding on a pooled upstream connection with both bodies streamed
/// (evbuffer chains moved, never copied into Swift arrays) and backpressure both ways.
///
/// Failures: upstream connect error → `502`, upstream timeout before the response head → `504`, a rejected
/// upstream response head → `502`, all with a JSON body; after the response has started, any failure cuts both
/// connections (the client sees a truncated response, never a spliced one).
final class ProxyExchange: BufferedSocketDelegate {
    /// Bytes queued on the other side before reads pause.
    static let highWatermark = 256 * 1024
    /// Bytes the queue must drain to before reads resume.
    static let lowWatermark = 64 * 1024

    unowned let connection: HTTPServerConnection
    let engine: ProxyEngine
    let head: RequestHead
    private var keepAlive: Bool
    private var path = ""
    private(set) var query: String?
    private var serviceIndex = -1
    private var upstream: UpstreamConnection?
    private var upstreamReused = false
    private var connectTimer: LoopTimer?
    private var requestBody: BodyRelay
    private var responseBody: BodyRelay?
    private var responseKeepAlive = false
    private var responseStatus = 0
    private var finished = false
    private var mutations = HeaderMutations.none
    private var retried = false
    /// Body bytes of a reply uma-pep made itself (401, 403, 404, 502…), for the access log's `bytes_out`.
    private var localBodyBytes = 0
    /// The client half-closed while its request body was still being read: no more bytes will come.
    private var clientSentEverything = false
    /// The request head was written upstream: request body bytes may follow it.
    private var requestHeadSent = false
    private let started = MonotonicClock.nanoseconds()
    private var upstreamStarted: Int64?
    private var decisionDetail = "forward"
    /// Why the upstream side failed, when it did (typed for metrics; the detail string is for the log).
    private var upstreamFailure: UpstreamFailure?
    /// The authorizer's detail for a forwarded request (what metrics classify when the client goes away).
    private var forwardDetail: String?
    private var ruleIndex: Int?
    /// The W3C trace context forwarded upstream and to the authorization server, and logged (`trace_id`).
    let trace: TraceContext
    /// The client's `tracestate` line, forwarded with a kept `traceparent`.
    private let traceStateIndex: Int?
    /// The request is a WebSocket opening handshake (`WebSocketUpgrade.classify`), forwarded as one.
    private var webSocket = false
    /// The worker's tunnel slot this handshake holds once forwarded (released with the exchange or the tunnel).
    private var webSocketSlot: WebSocketSlot?
    /// Tunnel byte counts for the access log's `bytes_in` / `bytes_out`, once the tunnel closed.
    private var tunnelBytes: (clientToUpstream: UInt64, upstreamToClient: UInt64)?

    init(connection: HTTPServerConnection, engine: ProxyEngine, head: RequestHead, keepAlive: Bool) {
        #if DEBUG
            engine.liveExchanges.add(1, ordering: .relaxed)
        #endif
        self.connection = connection
        self.worker = connection.worker
        self.client = connection.socket
        self.engine = engine
        self.head = head
        self.keepAlive = keepAlive
        self.requestBody = BodyRelay(request: head.framing)
        (self.trace, self.traceStateIndex) = Self.traceContext(of: head, worker: connection.worker)
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

    #if DEBUG
        deinit { self.engine.liveExchanges.add(-1, ordering: .relaxed) }
    #endif

    /// The connection's worker and socket, held directly (each access through the `unowned` connection is an
    /// unowned-to-strong retain).
    private let worker: Worker
    private let client: BufferedSocket

    // MARK: access phase

    func start() {
        if self.head.method == "CONNECT" || self.head.method == "TRACE" {
            return self.respondLocally(ProxyReplies.methodNotAllowed, detail: "proxy.method_not_allowed")
        }
        if self.head.upgrade != nil {
            switch WebSocketUpgrade.classify(self.head, enabled: self.worker.limits.maxWebSocketTunnels > 0) {
            case .webSocket:
                self.webSocket = true
            case .unsupported:
                self.keepAlive = false
                return self.respondLocally(ProxyReplies.upgradeNotSupported, detail: "proxy.upgrade_refused")
            case .invalid(let detail):
                self.keepAlive = false
                return self.respondLocally(ProxyReplies.badWebSocketHandshake, detail: detail)
            }
        }
        let target: CanonicalTarget
        do {
            target = try self.head.canonicalTarget(options: self.engine.options.canonical)
        } catch {
            self.finished = true
            self.decisionDetail = error.detail
            self.log(status: 400)
            return self.connection.reject(status: 400, detail: error.detail)
        }
        self.path = target.path
        self.query = target.query
        guard let index = self.connection.route(host: self.head.host ?? "", engine: self.engine) else {
            return self.respondLocally(ProxyReplies.noRoute, detail: "proxy.no_route")
        }
        self.serviceIndex = index
        if case .contentLength(let length) = self.head.framing, length > UInt64(self.worker.limits.maxBodyBytes) {
            self.finished = true
            self.decisionDetail = "http1.body_too_large"
            self.log(status: 413)
            return self.connection.reject(status: 413, detail: "http1.body_too_large")
        }
        if let refused = self.requestBody.preflightError(in: self.client, maxBodyBytes: self.worker.limits.maxBodyBytes)
        {
            // A body already broken in the bytes that came with the head: refused before authorization, so
            // nothing of it (not even the head) reaches the upstream or the authorization server.
            self.finished = true
            self.decisionDetail = refused.detail
            self.log(status: refused.status)
            return self.connection.reject(status: refused.status, detail: refused.detail)
        }
        let request = AuthorizationRequest(
            serviceIndex: index, method: self.head.method, path: self.path, head: self.head,
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
        guard !self.finished, !self.connection.isClosed else { return }
        switch decision {
        case .respond(let response, let detail, let ruleIndex):
            self.ruleIndex = ruleIndex
            self.respondLocally(response, detail: detail)
        case .forward(let mutations, let detail, let ruleIndex):
            self.ruleIndex = ruleIndex
            self.decisionDetail = detail
            self.forwardDetail = detail
            self.mutations = mutations
            self.addClientCertificateSubject()
            if self.webSocket {
                // The cap counts handshakes from here (forwarded) to their tunnel's close.
                guard self.worker.webSocketTunnels < self.worker.limits.maxWebSocketTunnels else {
                    self.keepAlive = false
                    return self.respondLocally(
                        ProxyReplies.webSocketTunnelsExhausted, detail: "proxy.websocket_tunnels_exhausted")
                }
                self.webSocketSlot = WebSocketSlot(worker: self.worker)
            }
            self.acquireUpstream()
        }
    }

    /// Answers without contacting the upstream. A request body that was not read makes the connection close
    /// (its bytes are never parsed as a request: SECURITY 33).
    private func respondLocally(_ response: HTTPResponseMessage, detail: String) {
        self.finished = true
        self.decisionDetail = detail
        let bodyUnread = self.head.framing != .none
        self.localBodyBytes = self.head.method == "HEAD" ? 0 : response.body.count
        self.log(status: response.status)
        self.connection.respond(
            response, keepAlive: self.keepAlive && !bodyUnread, isHead: self.head.method == "HEAD")
    }

    // MARK: upstream connection

    private var service: ProxyService { self.engine.services[self.serviceIndex] }

    private func acquireUpstream() {
        let target = self.service.upstream
        if let idle = self.worker.upstreams.takeIdle(target) {
            self.upstream = idle
            self.upstreamReused = true
            idle.socket.delegate = self
            self.sendRequest()
            return
        }
        do {
            let upstream = try self.worker.upstreams.connect(target)
            self.upstream = upstream
            self.upstreamReused = false
            upstream.socket.delegate = self
            self.connectTimer = LoopTimer(loop: self.worker.loop) { [unowned self] in
                self.upstreamFailed(.connectTimeout)
            }
            self.connectTimer?.schedule(after: self.worker.limits.upstreamConnectTimeout)
        } catch {
            self.upstreamFailed(.connect)
        }
    }

    private func sendRequest() {
        guard let upstream = self.upstream else { return }
        upstream.requestCount += 1
        self.upstreamStarted = MonotonicClock.nanoseconds()
        let peerHost = self.connection.peer?.host
        let trusted: Bool
        if !self.engine.options.trustedProxies.isEmpty, let host = peerHost, let address = IPAddress(host) {
            trusted = self.engine.options.trustedProxies.contains { $0.contains(address) }
        } else {
            trusted = false
        }
        let input = RequestForwarder.Input(
            head: self.head, path: self.path, query: self.query, service: self.service, mutations: self.mutations,
            peerHost: peerHost, peerTrusted: trusted, scheme: self.connection.context.scheme,
            requestId: self.requestId(trusted: trusted), via: self.engine.options.via,
            upstreamVersion10: self.head.version == .http10, trace: self.trace, traceStateIndex: self.traceStateIndex,
            webSocket: self.webSocket)
        RequestForwarder.build(input, into: self.worker.requestHeadBuffer)
        upstream.socket.write(self.worker.requestHeadBuffer.bytes)
        self.requestHeadSent = true
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
        if self.requestBody.isDone || !self.requestHeadSent {
            // Pipelined bytes, or body bytes before the head went upstream: they wait in the input buffer. Reading
            // pauses only now (at most one read's worth is buffered), so a client that sends nothing while its
            // request is served costs no epoll_ctl.
            self.client.setReading(false)
        } else {
            self.relayRequestBody()
        }
    }

    private func relayRequestBody() {
        guard let upstream = self.upstream, upstream.socket.isOpen else { return }
        switch self.requestBody.relay(from: self.client, to: upstream.socket, limits: self.worker.httpLimits) {
        case .failed(let error):
            // The body's framing broke: nothing more can be trusted on either connection, and the upstream, which
            // may have part of the body, is reset rather than closed (a FIN could end a shorter, valid request).
            self.decisionDetail = error.detail
            self.failMidway(clientStatus: error.status, resetUpstream: true)
            return
        case .progress:
            break
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
        if self.requestBody.bytesRelayed > UInt64(self.worker.limits.maxBodyBytes) {
            self.decisionDetail = "http1.body_too_large"
            return self.failMidway(clientStatus: 413, resetUpstream: true)
        }
        if self.clientSentEverything, !self.requestBody.isDone, self.client.inputLength == 0 {
            self.decisionDetail = "http1.body_truncated"
            self.failMidway(clientStatus: 400, resetUpstream: true)
        }
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
            self.sendRequest()
        case .eof:
            if let body = self.responseBody {
                if body.isUntilClose {
                    self.relayResponseBody()
                    self.responseComplete(reusable: false)
                } else {
                    self.upstreamFailedMidway(.reset)
                }
            } else if self.canRetry {
                self.retry()
            } else {
                self.upstreamFailed(.closed)
            }
        case .error:
            if self.responseBody == nil, self.canRetry {
                self.retry()
            } else if self.responseBody == nil, let reason = socket.tlsFailure {
                self.worker.logger.warning(
                    "upstream TLS failed",
                    metadata: [
                        "service": "\(self.service.name)", "upstream": "\(self.service.upstream.serverName)",
                        "reason": "\(reason)",
                    ])
                self.upstreamFailed(.tls)
            } else if self.responseBody == nil {
                self.upstreamFailed(self.upstreamStarted == nil ? .connect : .reset)
            } else {
                self.upstreamFailedMidway(.reset)
            }
        case .readTimeout, .writeTimeout:
            if self.responseBody == nil {
                self.upstreamFailed(.timeout)
            } else {
                self.upstreamFailedMidway(.timeout)
            }
        }
    }

    /// A pooled connection the upstream had closed before our request reached it: retry once on a fresh one,
    /// only when nothing of the request body has been consumed and no response byte arrived.
    private var canRetry: Bool {
        self.upstreamReused && !self.retried && self.requestBody.bytesRelayed == 0 && self.head.framing == .none
            && Self.idempotentMethods.contains(self.head.method)
    }

    /// Methods a proxy may retry automatically (RFC 9110 §9.2.2).
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]

    private func retry() {
        self.retried = true
        self.upstream?.socket.close()
        self.upstream = nil
        self.acquireUpstream()
    }

    // MARK: response (upstream → client)

    private func readResponseHead() {
        guard let upstream = self.upstream else { return }
        let limits = self.worker.httpLimits
        while self.responseBody == nil, upstream.socket.inputLength > 0 {
            let result = upstream.socket.withInput(upTo: limits.maxHeadBytes + 1) {
                upstream.responseParser.parse($0, requestMethod: self.head.method, limits: limits)
            }
            switch result {
            case .incomplete:
                return
            case .rejected(let error):
                return self.upstreamFailed(.invalidResponse, detail: "upstream.\(error.detail)")
            case .complete(let response, let consumed):
                upstream.socket.drainInput(consumed)
                // 1xx interim responses are dropped (Expect is answered by uma-pep itself), except 101, which ends
                // HTTP on this connection (`startResponse`).
                if response.isInformational, response.status != 101 { continue }
                self.startResponse(response)
                if self.finished { return }
            }
        }
        if self.responseBody != nil { self.relayResponseBody() }
    }

    private func startResponse(_ response: ResponseHead) {
        // A tunnel or a 502. Tested here, not in `readResponseHead`: a second use of its bound head there made
        // every head be copied (callgrind, cached grant: +300 instructions a request).
        if response.status == 101 { return self.switchProtocols(response) }
        self.responseStatus = response.status
        // An upstream that declined a WebSocket handshake is not reused: it saw an Upgrade request.
        self.responseKeepAlive = response.keepAlive && !self.webSocket
        let body = BodyRelay(response: response.framing)
        self.responseBody = body
        let closeClient = !self.keepAlive || body.isUntilClose || self.worker.draining
        if closeClient { self.keepAlive = false }
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
            return self.upstreamFailedMidway(.invalidResponse)
        }
        if body.isDone {
            return self.responseComplete(reusable: self.responseKeepAlive && !body.isUntilClose)
        }
        if self.client.outputLength > Self.highWatermark {
            upstream.socket.setReading(false)
            self.client.setWriteLowWatermark(Self.lowWatermark)
        }
    }

    func clientWritable() {
        guard let upstream = self.upstream, self.responseBody != nil, !self.finished else { return }
        if self.client.outputLength <= Self.lowWatermark {
            self.client.setWriteLowWatermark(0)
            upstream.socket.setReading(true)
            self.relayResponseBody()
        }
    }

    func clientEvent(_ event: BufferedSocket.Event) {
        // A client that half-closes after a complete request (`printf … | nc`) still gets its response, and
        // so do requests it pipelined before closing; the connection closes after the last of them.
        if event == .eof, self.requestBody.isDone, !self.finished {
            self.connection.peerHalfClosed()
            return
        }
        // Half-closed with the body still being read: what the client sent may already be whole in the input
        // buffer (`printf 'POST …' | nc`). Keep going; the relay answers 400 if the body ends short.
        if event == .eof, !self.finished {
            self.clientSentEverything = true
            self.connection.peerHalfClosed()
            if self.requestHeadSent { self.relayRequestBody() }
            return
        }
        // The client stopped sending its body before any response byte: 408, and the upstream connection (which
        // holds a partial request) is dropped.
        if event == .readTimeout, !self.requestBody.isDone, self.responseBody == nil, !self.finished {
            self.decisionDetail = "http1.body_timeout"
            return self.failMidway(clientStatus: 408, resetUpstream: true)
        }
        // The client went away (or stopped reading): drop the upstream connection, never reuse it, and log the
        // exchange as cut by the client.
        if !self.finished {
            self.decisionDetail = event == .writeTimeout ? "client.send_timeout" : "client.closed"
            self.finished = true
            self.log(status: self.responseStatus)
        }
        self.abort()
        self.connection.close()
    }

    private func responseComplete(reusable: Bool) {
        guard !self.finished else { return }
        self.finished = true
        if let upstream = self.upstream {
            if reusable && self.requestBody.isDone {
                self.worker.upstreams.release(upstream)
            } else {
                upstream.socket.close()
            }
            self.upstream = nil
        }
        self.log(status: self.responseStatus)
        self.client.setWriteLowWatermark(0)
        self.connection.exchangeFinished(keepAlive: self.keepAlive && self.requestBody.isDone)
    }

    // MARK: WebSocket (RFC 6455 §4)

    /// The upstream answered `101 Switching Protocols`: a tunnel when the client asked for exactly that
    /// (`WebSocketUpgrade.judgeSwitch`), otherwise `502` and the upstream connection closed.
    @inline(never)
    private func switchProtocols(_ response: ResponseHead) {
        guard let upstream = self.upstream else { return }
        switch WebSocketUpgrade.judgeSwitch(response, requestedWebSocket: self.webSocket) {
        case .unsolicited:
            return self.upstreamFailed(.invalidResponse, detail: "upstream.unsolicited_switch")
        case .mismatched:
            return self.upstreamFailed(.invalidResponse, detail: "upstream.websocket_switch_mismatch")
        case .tunnel:
            break
        }
        self.finished = true
        self.keepAlive = false
        self.responseStatus = 101
        self.upstream = nil
        let out = self.worker.responseHeadBuffer
        ResponseForwarder.build(
            response, closeClient: false, keepAliveHeader: false, switchingToWebSocket: true, into: out)
        self.client.write(out.bytes)
        // Counted as a request now (its latency is the handshake's); the access log line waits for the close.
        self.observe(status: 101, now: MonotonicClock.nanoseconds())
        self.engine.observer?.webSocketTunnelOpened(worker: self.worker.index)
        let tunnel = WebSocketTunnel(
            exchange: self, client: self.client, upstream: upstream.socket, worker: self.worker)
        self.connection.startTunnel(tunnel)
    }

    /// The tunnel this exchange opened closed: its access-log line (status 101, the tunnel's bytes each way, the
    /// time from the request head to the close) and metrics; the tunnel slot is released.
    func tunnelClosed(detail: String, clientToUpstream: UInt64, upstreamToClient: UInt64) {
        self.decisionDetail = detail
        self.tunnelBytes = (clientToUpstream, upstreamToClient)
        let now = MonotonicClock.nanoseconds()
        self.appendAccessLog(status: 101, now: now)
        self.engine.observer?.webSocketTunnelClosed(
            worker: self.worker.index, clientToUpstream: clientToUpstream, upstreamToClient: upstreamToClient,
            nanoseconds: now - self.started)
        self.webSocketSlot = nil
    }

    // MARK: failures

    /// Failure before any response byte was sent: answer `502` (`504` for a timeout) with a JSON body.
    /// - Parameter detail: the log's detail; the failure's own by default.
    private func upstreamFailed(_ failure: UpstreamFailure, detail: String? = nil) {
        guard !self.finished else { return }
        self.connectTimer?.cancel()
        self.upstream?.socket.close()
        self.upstream = nil
        self.upstreamFailure = failure
        if self.responseBody != nil {
            return self.upstreamFailedMidway(failure)
        }
        self.respondLocally(
            failure == .timeout ? ProxyReplies.gatewayTimeout : ProxyReplies.badGateway,
            detail: detail ?? failure.detail)
        self.keepAlive = false
    }

    /// The upstream failed after the response started: both connections are cut (the client sees a truncated
    /// response, never a spliced one).
    private func upstreamFailedMidway(_ failure: UpstreamFailure) {
        guard !self.finished else { return }
        self.upstreamFailure = failure
        self.decisionDetail = failure == .timeout ? "upstream.timeout_midway" : "upstream.reset_midway"
        self.failMidway(clientStatus: nil)
    }

    /// Failure after the exchange started streaming: cut both connections (or answer `clientStatus` when no
    /// response byte was written yet).
    /// - Parameter resetUpstream: close the upstream connection with a TCP reset (a request body broke after
    ///   part of it went upstream).
    private func failMidway(clientStatus: Int?, resetUpstream: Bool = false) {
        guard !self.finished else { return }
        self.finished = true
        if resetUpstream { self.upstream?.socket.closeWithReset() } else { self.upstream?.socket.close() }
        self.upstream = nil
        if self.responseBody == nil, let status = clientStatus {
            self.log(status: status)
            self.connection.reject(status: status, detail: self.decisionDetail)
        } else {
            self.log(status: self.responseStatus)
            self.connection.close()
        }
    }

    /// Drops the upstream side at once (client gone, shutdown).
    /// - Parameter detail: when given and the exchange had not ended, it is logged and counted with this detail
    ///   (status `0` before a status line): a drain timeout or a shutdown cut it.
    func abort(detail: String? = nil) {
        if let detail, !self.finished {
            self.decisionDetail = detail
            self.log(status: self.responseStatus)
        }
        self.finished = true
        self.connectTimer?.cancel()
        self.upstream?.socket.close()
        self.upstream = nil
    }

    // MARK: access log

    private func log(status: Int) {
        let now = MonotonicClock.nanoseconds()
        self.observe(status: status, now: now)
        self.appendAccessLog(status: status, now: now)
    }

    /// Reports the exchange to the observer (metrics). Inlined into `log(status:)` (the per-request path).
    @inline(__always)
    private func observe(status: Int, now: Int64) {
        let total = now - self.started
        if let observer = self.engine.observer {
            observer.exchangeCompleted(
                ExchangeRecord(
                    serviceIndex: self.serviceIndex >= 0 ? self.serviceIndex : nil, ruleIndex: self.ruleIndex,
                    method: self.head.method, status: status, nanoseconds: total,
                    detail: self.decisionDetail.hasPrefix("client.")
                        ? (self.forwardDetail ?? self.decisionDetail) : self.decisionDetail,
                    worker: self.worker.index, upstreamFailure: self.upstreamFailure))
        }
    }

    /// Appends the exchange's access-log line, when proxied requests are logged. Inlined into `log(status:)`.
    @inline(__always)
    private func appendAccessLog(status: Int, now: Int64) {
        guard let accessLog = self.worker.accessLog else { return }
        let total = now - self.started
        accessLog.append(
            AccessLogRecord(
                peer: self.connection.peer?.host ?? "", method: self.head.method, path: self.path, status: status,
                service: self.serviceIndex >= 0 ? self.service.name : "", decision: self.decisionDetail,
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

/// Why forwarding failed on the upstream side. The data plane's own classification: the metrics' `kind` label
/// and the access log's `upstream.*` detail both come from it (never parsed back from strings).
public enum UpstreamFailure: Sendable, Equatable, CaseIterable {
    /// The TCP connection could not be made (refused, unreachable; `502`).
    case connect
    /// `upstream_connect_timeout` passed before the connection was made (`502`).
    case connectTimeout
    /// The TLS handshake or the certificate check failed (`502`).
    case tls
    /// `upstream_read_timeout` (or its send timeout) passed (`504`, or a cut response).
    case timeout
    /// The response head or its framing was invalid (`502`, or a cut response).
    case invalidResponse
    /// The upstream closed the connection before any response byte (`502`).
    case closed
    /// The upstream closed or reset the connection during the response (cut response).
    case reset

    /// The stable detail string (access log, `decision=`), before any response byte.
    public var detail: String {
        switch self {
        case .connect: "upstream.connect_failed"
        case .connectTimeout: "upstream.connect_timeout"
        case .tls: "upstream.tls_failed"
        case .timeout: "upstream.timeout"
        case .invalidResponse: "upstream.invalid_response"
        case .closed: "upstream.closed"
        case .reset: "upstream.reset"
        }
    }
}

/// Canned proxy replies (JSON `{"message": …}` like Kong's).
enum ProxyReplies {
    static let noRoute = HTTPResponseMessage.json(404, #"{"message":"no Route matched with those values"}"#)
    static let methodNotAllowed = HTTPResponseMessage.json(405, #"{"message":"Method not allowed"}"#)
    static let upgradeNotSupported = HTTPResponseMessage.json(
        501, #"{"message":"Protocol upgrade is not supported"}"#)
    static let badWebSocketHandshake = HTTPResponseMessage.json(
        400, #"{"message":"Invalid WebSocket handshake"}"#)
    static let webSocketTunnelsExhausted = HTTPResponseMessage.json(
        503, #"{"message":"Too many WebSocket connections, retry later"}"#, headers: [("Retry-After", "1")])
    static let badGateway = HTTPResponseMessage.json(
        502, #"{"message":"An invalid response was received from the upstream server"}"#)
    static let gatewayTimeout = HTTPResponseMessage.json(504, #"{"message":"The upstream server is timing out"}"#)
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
