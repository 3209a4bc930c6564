/// The Prometheus type of a declared metric family (text exposition format 0.0.4 `# TYPE` keyword).
public enum MetricKind: String, Sendable, Equatable {
    /// A monotonically increasing value.
    case counter
    /// A value that goes up and down.
    case gauge
    /// Cumulative buckets plus `_sum` and `_count` series.
    case histogram
}

/// One metric family: name, `# HELP` text, type and label names in output order.
public struct MetricDeclaration: Sendable, Equatable {
    /// The full metric name (e.g. `gluu_endpoint_method`).
    public let name: String
    /// The `# HELP` text, emitted verbatim.
    public let help: String
    /// The family's type.
    public let kind: MetricKind
    /// Label names in the order they appear on every series (SPEC Part B §7: declaration order).
    public let labelNames: [String]

    /// Creates a declaration.
    public init(name: String, help: String, kind: MetricKind, labelNames: [String]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labelNames = labelNames
    }
}

/// Every metric family uma-pep exposes, declared once (STYLE 12): one sorted list, counters then gauges then
/// histograms, each group in name order. The `gluu_*` families keep the names, HELP texts and label order of
/// Gluu Gateway's `gluu-metrics` plugin (SPEC Part B §7, A10) so existing dashboards keep working; the
/// `uma_pep_*` families are uma-pep's own (SPEC A10).
public enum PEPMetricsStats {
    // MARK: Counters

    /// Requests per matched rule pattern (or `unmatched`), method bucket and service (SPEC A10).
    public static let endpointMethod = MetricDeclaration(
        name: "gluu_endpoint_method", help: "Endpoint call per service in Kong", kind: .counter,
        labelNames: ["endpoint", "method", "service"])
    /// Metric-library errors (a bump with an unknown service or server id); normally 0.
    public static let metricErrors = MetricDeclaration(
        name: "gluu_nginx_metric_errors_total", help: "Number of nginx-lua-prometheus errors", kind: .counter,
        labelNames: [])
    /// Every token authentication, all services (the reference also adds OAuth and OIDC; uma-pep has only UMA).
    public static let totalClientAuthenticated = MetricDeclaration(
        name: "gluu_total_client_authenticated",
        help: "Total authentication(OAuth, UMA and OpenID Connect) in Kong", kind: .counter, labelNames: [])
    /// Every grant, all services.
    public static let totalClientGranted = MetricDeclaration(
        name: "gluu_total_client_granted", help: "Total authorization(OAuth, UMA and OPA PEP) in Kong",
        kind: .counter, labelNames: [])
    /// Tokens authenticated (introspected active, fresh or cached) per consumer and service.
    public static let umaClientAuthenticated = MetricDeclaration(
        name: "gluu_uma_client_authenticated", help: "Client(Consumer) UMA authenticated per service in Kong",
        kind: .counter, labelNames: ["consumer", "service"])
    /// Requests granted (fresh or cached) per consumer and service.
    public static let umaClientGranted = MetricDeclaration(
        name: "gluu_uma_client_granted", help: "Client(Consumer) UMA granted per service in Kong", kind: .counter,
        labelNames: ["consumer", "service"])
    /// Permission tickets obtained per service.
    public static let umaTicket = MetricDeclaration(
        name: "gluu_uma_ticket", help: "Permission Ticket getting per services in Kong", kind: .counter,
        labelNames: ["service"])
    /// Calls to the authorization server (or oxd) by server, operation and outcome.
    public static let asRequests = MetricDeclaration(
        name: "uma_pep_as_requests_total", help: "Authorization server (or oxd) calls by operation and outcome.",
        kind: .counter, labelNames: ["server", "operation", "outcome"])
    /// Authorization-server calls not made because `limits.max_pending_authorization_calls` were in flight (the
    /// request got 503), by server and operation.
    public static let authorizationCallsRefused = MetricDeclaration(
        name: "uma_pep_authorization_calls_refused_total",
        help: "Authorization server (or oxd) calls refused because too many were in flight.", kind: .counter,
        labelNames: ["server", "operation"])
    /// Configuration reloads (SIGHUP or `serve --watch-config`) by result: `success` when the new file was loaded
    /// and is being served, `failure` when it did not load or could not be served (the old one stayed in force).
    public static let configReloads = MetricDeclaration(
        name: "uma_pep_config_reloads_total",
        help: "Configuration reloads (SIGHUP or --watch-config) by result (success, failure).", kind: .counter,
        labelNames: ["result"])
    /// Requests that missed the caches and were answered 429 because their client address was over
    /// `limits.cache_misses_per_ip_per_second`, by service.
    public static let cacheMissRateLimited = MetricDeclaration(
        name: "uma_pep_cache_miss_rate_limited_total",
        help: "Requests missing the caches refused (429) because their client address was over its rate.",
        kind: .counter, labelNames: ["service"])
    /// LRU evictions per cache, fed from the cache's statistics at scrape time.
    public static let cacheEvictions = MetricDeclaration(
        name: "uma_pep_cache_evictions_total", help: "Live cache entries evicted to make room (LRU).",
        kind: .counter, labelNames: ["cache"])
    /// Cache hits per cache, fed from the cache's statistics at scrape time.
    public static let cacheHits = MetricDeclaration(
        name: "uma_pep_cache_hits_total", help: "Cache lookups that returned a live value.", kind: .counter,
        labelNames: ["cache"])
    /// Cache misses per cache, fed from the cache's statistics at scrape time.
    public static let cacheMisses = MetricDeclaration(
        name: "uma_pep_cache_misses_total", help: "Cache lookups that found no live value.", kind: .counter,
        labelNames: ["cache"])
    /// Requests by service, decision and response status class.
    public static let requests = MetricDeclaration(
        name: "uma_pep_requests_total", help: "Requests by service, enforcement decision and status class.",
        kind: .counter, labelNames: ["service", "decision", "status_class"])
    /// Requests of connections without a cached grant that waited for a later event-loop turn because
    /// `limits.uncached_requests_per_turn` had started in the current one, or for a credit of
    /// `limits.uncached_requests_per_second`.
    public static let requestsWaited = MetricDeclaration(
        name: "uma_pep_requests_waited_total",
        help:
            "Requests without a cached grant that waited for a later event-loop turn "
            + "(uncached_requests_per_turn, uncached_requests_per_second).",
        kind: .counter, labelNames: [])
    /// Upstream failures by service and kind.
    public static let upstreamErrors = MetricDeclaration(
        name: "uma_pep_upstream_errors_total", help: "Upstream failures by service and kind.", kind: .counter,
        labelNames: ["service", "kind"])
    /// Bytes moved through WebSocket tunnels, by direction (`client_to_upstream`, `upstream_to_client`), added
    /// when each tunnel closes.
    public static let webSocketBytes = MetricDeclaration(
        name: "uma_pep_websocket_bytes_total",
        help: "Bytes moved through closed WebSocket tunnels by direction.", kind: .counter,
        labelNames: ["direction"])
    /// WebSocket tunnels opened (the upstream's 101 relayed to the client).
    public static let webSocketTunnels = MetricDeclaration(
        name: "uma_pep_websocket_tunnels_total", help: "WebSocket tunnels opened.", kind: .counter, labelNames: [])

