import PEPCore

// The vocabulary of `ExchangeStateMachine`: what the shell reports (`Event`) and what it is told to do (`Action`).
// Payloads are small and trivial where the per-request path uses them (no strings built, no boxes).

extension ExchangeStateMachine {
    /// An access-phase check that failed (`ProxyExchange.start`).
    enum Refusal {
        /// `CONNECT` or `TRACE`: `405`.
        case method
        /// An `Upgrade` other than WebSocket (or WebSocket disabled): `501`, the connection closes.
        case upgrade
        /// A malformed WebSocket handshake: `400` with this detail, the connection closes.
        case webSocketHandshake(String)
        /// The request target could not be made canonical: `400` with this detail (empty body, close).
        case target(String)
        /// No route for the `Host`: `404`.
        case noRoute
        /// A chunked body already broken (or too large) in the bytes that came with the head.
        case body(status: Int, detail: String)
    }

    /// What happened. The shell reports socket and timer events as they come; payloads are what the machine
    /// needs from the world (buffer state, the pool's answer) so that it never looks at a socket itself.
    enum Event {
        case refused(Refusal)
        /// The access checks passed (`webSocket`: the request is a WebSocket handshake to forward as one).
        case admitted(webSocket: Bool)
        /// The authorizer said forward (`tunnelSlotFree`: the worker can take one more WebSocket tunnel).
        case granted(detail: String, ruleIndex: Int?, tunnelSlotFree: Bool)
        /// The authorizer answered itself (401 + ticket, 403, 502, …) with this status.
        case denied(status: Int, detail: String, ruleIndex: Int?)
        /// An idle pooled connection was taken (it may have been closed by the upstream meanwhile).
        case upstreamReused
        /// A fresh connection (`UpstreamPools.connect`) finished connecting.
        case upstreamConnected
        /// The fresh connection could not even be started.
        case upstreamConnectFailed
        case upstreamConnectTimeout
        /// The upstream closed its side (`idempotentMethod`: `isIdempotent(method)`, a fact for the retry rule).
        case upstreamEOF(idempotentMethod: Bool)
        /// An error on the upstream socket (`tlsFailed`: the TLS handshake or certificate check failed).
        case upstreamError(tlsFailed: Bool, idempotentMethod: Bool)
        /// The upstream read or send timeout.
        case upstreamTimeout
        /// A final (non-1xx) response head was parsed (`untilClose`: its body ends with the connection;
        /// `draining`: the worker is shutting down gracefully).
        case responseHead(status: Int, keepAlive: Bool, untilClose: Bool, draining: Bool)
        case responseHeadRejected(HTTP1ParseError)
        /// A `101`, judged by `WebSocketUpgrade.judgeSwitch`.
        case switchingProtocols(WebSocketUpgrade.SwitchVerdict)
        /// The response body's framing broke.
        case responseBodyFailed
        case responseBodyComplete
        /// A request-body relay step: whether the body ended, the bytes relayed so far, and whether the client's
        /// input buffer is empty.
        case requestBodyProgress(done: Bool, bytesRelayed: UInt64, clientDrained: Bool)
        /// The request body's framing broke after part of it went upstream.
        case requestBodyFailed(HTTP1ParseError)
        /// The client sent bytes.
        case clientReadable
        /// The client half-closed (`shutdown(SHUT_WR)`, or a FIN).
        case clientEOF
        case clientReadTimeout
        /// The client went away (an error or reset), or stopped reading (`sendTimeout`).
        case clientGone(sendTimeout: Bool)
        /// The WebSocket tunnel this exchange opened closed, with this detail.
        case tunnelClosed(detail: String)
        /// Shutdown (`proxy.shutdown`) or drain timeout (`proxy.drain_timeout`) cut the exchange.
        case aborted(detail: String)
    }

    /// What the shell does next. A finishing action closes the upstream connection first (unless it says
    /// otherwise), then reports ``outcome`` (access log and metrics), then acts on the client connection.
    enum Action {
        case none
        /// Ask the authorizer.
        case authorize
        /// Take a pooled connection or connect (and hold a WebSocket tunnel slot when forwarding a handshake).
        case acquireUpstream
        /// Close the upstream connection and acquire a fresh one (retried once).
        case retry
        /// Write the request head upstream and start relaying the request body.
        case sendRequest
        /// Relay what the client sent of its body.
        case relayRequestBody
        /// Stop reading the client (pipelined bytes wait in its input buffer).
        case pauseClientReading
        /// Write the response head (with `Connection: close` when `closeClient`) and relay the body.
        case startResponse(closeClient: Bool)
        /// Relay the `101` head and hand both sockets to a WebSocket tunnel; reported to metrics now, logged at
        /// the tunnel's close (`logTunnel`).
        case startTunnel
        /// Finishing: answer locally with this reply.
        case respond(LocalReply, keepAlive: Bool)
        /// Finishing: answer `status` with an empty body and close; the upstream connection is reset when
        /// `resetUpstream` (part of a broken body went to it).
        case reject(status: Int, resetUpstream: Bool)
        /// Finishing: close both connections (the client sees a truncated response, never a spliced one).
        case cut(resetUpstream: Bool)
        /// Finishing: the response was relayed. Pool the upstream connection when `reuseUpstream`; go on to the
        /// next request when `keepAlive`. `relayRest` first relays what the upstream sent before its close.
        case complete(reuseUpstream: Bool, keepAlive: Bool, relayRest: Bool)
        /// The client half-closed: note it on the connection, then relay the body's rest when `relayBody`.
        case peerHalfClosed(relayBody: Bool)
        /// Finishing a tunnel: its access-log line and metrics.
        case logTunnel
        /// Finishing (shutdown): drop the upstream connection and report ``outcome``; the caller closes the client.
        case dropUpstream
    }
}

/// A reply uma-pep makes itself (`ExchangeStateMachine.Action.respond`).
enum LocalReply: Equatable {
    case methodNotAllowed, upgradeNotSupported, badWebSocketHandshake, noRoute, webSocketTunnelsExhausted
    case badGateway, gatewayTimeout
    /// The authorizer's own answer (`AuthorizationDecision.respond`), which the shell holds.
    case decision

    /// The canned message (`ProxyReplies`); `.decision` has none here (a `502` stands in, never sent).
    var message: HTTPResponseMessage {
        switch self {
        case .methodNotAllowed: ProxyReplies.methodNotAllowed
        case .upgradeNotSupported: ProxyReplies.upgradeNotSupported
        case .badWebSocketHandshake: ProxyReplies.badWebSocketHandshake
        case .noRoute: ProxyReplies.noRoute
        case .webSocketTunnelsExhausted: ProxyReplies.webSocketTunnelsExhausted
        case .badGateway, .decision: ProxyReplies.badGateway
        case .gatewayTimeout: ProxyReplies.gatewayTimeout
        }
    }
}
