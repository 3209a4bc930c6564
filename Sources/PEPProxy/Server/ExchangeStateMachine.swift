import PEPCore

/// Every decision of one proxied exchange, with no I/O: no sockets, no timers, no clock, no logging.
/// `ProxyExchange` (the shell) feeds it what happened (`Event`) and performs what it returns (`Action`).
///
/// It alone decides how the exchange ends, and it ends once: the `Action`s that finish it (`respond`, `reject`,
/// `cut`, `complete`, `logTunnel`, `dropUpstream`) are each returned at most once per exchange, on
/// the move to `done`, and ``outcome`` then holds what the access log and metrics report. Every event that
/// arrives once the exchange is done is ignored (`.none`).
///
/// Phases, in order (`Phase`):
/// - `admitting`: the access-phase checks (method, upgrade, target, route, body framing and size);
/// - `authorizing`: waiting for the authorizer's decision;
/// - `connecting`: an upstream connection is being taken from the pool or made (again after a retry);
/// - `awaitingResponse`: the request head went upstream (its body may still be streaming: `requestBodyDone`);
/// - `relayingResponse`: the response head went to the client, its body streams (the request body may still be
///   streaming too);
/// - `tunnel`: the upstream switched to WebSocket; the tunnel owns both sockets until it reports its close;
/// - `done`: finished and reported.
///
/// Events (`Event`, ExchangeStateMachine+Events.swift): access checks refused or passed, the authorizer's
/// decision, upstream taken / connected / connect failed / EOF / error / each timeout, response head
/// parsed or rejected, a `101` judged, body progress and completion both ways, request body broken mid-stream,
/// client readable / half-closed / read timeout / gone, tunnel closed, shutdown.
///
/// Actions (`Action`): authorize, acquire an upstream connection, retry once on a fresh one, send the request,
/// relay or pause the request body, start the response, switch to a tunnel, and the finishing ones above.
///
/// Flow control (watermarks, pausing reads) and the socket timeouts stay in the shell: they follow buffer
/// lengths, not the exchange's state.
struct ExchangeStateMachine {
    enum Phase: UInt8 {
        case admitting, authorizing, connecting, awaitingResponse, relayingResponse, tunnel, done
    }

    private(set) var phase = Phase.admitting
    /// What the exchange reports once it is done (and, for a tunnel, at the `101`).
    private(set) var outcome = ExchangeOutcome()
    /// The request is a WebSocket handshake forwarded as one.
    private(set) var webSocket = false
    /// The client connection may serve another request.
    private var keepAlive: Bool
    /// The whole request body went upstream (or there is none).
    private var requestBodyDone: Bool
    /// The request head was written upstream (true from the first attempt on, across a retry).
    private var requestSent = false
    /// The client half-closed while its body was still being read: no more bytes will come.
    private var clientSentEverything = false
    /// The first attempt went out on a pooled connection with no request body: a close or error before the
    /// response may be retried once, on a fresh connection (cleared by that retry).
    private var retryable = false
    private var responseKeepAlive = false
    private var responseUntilClose = false
    private let hasRequestBody: Bool
    /// `limits.max_body_bytes` (bytes; the configuration allows 0 to 2^40).
    private let maxBodyBytes: UInt64

    init(framing: RequestBodyFraming, keepAlive: Bool, maxBodyBytes: Int) {
        self.keepAlive = keepAlive
        self.maxBodyBytes = UInt64(max(0, maxBodyBytes))
        switch framing {
        case .none:
            self.hasRequestBody = false
            self.requestBodyDone = true
        case .contentLength(let length):
            self.hasRequestBody = true
            self.requestBodyDone = length == 0
            self.declaredTooLarge = length > self.maxBodyBytes
        case .chunked:
            self.hasRequestBody = true
            self.requestBodyDone = false
        }
    }

    /// The declared `Content-Length` is over `max_body_bytes` (`413` before authorization).
    private var declaredTooLarge = false

    var isDone: Bool { self.phase == .done }

