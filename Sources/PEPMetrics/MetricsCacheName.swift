/// Which cache a `uma_pep_cache_*` series describes, the `cache` label (SPEC A7, A10).
public enum MetricsCacheName: String, Sendable, Equatable, CaseIterable {
    /// (authorization server, token) → introspection result.
    case introspection
    /// (service, rule, method, token) → granted.
    case decision
}
