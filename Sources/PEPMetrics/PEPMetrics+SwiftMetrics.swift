import CoreMetrics
import Prometheus

extension PEPMetrics {
    /// A swift-metrics factory writing into this instance's registry, for libraries that report through the
    /// swift-metrics API: pass it explicitly (e.g. `Counter(label:dimensions:factory:)`); uma-pep never calls
    /// `MetricsSystem.bootstrap`. Such families appear in ``exposition()`` after the declared ones.
    public var metricsFactory: any MetricsFactory {
        PrometheusMetricsFactory(registry: self.registry)
    }
}
