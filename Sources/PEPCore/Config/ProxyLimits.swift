/// Data-plane limits and timeouts (`limits`; SPEC A6, SECURITY.md cases 32–33; STYLE rule 11).
///
/// Every knob is enforced; none means "unlimited". What a client sees when a limit is hit is decided by
/// the data plane and documented in docs/configuration.md.
public struct ProxyLimits: Sendable, Equatable {
    /// Largest request head (request line + headers) in bytes; over it → 431. Default 16 384.
    public let maxHeaderBytes: Int
    /// Largest number of request header fields; over it → 431. Default 100.
    public let maxHeadersCount: Int
    /// Largest request body in bytes (Content-Length or chunked total); over it → 413. Default 10 MiB.
    public let maxBodyBytes: Int
    /// Open client connections per worker; beyond it new connections are closed at accept. Default 10 000.
    public let maxConnectionsPerWorker: Int
    /// Open client connections one client IP address may hold, across workers; `0` = no cap (SECURITY.md case
    /// 32). Over it a new connection is closed at accept. Default 0.
    public let maxConnectionsPerIP: Int
    /// Time to receive a complete request head, from the first byte (slowloris bound); then 408 + close.
    /// Default 10 s.
    public let headerTimeout: Duration
    /// Keep-alive idle time between requests before the connection is closed. Default 60 s.
    public let idleTimeout: Duration
    /// Longest time a client may go without accepting any queued response byte; then the connection (and its
    /// upstream connection) is cut. Default 60 s.
    public let sendTimeout: Duration
    /// On shutdown or reload, time given to in-flight requests before connections are closed. Default 10 s.
    public let drainTimeout: Duration
    /// Time to connect (and finish TLS) to the upstream; then 502. Default 2 s.
    public let upstreamConnectTimeout: Duration
    /// Longest wait for upstream bytes while a response is expected; then 504. Default 60 s.
    public let upstreamReadTimeout: Duration
    /// Idle keep-alive connections kept per worker per upstream; 0 = close after each response. Default 64.
    public let upstreamMaxIdle: Int
    /// Idle time after which a pooled upstream connection is closed. Default 60 s.
    public let upstreamIdleTimeout: Duration
    /// Requests sent on one upstream connection before it is retired. Default 10 000.
    public let upstreamMaxRequests: Int
    /// Introspection, check-access and permission-ticket calls in flight at once in the process; a request that
    /// would need one more gets 503 + `Retry-After: 1` at once (docs/security.md, "Authorization-server call
    /// amplification"). Default 512.
    public let maxPendingAuthorizationCalls: Int
    /// Requests that miss the caches (would need an authorization-server call) allowed per client address per
    /// second, with a burst of one second's worth; beyond it `429` + `Retry-After` (docs/security.md,
    /// "Authorization-server call amplification"). Cached grants are never counted. `0` = off (the default).
    public let cacheMissesPerIPPerSecond: Int
    /// Requests of connections that hold no cached grant (a connection's first request, one after a refusal or
    /// an authorization-server call) that a worker starts per event-loop turn; the rest wait, first in first
    /// out, for the next turns. Kept-alive connections whose last request was granted from the caches are not
    /// counted, so a flood of uncached tokens cannot take a worker from granted clients (docs/security.md,
    /// "Authorization-server call amplification"). Applies only while granted requests compete for the worker:
    /// without them nothing waits. `0` = no limit. Default 8.
    public let uncachedRequestsPerTurn: Int
    /// Requests of kept-alive connections whose previous two requests were both refused, started per worker per
    /// second while granted requests compete for the worker; the rest wait (first in first out) for the next free
    /// credit, so a closed-loop flood of uncached tokens runs at this rate per worker instead of the rate the worker
    /// can answer it. A legitimate client is refused at most once before it is granted, so it is not paced; nor is
    /// a connection's first request, nor a connection from `trusted_proxies` (many clients share them). A paced
    /// request whose client closes while it waits is dropped. `0` = not paced. Default 250.
    public let uncachedRequestsPerSecond: Int
    /// The nice value of the thread that makes the authorization-server calls (0…19; `0` = the workers' own):
    /// when workers and those calls compete for the CPU, granted traffic goes first and cache misses wait
    /// (bounded by `maxPendingAuthorizationCalls`, then 503). No effect on an idle CPU. Applies at start.
    /// Default 10.
    public let controlPlaneNice: Int
    /// WebSocket tunnels open at once per worker (from the forwarded handshake to the tunnel's close); an
    /// authorized handshake beyond it gets 503. `0` = WebSocket upgrades are refused with 501, like any other
    /// upgrade (docs/configuration.md, "WebSocket"). Default 1 024.
    public let maxWebSocketTunnels: Int
    /// Time a WebSocket tunnel may go without a byte in either direction before both connections are closed.
    /// Default 300 s.
    public let webSocketIdleTimeout: Duration

    /// Creates limits; every parameter defaults to the documented default.
    public init(
        maxHeaderBytes: Int = 16_384, maxHeadersCount: Int = 100, maxBodyBytes: Int = 10_485_760,
        maxConnectionsPerWorker: Int = 10_000, maxConnectionsPerIP: Int = 0, headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60), sendTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(10),
        upstreamConnectTimeout: Duration = .seconds(2), upstreamReadTimeout: Duration = .seconds(60),
        upstreamMaxIdle: Int = 64, upstreamIdleTimeout: Duration = .seconds(60), upstreamMaxRequests: Int = 10_000,
        maxPendingAuthorizationCalls: Int = 512, cacheMissesPerIPPerSecond: Int = 0,
        uncachedRequestsPerTurn: Int = 8, uncachedRequestsPerSecond: Int = 250, controlPlaneNice: Int = 10,
        maxWebSocketTunnels: Int = 1024,
        webSocketIdleTimeout: Duration = .seconds(300)
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeadersCount = maxHeadersCount
        self.maxBodyBytes = maxBodyBytes
        self.maxConnectionsPerWorker = maxConnectionsPerWorker
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.sendTimeout = sendTimeout
        self.drainTimeout = drainTimeout
        self.upstreamConnectTimeout = upstreamConnectTimeout
        self.upstreamReadTimeout = upstreamReadTimeout
        self.upstreamMaxIdle = upstreamMaxIdle
        self.upstreamIdleTimeout = upstreamIdleTimeout
        self.upstreamMaxRequests = upstreamMaxRequests
        self.maxPendingAuthorizationCalls = maxPendingAuthorizationCalls
        self.cacheMissesPerIPPerSecond = cacheMissesPerIPPerSecond
        self.uncachedRequestsPerTurn = uncachedRequestsPerTurn
        self.uncachedRequestsPerSecond = uncachedRequestsPerSecond
        self.controlPlaneNice = controlPlaneNice
        self.maxWebSocketTunnels = maxWebSocketTunnels
        self.webSocketIdleTimeout = webSocketIdleTimeout
    }
}
