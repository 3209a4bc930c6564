import PEPCore
import Testing

@testable import PEPProxy

/// `ExchangeStateMachine` driven by tables of events, without sockets or sleeps: each step is an event and the
/// action it must return; each test then checks the outcome the exchange reports (status, detail, failure).
@Suite struct ExchangeStateMachineTests {
    typealias Machine = ExchangeStateMachine
    typealias Step = (event: Machine.Event, action: String)

    static func machine(
        _ method: String = "GET", _ framing: RequestBodyFraming = .none, keepAlive: Bool = true, maxBody: Int = 1024
    ) -> Machine {
        Machine(framing: framing, keepAlive: keepAlive, maxBodyBytes: maxBody)
    }

    /// What the shell reports for an upstream close or error on a `method` request.
    static func eof(_ method: String = "GET") -> Machine.Event {
        .upstreamEOF(idempotentMethod: Machine.isIdempotent(method))
    }
    static func error(_ method: String = "GET", tls: Bool = false) -> Machine.Event {
        .upstreamError(tlsFailed: tls, idempotentMethod: Machine.isIdempotent(method))
    }

    /// Runs `steps` in order, checking each returned action.
    static func run(_ machine: inout Machine, _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, step) in steps.enumerated() {
            let action = machine.handle(step.event)
            #expect(action.summary == step.action, "step \(index)", sourceLocation: sourceLocation)
        }
    }

    /// The authorizer's grant (rule 2, a tunnel slot free).
    static let grant: Machine.Event = .granted(detail: "pep.granted", ruleIndex: 2, tunnelSlotFree: true)

    /// Admitted and granted (`webSocket`: a handshake forwarded as one).
    static func granted(webSocket: Bool = false) -> [Step] {
        [(.admitted(webSocket: webSocket), "authorize"), (Self.grant, "acquireUpstream")]
    }

    /// Admitted, granted and sent on a fresh connection (`reused`: on a pooled one).
    static func forwarded(reused: Bool = false, webSocket: Bool = false) -> [Step] {
        Self.granted(webSocket: webSocket) + [(reused ? .upstreamReused : .upstreamConnected, "sendRequest")]
    }

    static let head200: Machine.Event = .responseHead(status: 200, keepAlive: true, untilClose: false, draining: false)

    // MARK: the whole exchange

    @Test func grantedExchangeCompletesReusably() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded(reused: true) + [
                (Self.head200, "startResponse(closeClient: false)"),
                (.responseBodyComplete, "complete(reuse: true, keepAlive: true, relayRest: false)"),
            ])
        #expect(machine.outcome.status == 200)
        #expect(machine.outcome.detail == "pep.granted")
        #expect(machine.outcome.ruleIndex == 2)
        #expect(machine.outcome.upstreamFailure == nil)
        #expect(machine.isDone)
    }

    @Test func eventsAfterDoneAreIgnored() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded() + [
                (Self.head200, "startResponse(closeClient: false)"),
                (.responseBodyComplete, "complete(reuse: true, keepAlive: true, relayRest: false)"),
                // Nothing finishes (or logs) a second time.
                (.responseBodyComplete, "none"), (.clientGone(sendTimeout: false), "none"), (Self.eof(), "none"),
                (.upstreamTimeout, "none"), (.clientReadTimeout, "none"), (.aborted(detail: "proxy.shutdown"), "none"),
                (.granted(detail: "late", ruleIndex: nil, tunnelSlotFree: true), "none"),
            ])
        #expect(machine.outcome.status == 200)
        #expect(machine.outcome.detail == "pep.granted")
    }

    @Test func responseUntilCloseEndsWithTheUpstream() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded() + [
                (
                    .responseHead(status: 200, keepAlive: false, untilClose: true, draining: false),
                    "startResponse(closeClient: true)"
                ),
                (Self.eof(), "complete(reuse: false, keepAlive: false, relayRest: true)"),
            ])
        #expect(machine.outcome.status == 200)
    }

    @Test func drainingClosesTheClientAfterTheResponse() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded() + [
                (
                    .responseHead(status: 204, keepAlive: true, untilClose: false, draining: true),
                    "startResponse(closeClient: true)"
                ),
                (.responseBodyComplete, "complete(reuse: true, keepAlive: false, relayRest: false)"),
            ])
    }

    // MARK: local answers

    @Test func accessPhaseRefusals() {
        let cases: [(Machine.Refusal, String, Int, String)] = [
            (.method, "respond(methodNotAllowed, keepAlive: true)", 405, "proxy.method_not_allowed"),
            (.upgrade, "respond(upgradeNotSupported, keepAlive: false)", 501, "proxy.upgrade_refused"),
            (
                .webSocketHandshake("proxy.websocket_key_invalid"), "respond(badWebSocketHandshake, keepAlive: false)",
                400,
                "proxy.websocket_key_invalid"
            ),
            (.target("canonical.dot_segment"), "reject(400, reset: false)", 400, "canonical.dot_segment"),
            (.noRoute, "respond(noRoute, keepAlive: true)", 404, "proxy.no_route"),
            (
                .body(status: 400, detail: "http1.invalid_chunk_size"), "reject(400, reset: false)", 400,
                "http1.invalid_chunk_size"
            ),
        ]
        for (refusal, action, status, detail) in cases {
            var machine = Self.machine()
            Self.run(&machine, [(.refused(refusal), action), (.admitted(webSocket: false), "none")])
            #expect(machine.outcome.status == status)
            #expect(machine.outcome.detail == detail)
        }
    }

    @Test func deniedRequestWithUnreadBodyCloses() {
        var machine = Self.machine("POST", .contentLength(5))
        Self.run(
            &machine,
            [
                (.admitted(webSocket: false), "authorize"),
                (
                    .denied(status: 401, detail: "pep.ticket", ruleIndex: 0),
                    "respond(decision, keepAlive: false)"
                ),
            ])
        #expect(machine.outcome.status == 401)
        #expect(machine.outcome.detail == "pep.ticket")
    }

    // MARK: request body (408, 413, 400)

    @Test func clientStallingItsBodyIs408() {
        var machine = Self.machine("POST", .contentLength(10))
        Self.run(
            &machine,
            Self.forwarded(reused: true) + [
                (.requestBodyProgress(done: false, bytesRelayed: 4, clientDrained: true), "none"),
                (.clientReadTimeout, "reject(408, reset: true)"),
                (.clientGone(sendTimeout: false), "none"),
            ])
        #expect(machine.outcome.status == 408)
        #expect(machine.outcome.detail == "http1.body_timeout")
    }

    @Test func readTimeoutAfterTheBodyIsTheClientGone() {
        var machine = Self.machine()
        Self.run(&machine, Self.forwarded() + [(.clientReadTimeout, "cut(reset: false)")])
        #expect(machine.outcome.status == 0)
        #expect(machine.outcome.detail == "client.closed")
    }

    @Test func declaredLengthOverTheLimitIs413BeforeAuthorization() {
        var machine = Self.machine("PUT", .contentLength(100), maxBody: 16)
        Self.run(&machine, [(.admitted(webSocket: false), "reject(413, reset: false)")])
        #expect(machine.outcome.status == 413)
        #expect(machine.outcome.detail == "http1.body_too_large")
    }

    @Test func chunkedBodyGrowingOverTheLimitIs413() {
        var machine = Self.machine("POST", .chunked, maxBody: 16)
        Self.run(
            &machine,
            Self.forwarded() + [
                (.requestBodyProgress(done: false, bytesRelayed: 10, clientDrained: true), "none"),
                (.requestBodyProgress(done: false, bytesRelayed: 20, clientDrained: true), "reject(413, reset: true)"),
            ])
        #expect(machine.outcome.status == 413)
        #expect(machine.outcome.detail == "http1.body_too_large")
        #expect(machine.outcome.upstreamFailure == nil)
    }

    @Test func chunkedBodyOverTheLimitAfterTheResponseStartedCutsBoth() {
        var machine = Self.machine("POST", .chunked, maxBody: 16)
        Self.run(
            &machine,
            Self.forwarded() + [
                (Self.head200, "startResponse(closeClient: false)"),
                (.requestBodyProgress(done: false, bytesRelayed: 20, clientDrained: true), "cut(reset: true)"),
            ])
        #expect(machine.outcome.status == 200)
        #expect(machine.outcome.detail == "http1.body_too_large")
    }

    @Test func malformedChunkMidStreamResetsTheUpstream() {
        var machine = Self.machine("POST", .chunked)
        Self.run(&machine, Self.forwarded() + [(.requestBodyFailed(.invalidChunkSize), "reject(400, reset: true)")])
        #expect(machine.outcome.detail == "http1.invalid_chunk_size")
    }

    @Test func bodyBytesBeforeTheHeadWentUpstreamWait() {
        var machine = Self.machine("POST", .contentLength(10))
        Self.run(
            &machine,
            [
                (.admitted(webSocket: false), "authorize"), (.clientReadable, "pauseClientReading"),
                (Self.grant, "acquireUpstream"),
                (.upstreamReused, "sendRequest"), (.clientReadable, "relayRequestBody"),
                (.requestBodyProgress(done: true, bytesRelayed: 10, clientDrained: true), "none"),
                (.clientReadable, "pauseClientReading"),
            ])
    }

    // MARK: client half-close and departure

    @Test func halfCloseAfterACompleteRequestStillGetsTheResponse() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded() + [
                (.clientEOF, "peerHalfClosed(relayBody: false)"),
                (Self.head200, "startResponse(closeClient: false)"),
                (.responseBodyComplete, "complete(reuse: true, keepAlive: true, relayRest: false)"),
            ])
        #expect(machine.outcome.detail == "pep.granted")
    }

    @Test func halfCloseWithTheBodyShortIs400() {
        var machine = Self.machine("POST", .contentLength(10))
        Self.run(
            &machine,
            Self.forwarded() + [
                (.requestBodyProgress(done: false, bytesRelayed: 4, clientDrained: true), "none"),
                (.clientEOF, "peerHalfClosed(relayBody: true)"),
                (.requestBodyProgress(done: false, bytesRelayed: 4, clientDrained: true), "reject(400, reset: true)"),
            ])
        #expect(machine.outcome.detail == "http1.body_truncated")
    }

    @Test func halfCloseWithTheBodyWholeInTheBufferCompletes() {
        var machine = Self.machine("POST", .contentLength(10))
        Self.run(
            &machine,
            [
                (.admitted(webSocket: false), "authorize"),
                // Before the head went upstream: nothing to relay yet.
                (.clientEOF, "peerHalfClosed(relayBody: false)"),
                (Self.grant, "acquireUpstream"),
                (.upstreamReused, "sendRequest"),
                (.requestBodyProgress(done: true, bytesRelayed: 10, clientDrained: true), "none"),
                (Self.head200, "startResponse(closeClient: false)"),
                (.responseBodyComplete, "complete(reuse: true, keepAlive: true, relayRest: false)"),
            ])
    }

    @Test func clientGoneMidResponseCutsBoth() {
        for (sendTimeout, detail) in [(false, "client.closed"), (true, "client.send_timeout")] {
            var machine = Self.machine()
            Self.run(
                &machine,
                Self.forwarded() + [
                    (Self.head200, "startResponse(closeClient: false)"),
                    (.clientGone(sendTimeout: sendTimeout), "cut(reset: false)"),
                    (Self.eof(), "none"),
                ])
            #expect(machine.outcome.status == 200)
            #expect(machine.outcome.detail == detail)
            // Metrics keep counting the grant it was.
            #expect(machine.outcome.metricsDetail == "pep.granted")
        }
    }

    @Test func clientGoneWhileAuthorizingIsCountedAsSuch() {
        var machine = Self.machine()
        Self.run(
            &machine,
            [
                (.admitted(webSocket: false), "authorize"), (.clientGone(sendTimeout: false), "cut(reset: false)"),
                (Self.grant, "none"),
            ])
        #expect(machine.outcome.detail == "client.closed")
        // No grant to count: metrics count the departure itself.
        #expect(machine.outcome.metricsDetail == nil)
    }

    @Test func shutdownWhileAuthorizingIsReportedOnce() {
        var machine = Self.machine()
        Self.run(
            &machine,
            [
                (.admitted(webSocket: false), "authorize"),
                (.aborted(detail: "proxy.shutdown"), "dropUpstream"),
                (Self.grant, "none"),
            ])
        #expect(machine.outcome.status == 0)
        #expect(machine.outcome.detail == "proxy.shutdown")
    }

    // MARK: upstream failures (502, 504)

    @Test func upstreamFailuresBeforeTheResponseHead() {
        let cases: [(Machine.Event, String, String, UpstreamFailure)] = [
            (.upstreamConnectFailed, "respond(badGateway, keepAlive: true)", "upstream.connect_failed", .connect),
            (
                .upstreamConnectTimeout, "respond(badGateway, keepAlive: true)", "upstream.connect_timeout",
                .connectTimeout
            ),
            (Self.error(tls: true), "respond(badGateway, keepAlive: true)", "upstream.tls_failed", .tls),
            (Self.error(), "respond(badGateway, keepAlive: true)", "upstream.connect_failed", .connect),
        ]
        for (event, action, detail, failure) in cases {
            var machine = Self.machine()
            Self.run(
                &machine,
                Self.granted() + [(event, action)])
            #expect(machine.outcome.detail == detail)
            #expect(machine.outcome.upstreamFailure == failure)
        }
    }

    @Test func upstreamFailuresAfterTheRequestWentUp() {
        let cases: [(Machine.Event, String, Int, String, UpstreamFailure)] = [
            (Self.eof(), "respond(badGateway, keepAlive: true)", 502, "upstream.closed", .closed),
            (Self.error(), "respond(badGateway, keepAlive: true)", 502, "upstream.reset", .reset),
            (.upstreamTimeout, "respond(gatewayTimeout, keepAlive: true)", 504, "upstream.timeout", .timeout),
            (
                .responseHeadRejected(.invalidStatusLine), "respond(badGateway, keepAlive: true)", 502,
                "upstream.http1.invalid_status_line", .invalidResponse
            ),
            (
                .switchingProtocols(.unsolicited), "respond(badGateway, keepAlive: true)", 502,
                "upstream.unsolicited_switch",
                .invalidResponse
            ),
        ]
        for (event, action, status, detail, failure) in cases {
            var machine = Self.machine()
            Self.run(&machine, Self.forwarded() + [(event, action), (Self.eof(), "none")])
            #expect(machine.outcome.status == status)
            #expect(machine.outcome.detail == detail)
            #expect(machine.outcome.upstreamFailure == failure)
        }
    }

    @Test func upstreamFailingWithABodyUnreadCloses() {
        var machine = Self.machine("POST", .contentLength(3))
        Self.run(
            &machine,
            Self.forwarded() + [
                (.requestBodyProgress(done: true, bytesRelayed: 3, clientDrained: true), "none"),
                (.upstreamTimeout, "respond(gatewayTimeout, keepAlive: false)"),
            ])
    }

    @Test func upstreamFailuresMidResponseCutBoth() {
        let cases: [(Machine.Event, String, UpstreamFailure)] = [
            (Self.eof(), "upstream.reset_midway", .reset),
            (Self.error(), "upstream.reset_midway", .reset),
            (.upstreamTimeout, "upstream.timeout_midway", .timeout),
            (.responseBodyFailed, "upstream.reset_midway", .invalidResponse),
        ]
        for (event, detail, failure) in cases {
            var machine = Self.machine()
            Self.run(
                &machine,
                Self.forwarded() + [(Self.head200, "startResponse(closeClient: false)"), (event, "cut(reset: false)")])
            #expect(machine.outcome.status == 200)
            #expect(machine.outcome.detail == detail)
            #expect(machine.outcome.upstreamFailure == failure)
        }
    }

    // MARK: retry on a reused pooled connection

    @Test func closedPooledConnectionIsRetriedOnce() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded(reused: true) + [
                (Self.eof(), "retry"),
                // The pool may hand out another idle connection: it is not retried again.
                (.upstreamReused, "sendRequest"),
                (Self.eof(), "respond(badGateway, keepAlive: true)"),
            ])
        #expect(machine.outcome.detail == "upstream.closed")
    }

    @Test func retryOnAFreshConnectionCanStillFail() {
        var machine = Self.machine("DELETE")
        Self.run(
            &machine,
            Self.forwarded(reused: true) + [
                (Self.error("DELETE"), "retry"),
                // The fresh connection fails to connect, but the first attempt's request went up: a reset, not a
                // connect failure.
                (Self.error("DELETE"), "respond(badGateway, keepAlive: true)"),
            ])
        #expect(machine.outcome.upstreamFailure == .reset)
    }

    @Test func retryOnlyWhenSafe() {
        // Not idempotent, has a body, or a fresh connection: no retry.
        let cases: [(String, RequestBodyFraming, Bool)] = [
            ("POST", .none, true), ("PUT", .contentLength(2), true), ("GET", .none, false),
        ]
        for (method, framing, reused) in cases {
            var machine = Self.machine(method, framing)
            var steps = Self.forwarded(reused: reused)
            if framing != .none {
                steps.append((.requestBodyProgress(done: true, bytesRelayed: 2, clientDrained: true), "none"))
            }
            Self.run(&machine, steps)
            #expect(machine.handle(Self.eof(method)).summary != "retry", "\(method) \(framing) reused=\(reused)")
            #expect(machine.outcome.detail == "upstream.closed")
        }
    }

    // MARK: WebSocket

    @Test func webSocketSwitchOpensATunnelLoggedAtItsClose() {
        var machine = Self.machine()
        Self.run(
            &machine,
            Self.forwarded(reused: true, webSocket: true) + [
                (.switchingProtocols(.tunnel), "startTunnel"),
                (.clientGone(sendTimeout: false), "none"),
                (.aborted(detail: "proxy.shutdown"), "none"),
                (.tunnelClosed(detail: "websocket.client_closed"), "logTunnel"),
                (.tunnelClosed(detail: "websocket.client_closed"), "none"),
            ])
        #expect(machine.outcome.status == 101)
        #expect(machine.outcome.detail == "websocket.client_closed")
        #expect(machine.outcome.metricsDetail == nil)
    }

    @Test func webSocketRefusals() {
        var full = Self.machine()
        Self.run(
            &full,
            [
                (.admitted(webSocket: true), "authorize"),
                (
                    .granted(detail: "pep.granted", ruleIndex: nil, tunnelSlotFree: false),
                    "respond(webSocketTunnelsExhausted, keepAlive: false)"
                ),
            ])
        #expect(full.outcome.detail == "proxy.websocket_tunnels_exhausted")

        var mismatched = Self.machine()
        Self.run(
            &mismatched,
            Self.forwarded(reused: true, webSocket: true) + [
                (.switchingProtocols(.mismatched), "respond(badGateway, keepAlive: true)")
            ])
        #expect(mismatched.outcome.detail == "upstream.websocket_switch_mismatch")

        // A declined handshake's upstream connection is not pooled.
        var declined = Self.machine()
        Self.run(
            &declined,
            Self.forwarded(reused: true, webSocket: true) + [
                (
                    .responseHead(status: 403, keepAlive: true, untilClose: false, draining: false),
                    "startResponse(closeClient: false)"
                ),
                (.responseBodyComplete, "complete(reuse: false, keepAlive: true, relayRest: false)"),
            ])
    }
}

extension ExchangeStateMachine.Action {
    /// A short, stable text for the tables to compare (`Action` is not `Equatable`).
    var summary: String {
        switch self {
        case .none: "none"
        case .authorize: "authorize"
        case .acquireUpstream: "acquireUpstream"
        case .retry: "retry"
        case .sendRequest: "sendRequest"
        case .relayRequestBody: "relayRequestBody"
        case .pauseClientReading: "pauseClientReading"
        case .startResponse(let closeClient): "startResponse(closeClient: \(closeClient))"
        case .startTunnel: "startTunnel"
        case .respond(let reply, let keepAlive): "respond(\(reply), keepAlive: \(keepAlive))"
        case .reject(let status, let reset): "reject(\(status), reset: \(reset))"
        case .cut(let reset): "cut(reset: \(reset))"
        case .complete(let reuse, let keepAlive, let relayRest):
            "complete(reuse: \(reuse), keepAlive: \(keepAlive), relayRest: \(relayRest))"
        case .peerHalfClosed(let relayBody): "peerHalfClosed(relayBody: \(relayBody))"
        case .logTunnel: "logTunnel"
        case .dropUpstream: "dropUpstream"
        }
    }
}
