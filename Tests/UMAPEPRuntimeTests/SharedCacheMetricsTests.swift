import PEPMetrics
import Testing
import UMAClient

/// The shared cache's error labels: `PEPMetrics` cannot import `UMAClient`, so `uma_pep_redis_errors_total`'s
/// `reason` values are a copy of `SharedCacheFailure`'s raw values; a failure without a label would be counted
/// only as a metric error.
@Suite struct SharedCacheMetricsTests {
    @Test func everyFailureHasAReasonLabel() {
        #expect(SharedCacheFailure.allCases.map(\.rawValue) == SharedCacheMetrics.errorReasons)
    }
}
