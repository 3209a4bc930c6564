import PEPCore

/// How an exchange ended, as the access log and metrics report it; decided by `ExchangeStateMachine` alone.
struct ExchangeOutcome {
    /// The status sent to the client (`0` when the connection was cut before a status line).
    var status = 0
    /// The stable reason (`decision=` in the access log): the authorizer's, or what ended the exchange.
    var detail = "forward"
    /// Why the upstream side failed, when it did (typed for metrics; the detail string is for the log).
    var upstreamFailure: UpstreamFailure?
    /// The detail metrics count instead of `detail` (`metricsDetail ?? detail`): the authorizer's, for a forwarded
    /// exchange the client cut (the log says `client.*`; metrics keep counting the grant it was). `nil` otherwise.
    var metricsDetail: String?
    /// The matched protection rule, when the authorizer reported one.
    var ruleIndex: Int?
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
