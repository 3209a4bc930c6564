import PEPCore
import Prometheus
import Synchronization

/// uma-pep's metrics (SPEC A10, Part B §7): the `gluu_*` parity series and the `uma_pep_*` series, held in
/// one injected `PrometheusCollectorRegistry` (the global `MetricsSystem` is never bootstrapped, so every
/// instance, and every test, has its own registry).
///
/// Families are declared in ``PEPMetricsStats``. Unlabeled series are created here at startup; labeled series
/// are created on first use and cached under a lock, keyed by small integer ids (service index, rule index,
/// enum ordinals), so a hot-path bump costs one lock, one small-struct hash and an atomic add. Every label value
/// comes from a bounded set (STYLE 13): services and servers from config, rule patterns from the protection
/// document, methods bucketed by ``MethodLabel``, decisions, kinds and outcomes from enums, and consumers
/// capped by ``ConsumerLabelCap`` (the first 1000 distinct values by default, then `other`).
///
/// A config reload that changes the service or server lists needs a new instance (ids are positions).
public final class PEPMetrics: Sendable {
    /// The registry every series lives in.
    public let registry: PrometheusCollectorRegistry
    /// Service names (the `service` label) in config order; ``MetricsServiceID/index`` indexes this array.
    public let serviceNames: [String]
    /// Authorization-server labels (issuer or oxd URL) in config order; ``MetricsServerID/index`` indexes it.
    public let serverNames: [String]

    let metricErrors: Counter
    let totalClientAuthenticated: Counter
    let totalClientGranted: Counter
    let downstreamConnections: Gauge
    let requestsWaited: Counter
    /// `uma_pep_websocket_tunnels_total`, `uma_pep_websocket_tunnels_open` and
    /// `uma_pep_websocket_bytes_total{direction}` (bumped once per tunnel open / close, never per byte).
    let webSocketTunnels: (opened: Counter, open: Gauge, clientToUpstream: Counter, upstreamToClient: Counter)
    /// `uma_pep_config_reloads_total{result="success"}` and `{result="failure"}`.
    let configReloads: (success: Counter, failure: Counter)
    /// Per ``MetricsCacheName`` (in `allCases` order): hits, misses, evictions.
    let cacheCounters: [(hits: Counter, misses: Counter, evictions: Counter)]
    let series: Mutex<SeriesTable>
    let cacheFeeds: Mutex<[CacheFeed?]>
    /// One shard per data-plane worker (bumped without a lock by that worker only), and one for every other
    /// thread (bumped under its lock). Summed at scrape time (``exposition()``).
    let shards: [MetricsShard]
    let sharedShard: MetricsShard
    /// The shard totals already added to the registry's counters, by packed key (serializes scrapes).
    let folded = Mutex<[UInt64: UInt64]>([:])