    /// Methods a proxy may retry automatically (RFC 9110 §9.2.2).
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]

    /// Whether `method` is one of `idempotentMethods` (the shell asks only when the upstream ends or fails).
    static func isIdempotent(_ method: String) -> Bool { Self.idempotentMethods.contains(method) }

    // MARK: transitions

    /// Moves the exchange on by `event` and says what to do. Inlined: at each call site the event is known, so
    /// only its own branch remains (no `Event` is built, no switch runs).
    @inline(__always)
    mutating func handle(_ event: Event) -> Action {
        if self.phase == .done { return .none }
        switch event {
        case .refused(let refusal):
            return self.refuse(refusal)
        case .admitted(let webSocket):
            self.webSocket = webSocket
            if self.declaredTooLarge { return self.reject(413, detail: "http1.body_too_large") }
            self.phase = .authorizing
            return .authorize
        case .granted(let detail, let ruleIndex, let tunnelSlotFree):
            guard self.phase == .authorizing else { return .none }
            self.outcome.ruleIndex = ruleIndex
            self.outcome.detail = detail
            // The cap counts handshakes from here (forwarded) to their tunnel's close.
            if self.webSocket, !tunnelSlotFree {
                self.keepAlive = false
                return self.respond(.webSocketTunnelsExhausted, detail: "proxy.websocket_tunnels_exhausted")
            }
            self.phase = .connecting
            return .acquireUpstream
        case .denied(let status, let detail, let ruleIndex):
            guard self.phase == .authorizing else { return .none }
            self.outcome.ruleIndex = ruleIndex
            return self.respond(.decision, status: status, detail: detail)
        case .upstreamReused:
            guard self.phase == .connecting else { return .none }
            // Only the first attempt: after a retry the request counts as sent.
            self.retryable = !self.requestSent && !self.hasRequestBody
            return self.sendRequest()
        case .upstreamConnected:
            guard self.phase == .connecting else { return .none }
            return self.sendRequest()
        case .upstreamConnectFailed:
            return self.failUpstream(.connect)
        case .upstreamConnectTimeout:
            return self.failUpstream(.connectTimeout)
        case .upstreamEOF(let idempotentMethod):
            return self.upstreamEnded(idempotentMethod: idempotentMethod)
        case .upstreamError(let tlsFailed, let idempotentMethod):
            return self.upstreamErred(tlsFailed: tlsFailed, idempotentMethod: idempotentMethod)
        case .upstreamTimeout:
            return self.failUpstream(.timeout)
        case .responseHead(let status, let keepAlive, let untilClose, let draining):
            guard self.phase == .awaitingResponse else { return .none }
            return self.startResponse(status: status, keepAlive: keepAlive, untilClose: untilClose, draining: draining)
        case .responseHeadRejected(let error):
            return self.failUpstream(.invalidResponse, detail: "upstream.\(error.detail)")
        case .switchingProtocols(let verdict):
            return self.switchProtocols(verdict)
        case .responseBodyFailed:
            return self.failMidway(.invalidResponse)
        case .responseBodyComplete:
            return self.complete(reusable: self.responseKeepAlive && !self.responseUntilClose, relayRest: false)
        case .requestBodyProgress(let done, let bytesRelayed, let clientDrained):
            return self.requestBodyProgressed(done: done, bytesRelayed: bytesRelayed, clientDrained: clientDrained)
        case .requestBodyFailed(let error):
            // Nothing more can be trusted on either connection, and the upstream, which may have part of the
            // body, is reset rather than closed (a FIN could end a shorter, valid request).
            return self.fail(status: error.status, detail: error.detail, resetUpstream: true)
        case .clientReadable:
            // Pipelined bytes, or body bytes before the head went upstream, wait in the input buffer.
            return self.requestBodyDone || !self.requestSent ? .pauseClientReading : .relayRequestBody
        case .clientEOF:
            return self.clientHalfClosed()
        case .clientReadTimeout:
            // The client stopped sending its body before any response byte: 408, and the upstream connection
            // (which holds a partial request) is reset.
            if !self.requestBodyDone, self.phase != .relayingResponse, self.phase != .tunnel {
                return self.fail(status: 408, detail: "http1.body_timeout", resetUpstream: true)
            }
            return self.clientGone(sendTimeout: false)
        case .clientGone(let sendTimeout):
            return self.clientGone(sendTimeout: sendTimeout)
        case .tunnelClosed(let detail):
            guard self.phase == .tunnel else { return .none }
            self.phase = .done
            self.outcome.detail = detail
            return .logTunnel
        case .aborted(let detail):
            // A tunnel owns both sockets and reports its own close (`tunnelClosed`).
            guard self.phase != .tunnel else { return .none }
            self.phase = .done
            self.outcome.detail = detail
            return .dropUpstream
        }
    }

    // MARK: access phase

    private mutating func refuse(_ refusal: Refusal) -> Action {
        switch refusal {
        case .method:
            return self.respond(.methodNotAllowed, detail: "proxy.method_not_allowed")
        case .upgrade:
            self.keepAlive = false
            return self.respond(.upgradeNotSupported, detail: "proxy.upgrade_refused")
        case .webSocketHandshake(let detail):
            self.keepAlive = false
            return self.respond(.badWebSocketHandshake, detail: detail)
        case .target(let detail):
            return self.reject(400, detail: detail)
        case .noRoute:
            return self.respond(.noRoute, detail: "proxy.no_route")
        case .body(let status, let detail):
            return self.reject(status, detail: detail)
        }
    }

    // MARK: finishing

    /// Answers without contacting the upstream (any upstream connection is closed). A request body that was not
    /// read makes the connection close (its bytes are never parsed as a request: SECURITY 33).
    private mutating func respond(_ reply: LocalReply, detail: String) -> Action {
        self.respond(reply, status: reply.message.status, detail: detail)
    }

    private mutating func respond(_ reply: LocalReply, status: Int, detail: String) -> Action {
        self.phase = .done
        self.outcome.detail = detail
        self.outcome.status = status
        return .respond(reply, keepAlive: self.keepAlive && !self.hasRequestBody)
    }

    /// An empty-body answer that closes the connection (no upstream involved).
    private mutating func reject(_ status: Int, detail: String) -> Action {
        self.phase = .done
        self.outcome.detail = detail
        self.outcome.status = status
        return .reject(status: status, resetUpstream: false)
    }

    /// The exchange broke after it started streaming: answer `status` when no response byte was written yet,
    /// otherwise cut both connections.
    private mutating func fail(status: Int, detail: String, resetUpstream: Bool) -> Action {
        let responseStarted = self.phase == .relayingResponse
        self.phase = .done
        self.outcome.detail = detail
        if responseStarted { return .cut(resetUpstream: resetUpstream) }
        self.outcome.status = status
        return .reject(status: status, resetUpstream: resetUpstream)
    }

    /// The response was relayed whole (or up to the upstream's close, for a body without framing).
    private mutating func complete(reusable: Bool, relayRest: Bool) -> Action {
        guard self.phase == .relayingResponse else { return .none }
        self.phase = .done
        return .complete(
            reuseUpstream: reusable && self.requestBodyDone, keepAlive: self.keepAlive && self.requestBodyDone,
            relayRest: relayRest)
    }

    // MARK: upstream

    private mutating func sendRequest() -> Action {
        self.phase = .awaitingResponse
        self.requestSent = true
        return .sendRequest
    }

    /// A pooled connection the upstream had closed before our request reached it: retry once on a fresh one,
    /// only when nothing of a request body can have been consumed (there is none) and the method is idempotent
    /// (RFC 9110 §9.2.2).
    private func canRetry(idempotentMethod: Bool) -> Bool {
        self.retryable && idempotentMethod
    }

    private mutating func retry() -> Action {
        self.retryable = false
        self.phase = .connecting
        return .retry
    }

    private mutating func upstreamEnded(idempotentMethod: Bool) -> Action {
        switch self.phase {
        case .relayingResponse:
            if self.responseUntilClose { return self.complete(reusable: false, relayRest: true) }
            return self.failMidway(.reset)
        case .connecting, .awaitingResponse:
            return self.canRetry(idempotentMethod: idempotentMethod) ? self.retry() : self.failUpstream(.closed)
        default:
            return .none
        }
    }

    private mutating func upstreamErred(tlsFailed: Bool, idempotentMethod: Bool) -> Action {
        switch self.phase {
        case .relayingResponse:
            return self.failMidway(.reset)
        case .connecting, .awaitingResponse:
            if self.canRetry(idempotentMethod: idempotentMethod) { return self.retry() }
            if tlsFailed { return self.failUpstream(.tls) }
            return self.failUpstream(self.requestSent ? .reset : .connect)
        default:
            return .none
        }
    }

    /// Failure before any response byte was sent: `502` (`504` for a timeout) with a JSON body.
    /// - Parameter detail: the log's detail; the failure's own by default.
    private mutating func failUpstream(_ failure: UpstreamFailure, detail: String? = nil) -> Action {
        switch self.phase {
        case .relayingResponse:
            return self.failMidway(failure)
        case .connecting, .awaitingResponse:
            self.outcome.upstreamFailure = failure
            return self.respond(failure == .timeout ? .gatewayTimeout : .badGateway, detail: detail ?? failure.detail)
        default:
            return .none
        }
    }

    /// The upstream failed after the response started: both connections are cut.
    private mutating func failMidway(_ failure: UpstreamFailure) -> Action {
        guard self.phase == .relayingResponse else { return .none }
        self.outcome.upstreamFailure = failure
        return self.fail(
            status: 0, detail: failure == .timeout ? "upstream.timeout_midway" : "upstream.reset_midway",
            resetUpstream: false)
    }

    // MARK: response

    private mutating func startResponse(status: Int, keepAlive: Bool, untilClose: Bool, draining: Bool) -> Action {
        self.phase = .relayingResponse
        self.outcome.status = status
        // An upstream that declined a WebSocket handshake is not reused: it saw an Upgrade request.
        self.responseKeepAlive = keepAlive && !self.webSocket
        self.responseUntilClose = untilClose
        let closeClient = !self.keepAlive || untilClose || draining
        if closeClient { self.keepAlive = false }
        return .startResponse(closeClient: closeClient)
    }

    /// A tunnel when the client asked for exactly that, otherwise `502` and the upstream connection closed.
    private mutating func switchProtocols(_ verdict: WebSocketUpgrade.SwitchVerdict) -> Action {
        guard self.phase == .awaitingResponse else { return .none }
        switch verdict {
        case .unsolicited:
            return self.failUpstream(.invalidResponse, detail: "upstream.unsolicited_switch")
        case .mismatched:
            return self.failUpstream(.invalidResponse, detail: "upstream.websocket_switch_mismatch")
        case .tunnel:
            self.phase = .tunnel
            self.keepAlive = false
            self.outcome.status = 101
            return .startTunnel
        }
    }

    // MARK: request body and client

    private mutating func requestBodyProgressed(done: Bool, bytesRelayed: UInt64, clientDrained: Bool) -> Action {
        guard self.phase == .awaitingResponse || self.phase == .relayingResponse else { return .none }
        self.requestBodyDone = done
        if bytesRelayed > self.maxBodyBytes {
            return self.fail(status: 413, detail: "http1.body_too_large", resetUpstream: true)
        }
        if self.clientSentEverything, !done, clientDrained {
            return self.fail(status: 400, detail: "http1.body_truncated", resetUpstream: true)
        }
        return .none
    }

    /// A client that half-closes after a complete request (`printf … | nc`) still gets its response (and so do
    /// the requests it pipelined). With the body still being read, what it sent may already be whole in the
    /// input buffer: keep relaying; the relay answers `400` if the body ends short.
    private mutating func clientHalfClosed() -> Action {
        guard self.phase != .tunnel else { return .none }
        if self.requestBodyDone { return .peerHalfClosed(relayBody: false) }
        self.clientSentEverything = true
        return .peerHalfClosed(relayBody: self.requestSent)
    }

    /// The client went away (or stopped reading): the upstream connection is dropped, never reused, and the
    /// exchange is reported as cut by the client.
    private mutating func clientGone(sendTimeout: Bool) -> Action {
        guard self.phase != .tunnel else { return .none }
        // Past the grant, `detail` is still the authorizer's: metrics keep counting it.
        if self.phase == .connecting || self.phase == .awaitingResponse || self.phase == .relayingResponse {
            self.outcome.metricsDetail = self.outcome.detail
        }
        self.phase = .done
        self.outcome.detail = sendTimeout ? "client.send_timeout" : "client.closed"
        return .cut(resetUpstream: false)
    }
}
