import Foundation
import PEPCore
import Synchronization
import Testing

@testable import PEPMetrics

/// Per-worker shards: each worker bumps its own series without a lock; a scrape sums them.
@Suite struct MetricsShardTests {
    static let photos = MetricsServiceID(index: 0)
    static let patterns = ["/photos/*", "/photos/??"]

    static func metrics(workers: Int) -> PEPMetrics {
        PEPMetrics(services: ["photos", "admin"], authorizationServers: [], workers: workers)
    }

    /// Runs `body(worker)` on `workers` threads at once, each as that worker (one writer per shard).
    static func onWorkerThreads(_ workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            let thread = Thread {
                body(worker)
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }

    /// Four workers bumping the same series give exactly the sums a single locked writer would.
    @Test func workerShardsSumToExactTotals() throws {
        let metrics = Self.metrics(workers: 4)
        Self.onWorkerThreads(4) { worker in
            for index in 0..<2_500 {
                metrics.recordRequest(
                    service: Self.photos, ruleIndex: 1, pattern: { Self.patterns[$0] }, method: .get,
                    decision: .granted, status: 200, nanoseconds: Int64(index % 2 == 0 ? 300_000 : 3_000_000),
                    worker: worker)
                metrics.recordAuthenticated(service: Self.photos, consumer: "client-\(worker % 2)", worker: worker)
                metrics.recordGranted(service: Self.photos, consumer: "client-\(worker % 2)", worker: worker)
            }
        }
        let parsed = try Exposition(metrics.exposition())
        let service = [("service", "photos")]
        #expect(
            parsed.value("gluu_endpoint_method", [("endpoint", "/photos/??"), ("method", "GET")] + service)
                == "10000")
        #expect(
            parsed.value("uma_pep_requests_total", service + [("decision", "granted"), ("status_class", "2xx")])
                == "10000")
        #expect(parsed.value("gluu_total_client_authenticated") == "10000")
        #expect(parsed.value("gluu_total_client_granted") == "10000")
        #expect(parsed.value("gluu_uma_client_granted", [("consumer", "client-0")] + service) == "5000")
        #expect(parsed.value("gluu_uma_client_authenticated", [("consumer", "client-1")] + service) == "5000")
        let name = "uma_pep_request_duration_seconds"
        #expect(parsed.value(name + "_count", service) == "10000")
        #expect(parsed.value(name + "_bucket", service + [("le", "0.0005")]) == "5000")
        #expect(parsed.value(name + "_bucket", service + [("le", "0.0025")]) == "5000")
        #expect(parsed.value(name + "_bucket", service + [("le", "0.005")]) == "10000")
        #expect(parsed.value(name + "_bucket", service + [("le", "+Inf")]) == "10000")
        #expect(parsed.value(name + "_sum", service).flatMap(Double.init) == 16.5)
    }

    /// Scrapes taken while workers bump never go backwards, and the last one is exact (each scrape adds only
    /// what grew since the one before).
    @Test func scrapesDuringBumpsAreMonotonicAndExact() throws {
        let metrics = Self.metrics(workers: 2)
        let labels = [("service", "photos"), ("decision", "passthrough"), ("status_class", "2xx")]
        let done = Atomic<Int>(0)
        var seen: [Double] = []
        let group = DispatchGroup()
        group.enter()
        Thread {
            Self.onWorkerThreads(2) { worker in
                for _ in 0..<20_000 {
                    metrics.recordRequest(
                        service: Self.photos, ruleIndex: nil, pattern: { Self.patterns[$0] }, method: .post,
                        decision: .passthrough, status: 201, nanoseconds: 1000, worker: worker)
                }
            }
            done.store(1, ordering: .sequentiallyConsistent)
            group.leave()
        }.start()
        while done.load(ordering: .sequentiallyConsistent) == 0 {
            let parsed = try Exposition(metrics.exposition())
            seen.append(Double(parsed.value("uma_pep_requests_total", labels) ?? "0") ?? -1)
        }
        group.wait()
        let last = try Exposition(metrics.exposition())
        seen.append(Double(last.value("uma_pep_requests_total", labels) ?? "0") ?? -1)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(seen.last == 40_000)
        #expect(last.value("uma_pep_request_duration_seconds_count", [("service", "photos")]) == "40000")
    }

    /// A shard grows past its first table and value block: hundreds of series keep their own counts.
    @Test func shardGrowsWithManySeries() {
        let shard = MetricsShard(bounds: PEPMetricsStats.latencyBuckets.map(PEPMetrics.nanoseconds))
        for _ in 0..<3 {
            for index in 0..<500 {
                shard.increment(SeriesKey(.endpointMethod, index % 7, index, 1)) { ["\(index)"] }
            }
            for index in 0..<40 {
                shard.observe(SeriesKey(.requestDuration, index, 0, 0), nanoseconds: Int64(index)) { ["h\(index)"] }
            }
        }
        let snapshot = shard.lock.withLock { _ in shard.snapshotLocked() }
        #expect(snapshot.count == 540)
        let counters = snapshot.filter { $0.values.count == 1 }
        #expect(counters.count == 500)
        #expect(counters.allSatisfy { $0.values == [3] })
        let histograms = snapshot.filter { $0.values.count > 1 }
        #expect(histograms.count == 40)
        #expect(histograms.allSatisfy { $0.values.last == 3 })
        #expect(Set(snapshot.map(\.entry.labels)).count == 540)
    }

    /// Packed keys of different series differ, and none is 0 (the empty-slot marker).
    @Test func packedKeysAreDistinct() {
        var keys: Set<UInt64> = []
        for family in [SeriesKey.Family.endpointMethod, .requests, .requestDuration, .totalClientGranted] {
            for owner in -1..<4 {
                for first in -1..<4 {
                    for second in 0..<3 {
                        keys.insert(MetricsShard.pack(SeriesKey(family, owner, first, second)))
                    }
                }
            }
        }
        #expect(keys.count == 4 * 5 * 5 * 3)
        #expect(!keys.contains(0))
    }
}