    /// Creates the metrics and declares every unlabeled series (at 0).
    /// - Parameters:
    ///   - services: service names from config, in order; ids are positions in this array.
    ///   - authorizationServers: one label per authorization server (or oxd server), in order.
    ///   - consumerLabelLimit: how many distinct `consumer` label values get their own series (default 1000).
    ///   - workers: data-plane workers; worker `i` passes `worker: i` to the hot-path calls and bumps its own
    ///     shard without a lock. Calls with `worker: nil` (or out of range) share one locked shard.
    ///   - registry: the registry to fill; a fresh one by default.
    public init(
        services: [String], authorizationServers: [String] = [], consumerLabelLimit: Int = 1000, workers: Int = 0,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.registry = registry
        self.serviceNames = services
        self.serverNames = authorizationServers
        self.metricErrors = registry.makeCounter(descriptor: PEPMetricsStats.metricErrors.descriptor)
        self.totalClientAuthenticated = registry.makeCounter(
            descriptor: PEPMetricsStats.totalClientAuthenticated.descriptor)
        self.totalClientGranted = registry.makeCounter(descriptor: PEPMetricsStats.totalClientGranted.descriptor)
        self.downstreamConnections = registry.makeGauge(
            descriptor: PEPMetricsStats.downstreamConnections.descriptor)
        self.requestsWaited = registry.makeCounter(descriptor: PEPMetricsStats.requestsWaited.descriptor)
        let bytes = PEPMetricsStats.webSocketBytes.descriptor
        self.webSocketTunnels = (
            opened: registry.makeCounter(descriptor: PEPMetricsStats.webSocketTunnels.descriptor),
            open: registry.makeGauge(descriptor: PEPMetricsStats.webSocketTunnelsOpen.descriptor),
            clientToUpstream: registry.makeCounter(descriptor: bytes, labels: [("direction", "client_to_upstream")]),
            upstreamToClient: registry.makeCounter(descriptor: bytes, labels: [("direction", "upstream_to_client")])
        )
        let reloads = PEPMetricsStats.configReloads.descriptor
        self.configReloads = (
            success: registry.makeCounter(descriptor: reloads, labels: [("result", "success")]),
            failure: registry.makeCounter(descriptor: reloads, labels: [("result", "failure")])
        )
        self.cacheCounters = MetricsCacheName.allCases.map { cache in
            let labels = [("cache", cache.rawValue)]
            return (
                hits: registry.makeCounter(descriptor: PEPMetricsStats.cacheHits.descriptor, labels: labels),
                misses: registry.makeCounter(descriptor: PEPMetricsStats.cacheMisses.descriptor, labels: labels),
                evictions: registry.makeCounter(
                    descriptor: PEPMetricsStats.cacheEvictions.descriptor, labels: labels)
            )
        }
        self.series = Mutex(SeriesTable(consumers: ConsumerLabelCap(limit: consumerLabelLimit)))
        self.cacheFeeds = Mutex(Array(repeating: nil, count: MetricsCacheName.allCases.count))
        let bounds = PEPMetricsStats.latencyBuckets.map(Self.nanoseconds)
        self.shards = (0..<max(0, workers)).map { _ in MetricsShard(bounds: bounds) }
        self.sharedShard = MetricsShard(bounds: bounds, shared: true)
    }

