import Prometheus

/// Identifies one labeled series by small integers instead of label strings.
struct SeriesKey: Hashable {
    /// The family a key belongs to (keys of different families never collide).
    enum Family: UInt8 {
        case endpointMethod
        case umaClientAuthenticated
        case umaClientGranted
        case umaTicket
        case requests
        case upstreamErrors
        case asRequests
        case requestDuration
        case asRequestDuration
        /// Shard-only: `gluu_total_client_authenticated` / `gluu_total_client_granted` (no labels).
        case totalClientAuthenticated
        case totalClientGranted
        /// `uma_pep_authorization_calls_refused_total` (server, operation).
        case authorizationCallsRefused
        /// `uma_pep_cache_miss_rate_limited_total` (service).
        case cacheMissRateLimited
    }

    let family: Family
    /// Service or server index; -1 for "no service".
    let owner: Int
    /// Family-specific: rule index, consumer id, decision or kind ordinal, operation ordinal.
    let first: Int
    /// Family-specific: method, status-class or outcome ordinal.
    let second: Int

    init(_ family: Family, _ owner: Int, _ first: Int, _ second: Int) {
        self.family = family
        self.owner = owner
        self.first = first
        self.second = second
    }
}

/// The lazily created labeled series of one ``PEPMetrics``, always used under its mutex.
struct SeriesTable {
    var counters: [SeriesKey: Counter] = [:]
    var histograms: [SeriesKey: DurationHistogram] = [:]
    var consumers: ConsumerLabelCap

    init(consumers: ConsumerLabelCap) {
        self.consumers = consumers
    }

    /// The counter for `key`, created in `registry` on first use with `labels()` zipped to the declared names.
    mutating func counter(
        _ declaration: MetricDeclaration, _ key: SeriesKey, _ registry: PrometheusCollectorRegistry,
        labels: () -> [String]
    ) -> Counter {
        if let counter = self.counters[key] {
            return counter
        }
        let counter = registry.makeCounter(
            descriptor: declaration.descriptor, labels: Array(zip(declaration.labelNames, labels())))
        self.counters[key] = counter
        return counter
    }

    /// The latency histogram for `key` (buckets ``PEPMetricsStats/latencyBuckets``), created on first use.
    mutating func histogram(
        _ declaration: MetricDeclaration, _ key: SeriesKey, _ registry: PrometheusCollectorRegistry,
        labels: () -> [String]
    ) -> DurationHistogram {
        if let histogram = self.histograms[key] {
            return histogram
        }
        let histogram = registry.makeDurationHistogram(
            descriptor: declaration.descriptor, labels: Array(zip(declaration.labelNames, labels())),
            buckets: PEPMetricsStats.latencyBuckets)
        self.histograms[key] = histogram
        return histogram
    }
}

extension MetricDeclaration {
    /// The swift-prometheus descriptor: the whole name as `metricName`, no unit suffix added.
    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: self.name, unitName: "", helpText: self.help)
    }
}
