/// Every data-plane limit and timeout, each a config knob (`limits:` in the config file; docs/configuration.md).
///
/// Units are in the names or the types. A `Duration` of `.zero` disables that timeout where stated.
public struct ServerLimits: Sendable, Hashable {
    /// Request line + header section, bytes. Over → `431` and close. Default 16 384.
    public var maxHeaderBytes: Int = 16_384
    /// Header fields per request. Over → `431` and close. Default 100.
    public var maxHeadersCount: Int = 100
    /// Request body, bytes (Content-Length or de-chunked). Over → `413` and close. Default 10 MiB.
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    /// Deadline for the whole request head from its first byte (not per read; slowloris). Over → `408` and close.
    /// Default 10 s.
    public var headerTimeout: Duration = .seconds(10)
    /// Keep-alive idle time between requests; the connection is closed silently after it. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// The longest a client may go without accepting any queued response byte before its connection is cut
    /// (nginx's `send_timeout`): a client that stops reading cannot hold its connection and its upstream
    /// connection forever.
    public var sendTimeout: Duration = .seconds(60)
    /// Concurrent client connections per worker; accepting pauses at the cap. Default 10 000.
    public var maxConnectionsPerWorker: Int = 10_000
    /// Open client connections one peer IP address may hold across all workers; `0` = no cap. Over it a new
    /// connection is closed at accept, before any byte is read (SECURITY.md case 32).
    public var maxConnectionsPerIP: Int = 0
    /// On SIGTERM/SIGINT, how long in-flight requests may take before connections are cut. Default 10 s.
    public var drainTimeout: Duration = .seconds(10)
    /// Upstream TCP connect timeout. Over → `502`. Default 2 s.
    public var upstreamConnectTimeout: Duration = .seconds(2)
    /// Upstream inactivity timeout while waiting for or reading a response. Over → `504` (or a cut response).
    /// Default 60 s.
    public var upstreamReadTimeout: Duration = .seconds(60)
    /// Idle keep-alive connections kept per upstream per worker. Default 64.
    public var upstreamMaxIdle: Int = 64
    /// How long an idle upstream connection is kept. Default 60 s.
    public var upstreamIdleTimeout: Duration = .seconds(60)
    /// Requests sent on one upstream connection before it is retired. Default 10 000.
    public var upstreamMaxRequests: Int = 10_000
    /// Requests of connections without a cached grant started per worker per event-loop turn (the rest wait,
    /// first in first out); `0` = no limit. Default 8 (`TurnAdmission`).
    public var uncachedRequestsPerTurn: Int = 8
    /// Requests of kept-alive connections whose previous two requests were refused, started per worker per second
    /// while granted traffic competes (the rest wait, first in first out); `0` = not paced. Connections from `ProxyOptions.trustedProxies` are never paced. Default 250
    /// (`TurnAdmission`).
    public var uncachedRequestsPerSecond: Int = 250
    /// WebSocket tunnels per worker, counted from the forwarded handshake to the tunnel's close; an authorized
    /// handshake beyond it gets `503` before anything is forwarded. `0` = WebSocket upgrades are refused (`501`,
    /// like any other upgrade). Default 1 024.
    public var maxWebSocketTunnels: Int = 1024
    /// Time a WebSocket tunnel may go without a byte in either direction before both connections are closed.
    /// Default 300 s.
    public var webSocketIdleTimeout: Duration = .seconds(300)

    /// The defaults above.
    public init() {}
}