    /// `duration` in whole nanoseconds.
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        CacheInstant.saturatingNanoseconds(duration)
    }

    /// Runs `body` on the shard of `worker`: its own without a lock, or the shared one under its lock.
    @inline(__always)
    func withShard<Result>(_ worker: Int?, _ body: (MetricsShard) -> Result) -> Result {
        if let worker, worker >= 0, worker < self.shards.count {
            return body(self.shards[worker])
        }
        return self.sharedShard.lock.withLock { _ in body(self.sharedShard) }
    }

    /// The id of the service named `name`, or `nil`. For wiring at startup, not for the hot path.
    public func serviceID(named name: String) -> MetricsServiceID? {
        self.serviceNames.firstIndex(of: name).map { MetricsServiceID(index: $0) }
    }

    /// The id of the authorization server labelled `name`, or `nil`. For wiring at startup.
    public func serverID(named name: String) -> MetricsServerID? {
        self.serverNames.firstIndex(of: name).map { MetricsServerID(index: $0) }
    }

    // MARK: Hot path

    /// Records one finished request (the reference's log phase): `gluu_endpoint_method` when a service
    /// matched, `uma_pep_requests_total` and `uma_pep_request_duration_seconds` always.
    /// - Parameters:
    ///   - service: the routed service, or `nil` (no route, or rejected before routing: `service=""`).
    ///   - rule: the matched rule; `nil` gives `endpoint="unmatched"` (SPEC A10).
    ///   - method: the request method as received; bucketed by ``MethodLabel``.
    ///   - decision: the enforcement outcome.
    ///   - status: the response status sent (0 if none: `status_class="other"`).
    ///   - duration: request latency; negative values count as 0.
    public func recordRequest(
        service: MetricsServiceID?, rule: RuleMatch?, method: String, decision: RequestDecision, status: Int,
        duration: Duration, worker: Int? = nil
    ) {
        self.recordRequest(
            service: service, ruleIndex: rule?.ruleIndex, pattern: { _ in rule?.pattern ?? "unmatched" },
            method: MethodLabel(method: method), decision: decision, status: status,
            nanoseconds: Self.nanoseconds(duration), worker: worker)
    }

    /// ``recordRequest(service:rule:method:decision:status:duration:worker:)`` for the data plane
    /// (`MetricsObserver`): the rule as its index, the method already bucketed, the latency in nanoseconds. The
    /// pattern (the `endpoint` label) is asked for only when the series is created, so no string is copied per
    /// request; with `worker` set, no lock and no allocation once the series exist.
    /// - Parameters:
    ///   - ruleIndex: the matched rule's index; `nil` gives `endpoint="unmatched"` (SPEC A10).
    ///   - pattern: the pattern of the rule at the index given (called at most once per series, under the
    ///     shard's series creation; only with `ruleIndex`'s value).
    ///   - nanoseconds: request latency; negative values count as 0.
    ///   - worker: the calling worker (its own shard, no lock), or `nil` (the shared shard, under its lock).
    public func recordRequest(
        service: MetricsServiceID?, ruleIndex: Int?, pattern: (Int) -> String, method: MethodLabel,
        decision: RequestDecision, status: Int, nanoseconds: Int64, worker: Int?
    ) {
        var serviceIndex = -1
        if let service {
            guard self.isValid(service) else { return }
            serviceIndex = service.index
        }
        let statusOrdinal = StatusClass.ordinal(of: status)
        self.withShard(worker) { shard in
            if serviceIndex >= 0 {
                let key = SeriesKey(.endpointMethod, serviceIndex, ruleIndex ?? -1, method.ordinal)
                shard.increment(key) {
                    [ruleIndex.map(pattern) ?? "unmatched", method.rawValue, self.serviceLabel(serviceIndex)]
                }
            }
            shard.increment(SeriesKey(.requests, serviceIndex, decision.ordinal, statusOrdinal)) {
                [self.serviceLabel(serviceIndex), decision.rawValue, StatusClass.labels[statusOrdinal]]
            }
            shard.observe(SeriesKey(.requestDuration, serviceIndex, 0, 0), nanoseconds: nanoseconds) {
                [self.serviceLabel(serviceIndex)]
            }
        }
    }

    /// Records an authenticated token (introspected active, fresh or cached; SPEC Part B §7
    /// `gluu_uma_client_authenticated`) and bumps `gluu_total_client_authenticated`.
    /// - Parameters:
    ///   - service: the routed service.
    ///   - consumer: the token's `client_id` (or mapped consumer id, SPEC A1); capped by ``ConsumerLabelCap``.
    public func recordAuthenticated(service: MetricsServiceID, consumer: String, worker: Int? = nil) {
        self.recordConsumer(.umaClientAuthenticated, .totalClientAuthenticated, service, consumer, worker)
    }

    /// Records a grant (fresh or cached; `gluu_uma_client_granted`) and bumps `gluu_total_client_granted`.
    /// - Parameters:
    ///   - service: the routed service.
    ///   - consumer: the consumer's `custom_id` or the token's `client_id` (SPEC Part B §7); capped.
    ///   - worker: the calling worker (its own shard, no lock), or `nil`.
    public func recordGranted(service: MetricsServiceID, consumer: String, worker: Int? = nil) {
        self.recordConsumer(.umaClientGranted, .totalClientGranted, service, consumer, worker)
    }

    private func recordConsumer(
        _ family: SeriesKey.Family, _ total: SeriesKey.Family, _ service: MetricsServiceID, _ consumer: String,
        _ worker: Int?
    ) {
        guard self.isValid(service) else { return }
        let consumerID = self.withShard(worker) { shard -> Int in
            if let known = shard.consumerIDs[consumer] { return known }
            let id = self.series.withLock { $0.consumers.id(for: consumer) }
            if shard.consumerIDs.count < 4096 { shard.consumerIDs[consumer] = id }
            return id
        }
        self.recordConsumer(family, total, service, consumerID, worker)
    }

    private func recordConsumer(
        _ family: SeriesKey.Family, _ total: SeriesKey.Family, _ service: MetricsServiceID, _ consumerID: Int,
        _ worker: Int?
    ) {
        guard self.isValid(service) else { return }
        self.withShard(worker) { shard in
            shard.increment(SeriesKey(family, service.index, consumerID, 0)) {
                [self.series.withLock { $0.consumers.labels[consumerID] }, self.serviceLabel(service.index)]
            }
            shard.increment(SeriesKey(total, -1, 0, 0)) { [] }
        }
    }

    /// The label slot of `consumer` (capped by ``ConsumerLabelCap``), resolved once so that a grant repeated from
    /// a cache records without hashing the name again. Takes the series lock: not for the per-request path.
    public func consumerID(for consumer: String) -> MetricsConsumerID {
        MetricsConsumerID(index: self.series.withLock { $0.consumers.id(for: consumer) })
    }

    /// ``recordAuthenticated(service:consumer:worker:)`` with the consumer resolved by ``consumerID(for:)``.
    public func recordAuthenticated(service: MetricsServiceID, consumer: MetricsConsumerID, worker: Int?) {
        self.recordConsumer(.umaClientAuthenticated, .totalClientAuthenticated, service, consumer.index, worker)
    }

    /// ``recordGranted(service:consumer:worker:)`` with the consumer resolved by ``consumerID(for:)``.
    public func recordGranted(service: MetricsServiceID, consumer: MetricsConsumerID, worker: Int?) {
        self.recordConsumer(.umaClientGranted, .totalClientGranted, service, consumer.index, worker)
    }

    /// Records a permission ticket obtained for a `401` challenge (`gluu_uma_ticket`).
    /// - Parameter service: the routed service.
    public func recordTicket(service: MetricsServiceID) {
        guard self.isValid(service) else { return }
        self.increment(PEPMetricsStats.umaTicket, SeriesKey(.umaTicket, service.index, 0, 0)) {
            [self.serviceLabel(service.index)]
        }
    }

    /// Records a failed upstream exchange (`uma_pep_upstream_errors_total`).
    /// - Parameters:
    ///   - service: the routed service.
    ///   - kind: what failed.
    public func recordUpstreamError(service: MetricsServiceID, kind: UpstreamErrorKind) {
        guard self.isValid(service) else { return }
        self.increment(PEPMetricsStats.upstreamErrors, SeriesKey(.upstreamErrors, service.index, kind.ordinal, 0)) {
            [self.serviceLabel(service.index), kind.rawValue]
        }
    }

    /// Records one finished authorization-server (or oxd) call: `uma_pep_as_requests_total` and
    /// `uma_pep_as_request_duration_seconds`.
    /// - Parameters:
    ///   - server: the server called.
    ///   - operation: what was asked.
    ///   - outcome: how it ended.
    ///   - duration: call latency including connect; negative values count as 0.
    public func recordASRequest(
        server: MetricsServerID, operation: ASOperation, outcome: ASOutcome, duration: Duration
    ) {
        guard let serverLabel = self.serverLabel(server) else { return }
        let handles = self.series.withLock { table in
            let countKey = SeriesKey(.asRequests, server.index, operation.ordinal, outcome.ordinal)
            let counter = table.counter(PEPMetricsStats.asRequests, countKey, self.registry) {
                [serverLabel, operation.rawValue, outcome.rawValue]
            }
            let durationKey = SeriesKey(.asRequestDuration, server.index, operation.ordinal, 0)
            let histogram = table.histogram(PEPMetricsStats.asRequestDuration, durationKey, self.registry) {
                [serverLabel, operation.rawValue]
            }
            return (counter, histogram)
        }
        handles.0.increment()
        handles.1.record(max(duration, .zero))
    }

    /// Records an authorization-server call that was not made because the process already had
    /// `limits.max_pending_authorization_calls` in flight (`uma_pep_authorization_calls_refused_total`).
    /// - Parameters:
    ///   - server: the server the call was for.
    ///   - operation: what would have been asked.
    public func recordAuthorizationCallRefused(server: MetricsServerID, operation: ASOperation) {
        guard let serverLabel = self.serverLabel(server) else { return }
        let key = SeriesKey(.authorizationCallsRefused, server.index, operation.ordinal, 0)
        self.increment(PEPMetricsStats.authorizationCallsRefused, key) { [serverLabel, operation.rawValue] }
    }

    /// Records a request that missed the caches and was answered `429` because its client address was over
    /// `limits.cache_misses_per_ip_per_second` (`uma_pep_cache_miss_rate_limited_total{service}`).
    /// - Parameter service: the routed service.
    public func recordCacheMissRateLimited(service: MetricsServiceID) {
        guard self.isValid(service) else { return }
        self.increment(PEPMetricsStats.cacheMissRateLimited, SeriesKey(.cacheMissRateLimited, service.index, 0, 0)) {
            [self.serviceLabel(service.index)]
        }
    }

    /// A downstream connection was accepted (`uma_pep_downstream_connections` + 1).
    public func downstreamConnectionOpened() {
        self.downstreamConnections.increment()
    }

    /// A downstream connection was closed (`uma_pep_downstream_connections` − 1).
    public func downstreamConnectionClosed() {
        self.downstreamConnections.decrement()
    }

    /// A request without a cached grant waited for a later event-loop turn, for the turn share or the pace
    /// (`uma_pep_requests_waited_total` + 1).
    public func uncachedRequestWaited() {
        self.requestsWaited.increment()
    }

    /// A WebSocket tunnel opened (`uma_pep_websocket_tunnels_total` + 1, `uma_pep_websocket_tunnels_open` + 1).
    public func webSocketTunnelOpened() {
        self.webSocketTunnels.opened.increment()
        self.webSocketTunnels.open.increment()
    }

    /// A WebSocket tunnel closed after moving these bytes (`uma_pep_websocket_tunnels_open` − 1,
    /// `uma_pep_websocket_bytes_total{direction}` + each count).
    public func webSocketTunnelClosed(clientToUpstream: UInt64, upstreamToClient: UInt64) {
        self.webSocketTunnels.open.decrement()
        self.webSocketTunnels.clientToUpstream.increment(by: Int64(clamping: clientToUpstream))
        self.webSocketTunnels.upstreamToClient.increment(by: Int64(clamping: upstreamToClient))
    }

    /// Records one configuration reload attempt (`uma_pep_config_reloads_total{result}`): `succeeded` when the new
    /// file loaded and replaced the running generation, `false` when the old configuration stayed in force.
    public func recordConfigReload(succeeded: Bool) {
        (succeeded ? self.configReloads.success : self.configReloads.failure).increment()
    }

    // MARK: Helpers

    /// `true` when `service` indexes ``serviceNames``; otherwise counts a metric error.
    private func isValid(_ service: MetricsServiceID) -> Bool {
        guard self.serviceNames.indices.contains(service.index) else {
            self.metricErrors.increment()
            return false
        }
        return true
    }

    /// The `service` label for a validated index, or `""` for -1 (no service).
    private func serviceLabel(_ index: Int) -> String {
        index >= 0 ? self.serviceNames[index] : ""
    }

    /// The label of `server`, or `nil` (and a metric error counted) when it indexes no ``serverNames`` entry.
    private func serverLabel(_ server: MetricsServerID) -> String? {
        guard self.serverNames.indices.contains(server.index) else {
            self.metricErrors.increment()
            return nil
        }
        return self.serverNames[server.index]
    }

    /// Bumps the locked series `key` of `declaration` (created with `labels` on first use): for the counters
    /// bumped off the data plane's per-request path (tickets, upstream errors, refusals).
    private func increment(_ declaration: MetricDeclaration, _ key: SeriesKey, labels: () -> [String]) {
        let counter = self.series.withLock { table in table.counter(declaration, key, self.registry, labels: labels) }
        counter.increment()
    }
}
