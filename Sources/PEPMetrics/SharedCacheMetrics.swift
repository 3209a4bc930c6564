import Prometheus

/// The shared second-level cache's metrics (docs/operations.md "Several instances: the Redis cache"):
/// `uma_pep_redis_lookups_total{kind,result}`, `uma_pep_redis_writes_total{kind}`,
/// `uma_pep_redis_errors_total{kind,operation,reason}` and `uma_pep_redis_up`. Every series exists from startup
/// (at 0), in the registry of the ``PEPMetrics`` it is made from.
public final class SharedCacheMetrics: Sendable {
    /// What was looked up or stored.
    public enum Kind: String, CaseIterable, Sendable {
        /// An introspection answer (active or negative).
        case introspection
        /// An oxd `/uma-rs-check-access` grant.
        case grant
    }

    /// How a lookup that got an answer ended.
    public enum LookupResult: String, CaseIterable, Sendable {
        /// A usable entry: the authorization server was not asked.
        case hit
        /// No entry, or one lapsed by `exp` / `valid_until`.
        case miss
        /// A value of another format version (a rolling upgrade): a miss.
        case otherVersion = "other_version"
        /// A value that does not decode: a miss.
        case invalid
    }

    /// The `reason` label values of `uma_pep_redis_errors_total` (`UMAClient.SharedCacheFailure`'s raw values).
    public static let errorReasons = ["unavailable", "overloaded", "timeout", "connection", "reply"]

    /// `uma_pep_redis_lookups_total{kind,result}`.
    public static let lookupsDeclaration = MetricDeclaration(
        name: "uma_pep_redis_lookups_total",
        help: "Shared-cache (Redis) lookups answered after a local miss, by entry kind and result.", kind: .counter,
        labelNames: ["kind", "result"])
    /// `uma_pep_redis_writes_total{kind}`.
    public static let writesDeclaration = MetricDeclaration(
        name: "uma_pep_redis_writes_total",
        help: "Shared-cache (Redis) entries written after an authorization-server answer.", kind: .counter,
        labelNames: ["kind"])
    /// `uma_pep_redis_errors_total{kind,operation,reason}`.
    public static let errorsDeclaration = MetricDeclaration(
        name: "uma_pep_redis_errors_total",
        help: "Shared-cache (Redis) commands without a usable answer (the request went on without Redis).",
        kind: .counter, labelNames: ["kind", "operation", "reason"])
    /// `uma_pep_redis_up`.
    public static let upDeclaration = MetricDeclaration(
        name: "uma_pep_redis_up", help: "1 while the shared cache (Redis) is connected and authenticated, else 0.",
        kind: .gauge, labelNames: [])

    private let lookups: [String: Counter]
    private let writes: [String: Counter]
    private let errors: [String: Counter]
    private let up: Gauge
    private let metricErrors: Counter

    /// Declares every series in `metrics`'s registry.
    public init(metrics: PEPMetrics) {
        let registry = metrics.registry
        var lookups: [String: Counter] = [:]
        var writes: [String: Counter] = [:]
        var errors: [String: Counter] = [:]
        for kind in Kind.allCases {
            for result in LookupResult.allCases {
                lookups["\(kind.rawValue)/\(result.rawValue)"] = registry.makeCounter(
                    descriptor: Self.lookupsDeclaration.descriptor,
                    labels: [("kind", kind.rawValue), ("result", result.rawValue)])
            }
            writes[kind.rawValue] = registry.makeCounter(
                descriptor: Self.writesDeclaration.descriptor, labels: [("kind", kind.rawValue)])
            for operation in ["get", "set"] {
                for reason in Self.errorReasons {
                    errors["\(kind.rawValue)/\(operation)/\(reason)"] = registry.makeCounter(
                        descriptor: Self.errorsDeclaration.descriptor,
                        labels: [("kind", kind.rawValue), ("operation", operation), ("reason", reason)])
                }
            }
        }
        self.lookups = lookups
        self.writes = writes
        self.errors = errors
        self.up = registry.makeGauge(descriptor: Self.upDeclaration.descriptor)
        self.metricErrors = metrics.metricErrors
    }

    /// A lookup got an answer.
    public func recordLookup(_ kind: Kind, _ result: LookupResult) {
        self.lookups["\(kind.rawValue)/\(result.rawValue)"]?.increment()
    }

    /// An entry was written.
    public func recordWrite(_ kind: Kind) {
        self.writes[kind.rawValue]?.increment()
    }

    /// A command had no usable answer; `reason` is one of ``errorReasons`` (anything else counts as a metric error).
    public func recordError(_ kind: Kind, reason: String, write: Bool = false) {
        guard let counter = self.errors["\(kind.rawValue)/\(write ? "set" : "get")/\(reason)"] else {
            return self.metricErrors.increment()
        }
        counter.increment()
    }

    /// Redis became usable (`true`) or stopped being usable.
    public func setUp(_ up: Bool) {
        self.up.set(Int64(up ? 1 : 0))
    }
}