    // MARK: Gauges

    /// Open downstream (client) connections on the data plane listeners.
    public static let downstreamConnections = MetricDeclaration(
        name: "uma_pep_downstream_connections", help: "Open downstream (client) connections.", kind: .gauge,
        labelNames: [])
    /// Open WebSocket tunnels (all workers; each worker holds at most `limits.max_websocket_tunnels`).
    public static let webSocketTunnelsOpen = MetricDeclaration(
        name: "uma_pep_websocket_tunnels_open", help: "Open WebSocket tunnels.", kind: .gauge, labelNames: [])

    // MARK: Histograms

    /// Authorization server (or oxd) call latency, seconds.
    public static let asRequestDuration = MetricDeclaration(
        name: "uma_pep_as_request_duration_seconds", help: "Authorization server (or oxd) call latency in seconds.",
        kind: .histogram, labelNames: ["server", "operation"])
    /// Request latency from the request head to the last response byte handed to the connection, seconds.
    public static let requestDuration = MetricDeclaration(
        name: "uma_pep_request_duration_seconds", help: "Request latency in seconds.", kind: .histogram,
        labelNames: ["service"])

    /// All families in output order: counters, gauges, histograms, each group sorted by name.
    public static let all: [MetricDeclaration] = [
        endpointMethod, metricErrors, totalClientAuthenticated, totalClientGranted, umaClientAuthenticated,
        umaClientGranted, umaTicket, asRequests, authorizationCallsRefused, cacheEvictions, cacheHits,
        cacheMissRateLimited, cacheMisses, configReloads, requests, requestsWaited, upstreamErrors, webSocketBytes,
        webSocketTunnels,
        downstreamConnections, webSocketTunnelsOpen,
        asRequestDuration, requestDuration,
    ]

    /// Histogram bucket upper bounds shared by both latency histograms: 0.5 ms … 10 s.
    public static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
}
