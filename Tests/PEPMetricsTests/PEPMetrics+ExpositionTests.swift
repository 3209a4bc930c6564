import CoreMetrics
import PEPCore
import Synchronization
import Testing

@testable import PEPMetrics

@Suite struct PEPMetricsExpositionTests {
    /// A fresh instance declares every family, in catalogue order, even before any labeled series exists.
    @Test func freshExpositionDeclaresEveryFamilyInOrder() throws {
        let text = PEPMetrics(services: ["s"]).exposition()
        let parsed = try Exposition(text)
        #expect(parsed.familyOrder == PEPMetricsStats.all.map(\.name))
        #expect(parsed.samples(of: "gluu_endpoint_method").isEmpty)
        #expect(parsed.value("gluu_total_client_granted") == "0")
        #expect(text.hasSuffix("\n"))
    }

    /// Two instances never share series: each has its own registry.
    @Test func instancesHaveIndependentRegistries() throws {
        let first = PEPMetrics(services: ["s"])
        let second = PEPMetrics(services: ["s"])
        first.recordTicket(service: MetricsServiceID(index: 0))
        #expect(try Exposition(first.exposition()).value("gluu_uma_ticket", [("service", "s")]) == "1")
        #expect(try Exposition(second.exposition()).samples(of: "gluu_uma_ticket").isEmpty)
    }

    /// The exposition is stable: the same state renders the same text every time.
    @Test func expositionIsDeterministic() {
        let metrics = PEPMetrics(services: ["a", "b", "c"], authorizationServers: ["x", "y"])
        for index in 0..<3 {
            let service = MetricsServiceID(index: index)
            metrics.recordAuthenticated(service: service, consumer: "client-\(index)")
            metrics.recordRequest(
                service: service, rule: nil, method: "GET", decision: .ticket, status: 401, duration: .zero)
        }
        for server in 0..<2 {
            metrics.recordASRequest(
                server: MetricsServerID(index: server), operation: .jwks, outcome: .ok, duration: .zero)
        }
        #expect(metrics.exposition() == metrics.exposition())
    }

    /// Cache counters are fed from the statistics snapshot at scrape time, without double counting, and a
    /// replaced source is added from zero.
    @Test func cacheCountersFollowStatisticsSource() throws {
        let metrics = PEPMetrics(services: ["s"])
        let stats = Mutex(CacheStatistics())
        metrics.setCacheStatisticsSource(.introspection) { stats.withLock { $0 } }
        stats.withLock {
            $0.hits = 5
            $0.misses = 2
            $0.evictions = 1
        }
        _ = metrics.exposition()
        stats.withLock { $0.hits = 7 }
        var parsed = try Exposition(metrics.exposition())
        #expect(parsed.value("uma_pep_cache_hits_total", [("cache", "introspection")]) == "7")
        #expect(parsed.value("uma_pep_cache_misses_total", [("cache", "introspection")]) == "2")
        #expect(parsed.value("uma_pep_cache_evictions_total", [("cache", "introspection")]) == "1")
        #expect(parsed.value("uma_pep_cache_hits_total", [("cache", "decision")]) == "0")

        var replacement = CacheStatistics()
        replacement.hits = 3
        metrics.setCacheStatisticsSource(.introspection) { [replacement] in replacement }
        parsed = try Exposition(metrics.exposition())
        #expect(parsed.value("uma_pep_cache_hits_total", [("cache", "introspection")]) == "10")
    }

    /// A counter made through the swift-metrics factory lands in the same registry, after the declared families.
    @Test func swiftMetricsFactoryWritesIntoTheSameRegistry() throws {
        let metrics = PEPMetrics(services: ["s"])
        let counter = CoreMetrics.Counter(
            label: "aa_library_calls_total", dimensions: [], factory: metrics.metricsFactory)
        counter.increment(by: 4)
        let parsed = try Exposition(metrics.exposition())
        #expect(parsed.value("aa_library_calls_total") == "4")
        #expect(parsed.familyOrder.last == "aa_library_calls_total")
    }
}
