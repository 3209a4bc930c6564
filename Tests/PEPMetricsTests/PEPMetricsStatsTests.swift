import PEPCore
import Testing

@testable import PEPMetrics

@Suite struct PEPMetricsStatsTests {
    /// The gluu families keep Gluu Gateway's HELP texts exactly (SPEC Part B §7), written out here
    /// independently of the declarations.
    @Test(arguments: [
        ("gluu_endpoint_method", "Endpoint call per service in Kong"),
        ("gluu_uma_client_authenticated", "Client(Consumer) UMA authenticated per service in Kong"),
        ("gluu_uma_client_granted", "Client(Consumer) UMA granted per service in Kong"),
        ("gluu_uma_ticket", "Permission Ticket getting per services in Kong"),
        ("gluu_total_client_authenticated", "Total authentication(OAuth, UMA and OpenID Connect) in Kong"),
        ("gluu_total_client_granted", "Total authorization(OAuth, UMA and OPA PEP) in Kong"),
        ("gluu_nginx_metric_errors_total", "Number of nginx-lua-prometheus errors"),
    ])
    func gluuHelpTextsMatchReference(name: String, help: String) throws {
        let parsed = try Exposition(PEPMetrics(services: ["s"]).exposition())
        #expect(parsed.help[name] == help)
        #expect(parsed.type[name] == "counter")
    }

    /// Every series carries its labels in the declared order (`endpoint,method,service`; `consumer,service`;
    /// `service,decision,status_class`; …).
    @Test func labelsFollowDeclarationOrder() throws {
        let metrics = PEPMetrics(services: ["s"], authorizationServers: ["as"])
        let service = MetricsServiceID(index: 0)
        metrics.recordRequest(
            service: service, rule: RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/p"), method: "PUT",
            decision: .denied, status: 403, duration: .milliseconds(2))
        metrics.recordAuthenticated(service: service, consumer: "c")
        metrics.recordGranted(service: service, consumer: "c")
        metrics.recordTicket(service: service)
        metrics.recordUpstreamError(service: service, kind: .connect)
        metrics.recordASRequest(
            server: MetricsServerID(index: 0), operation: .discovery, outcome: .ok, duration: .milliseconds(1))
        let parsed = try Exposition(metrics.exposition())
        let expected: [String: [String]] = [
            "gluu_endpoint_method": ["endpoint", "method", "service"],
            "gluu_uma_client_authenticated": ["consumer", "service"],
            "gluu_uma_client_granted": ["consumer", "service"],
            "gluu_uma_ticket": ["service"],
            "uma_pep_requests_total": ["service", "decision", "status_class"],
            "uma_pep_upstream_errors_total": ["service", "kind"],
            "uma_pep_as_requests_total": ["server", "operation", "outcome"],
            "uma_pep_cache_hits_total": ["cache"],
            "uma_pep_request_duration_seconds_count": ["service"],
            "uma_pep_request_duration_seconds_bucket": ["service", "le"],
            "uma_pep_as_request_duration_seconds_bucket": ["server", "operation", "le"],
        ]
        for (name, labels) in expected {
            let samples = parsed.samples.filter { $0.name == name }
            #expect(!samples.isEmpty, "\(name) has samples")
            for sample in samples {
                #expect(sample.labels.map(\.0) == labels, "\(name)")
            }
        }
    }

    /// The declaration list is grouped counters → gauges → histograms and sorted by name in each group, with
    /// names unique and suffixed per STYLE 12 (`_seconds` on histograms).
    @Test func declarationsAreSortedAndGrouped() {
        let all = PEPMetricsStats.all
        let kinds = all.map(\.kind)
        let rank: [MetricKind: Int] = [.counter: 0, .gauge: 1, .histogram: 2]
        #expect(kinds.map { rank[$0] ?? -1 } == kinds.map { rank[$0] ?? -1 }.sorted())
        for kind in [MetricKind.counter, .gauge, .histogram] {
            let names = all.filter { $0.kind == kind }.map(\.name)
            #expect(names == names.sorted())
        }
        #expect(Set(all.map(\.name)).count == all.count)
        #expect(all.filter { $0.kind == .histogram }.allSatisfy { $0.name.hasSuffix("_seconds") })
        let ownCounters = all.filter { $0.kind == .counter && $0.name.hasPrefix("uma_pep_") }
        #expect(ownCounters.allSatisfy { $0.name.hasSuffix("_total") })
    }

    /// Latency buckets run from 0.5 ms to 10 s, strictly increasing.
    @Test func latencyBucketsSpanHalfMillisecondToTenSeconds() {
        let buckets = PEPMetricsStats.latencyBuckets
        #expect(buckets.first == .microseconds(500))
        #expect(buckets.last == .seconds(10))
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 })
    }
}
