import PEPCore
import Testing

@testable import PEPMetrics

@Suite struct PEPMetricsTests {
    static let photos = MetricsServiceID(index: 0)
    static let admin = MetricsServiceID(index: 1)
    static let server = MetricsServerID(index: 0)

    static func makeMetrics(consumerLimit: Int = 1000) -> PEPMetrics {
        PEPMetrics(
            services: ["photos", "admin"], authorizationServers: ["https://as.test"],
            consumerLabelLimit: consumerLimit)
    }

    /// Counter samples of `exposition`, as `name{labels} value` strings, for set comparison.
    static func counterLines(_ exposition: Exposition) -> Set<String> {
        Set(
            exposition.samples.filter { exposition.type[$0.name] == "counter" }.map(\.description))
    }

    /// The data plane's form, a rule index with its pattern asked for lazily: the pattern is read once, when the
    /// series is made, and labels `endpoint` as the `RuleMatch` form does; no rule is `unmatched`.
    @Test func ruleIndexAsksForThePatternOnlyWhenTheSeriesIsMade() throws {
        let metrics = Self.makeMetrics()
        var asked: [Int] = []
        for _ in 0..<3 {
            metrics.recordRequest(
                service: Self.photos, ruleIndex: 2,
                pattern: { index in
                    asked.append(index); return "/p/??"
                },
                method: .get, decision: .granted, status: 200, nanoseconds: 1_000, worker: nil)
        }
        metrics.recordRequest(
            service: Self.photos, ruleIndex: nil,
            pattern: { _ in
                Issue.record("no rule, no pattern"); return ""
            },
            method: .post, decision: .denied, status: 403, nanoseconds: 1_000, worker: nil)
        #expect(asked == [2])
        let parsed = try Exposition(metrics.exposition())
        #expect(
            parsed.value("gluu_endpoint_method", [("endpoint", "/p/??"), ("method", "GET"), ("service", "photos")])
                == "3")
        #expect(
            parsed.value(
                "gluu_endpoint_method", [("endpoint", "unmatched"), ("method", "POST"), ("service", "photos")]) == "1")
    }

    /// After a scripted sequence of bumps, the counter samples are exactly the expected ones.
    @Test func scriptedBumpsGiveExactCounterSamples() throws {
        let metrics = Self.makeMetrics()
        let photosRule = RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/photos/??")
        for _ in 0..<2 {
            metrics.recordRequest(
                service: Self.photos, rule: photosRule, method: "GET", decision: .granted, status: 200,
                duration: .milliseconds(3))
        }
        metrics.recordRequest(
            service: Self.photos, rule: nil, method: "PROPFIND", decision: .ticket, status: 401,
            duration: .milliseconds(1))
        metrics.recordRequest(
            service: nil, rule: nil, method: "GET", decision: .noRoute, status: 404, duration: .microseconds(100))
        metrics.recordAuthenticated(service: Self.photos, consumer: "client-a")
        metrics.recordAuthenticated(service: Self.photos, consumer: "client-a")
        metrics.recordAuthenticated(service: Self.admin, consumer: "client-b")
        metrics.recordGranted(service: Self.photos, consumer: "client-a")
        metrics.recordTicket(service: Self.photos)
        metrics.recordUpstreamError(service: Self.admin, kind: .timeout)
        metrics.recordASRequest(
            server: Self.server, operation: .introspection, outcome: .ok, duration: .milliseconds(20))
        metrics.recordConfigReload(succeeded: true)
        metrics.recordConfigReload(succeeded: false)
        metrics.recordConfigReload(succeeded: true)
        metrics.uncachedRequestWaited()
        metrics.uncachedRequestWaited()
        metrics.webSocketTunnelOpened()
        metrics.webSocketTunnelOpened()
        metrics.webSocketTunnelClosed(clientToUpstream: 10, upstreamToClient: 3_000_000_000)

        let parsed = try Exposition(metrics.exposition())
        let expected: Set<String> = [
            #"gluu_endpoint_method{endpoint="/photos/??",method="GET",service="photos"} 2"#,
            #"gluu_endpoint_method{endpoint="unmatched",method="OTHER",service="photos"} 1"#,
            #"gluu_nginx_metric_errors_total{} 0"#,
            #"gluu_total_client_authenticated{} 3"#,
            #"gluu_total_client_granted{} 1"#,
            #"gluu_uma_client_authenticated{consumer="client-a",service="photos"} 2"#,
            #"gluu_uma_client_authenticated{consumer="client-b",service="admin"} 1"#,
            #"gluu_uma_client_granted{consumer="client-a",service="photos"} 1"#,
            #"gluu_uma_ticket{service="photos"} 1"#,
            #"uma_pep_as_requests_total{server="https://as.test",operation="introspection",outcome="ok"} 1"#,
            #"uma_pep_cache_evictions_total{cache="introspection"} 0"#,
            #"uma_pep_cache_evictions_total{cache="decision"} 0"#,
            #"uma_pep_cache_hits_total{cache="introspection"} 0"#,
            #"uma_pep_cache_hits_total{cache="decision"} 0"#,
            #"uma_pep_cache_misses_total{cache="introspection"} 0"#,
            #"uma_pep_cache_misses_total{cache="decision"} 0"#,
            #"uma_pep_config_reloads_total{result="success"} 2"#,
            #"uma_pep_config_reloads_total{result="failure"} 1"#,
            #"uma_pep_requests_total{service="photos",decision="granted",status_class="2xx"} 2"#,
            #"uma_pep_requests_total{service="photos",decision="ticket",status_class="4xx"} 1"#,
            #"uma_pep_requests_total{service="",decision="no_route",status_class="4xx"} 1"#,
            #"uma_pep_requests_waited_total{} 2"#,
            #"uma_pep_upstream_errors_total{service="admin",kind="timeout"} 1"#,
            #"uma_pep_websocket_bytes_total{direction="client_to_upstream"} 10"#,
            #"uma_pep_websocket_bytes_total{direction="upstream_to_client"} 3000000000"#,
            #"uma_pep_websocket_tunnels_total{} 2"#,
        ]
        #expect(Self.counterLines(parsed) == expected)
    }

    /// Request latencies land in the right cumulative buckets, with exact `_count` and `_sum`.
    @Test func requestDurationHistogramBucketsCumulatively() throws {
        let metrics = Self.makeMetrics()
        for milliseconds in [3, 3, 700] {
            metrics.recordRequest(
                service: Self.photos, rule: nil, method: "GET", decision: .passthrough, status: 200,
                duration: .milliseconds(milliseconds))
        }
        metrics.recordRequest(
            service: Self.photos, rule: nil, method: "GET", decision: .passthrough, status: 200,
            duration: .seconds(-1))
        let parsed = try Exposition(metrics.exposition())
        let name = "uma_pep_request_duration_seconds"
        func bucket(_ le: String) -> String? {
            parsed.value(name + "_bucket", [("service", "photos"), ("le", le)])
        }
        #expect(parsed.type[name] == "histogram")
        #expect(bucket("0.0005") == "1")  // the negative duration counts as 0
        #expect(bucket("0.0025") == "1")
        #expect(bucket("0.005") == "3")
        #expect(bucket("0.5") == "3")
        #expect(bucket("1.0") == "4")
        #expect(bucket("10.0") == "4")
        #expect(bucket("+Inf") == "4")
        #expect(parsed.value(name + "_count", [("service", "photos")]) == "4")
        #expect(parsed.value(name + "_sum", [("service", "photos")]).flatMap(Double.init) == 0.706)
        let les = parsed.samples.filter { $0.name == name + "_bucket" }.compactMap { $0.label("le") }
        #expect(les.count == 15)
    }

    /// Authorization-server calls feed both the outcome counter and the per-operation latency histogram.
    @Test func asRequestsRecordCounterAndHistogram() throws {
        let metrics = Self.makeMetrics()
        metrics.recordASRequest(
            server: Self.server, operation: .checkAccess, outcome: .timeout, duration: .seconds(5))
        metrics.recordASRequest(
            server: Self.server, operation: .checkAccess, outcome: .ok, duration: .milliseconds(40))
        let parsed = try Exposition(metrics.exposition())
        let labels = [("server", "https://as.test"), ("operation", "check_access")]
        #expect(parsed.value("uma_pep_as_requests_total", labels + [("outcome", "timeout")]) == "1")
        #expect(parsed.value("uma_pep_as_requests_total", labels + [("outcome", "ok")]) == "1")
        #expect(parsed.value("uma_pep_as_request_duration_seconds_count", labels) == "2")
        #expect(parsed.value("uma_pep_as_request_duration_seconds_bucket", labels + [("le", "0.05")]) == "1")
    }

    /// Ids outside the configured lists count a metric error and create no series.
    @Test func unknownIDsCountMetricErrors() throws {
        let metrics = Self.makeMetrics()
        let ghost = MetricsServiceID(index: 7)
        metrics.recordRequest(
            service: ghost, rule: nil, method: "GET", decision: .granted, status: 200, duration: .zero)
        metrics.recordAuthenticated(service: MetricsServiceID(index: -1), consumer: "c")
        metrics.recordGranted(service: ghost, consumer: "c")
        metrics.recordTicket(service: ghost)
        metrics.recordUpstreamError(service: ghost, kind: .reset)
        metrics.recordASRequest(server: MetricsServerID(index: 1), operation: .rpt, outcome: .ok, duration: .zero)
        metrics.recordAuthorizationCallRefused(server: MetricsServerID(index: 1), operation: .checkAccess)
        metrics.recordCacheMissRateLimited(service: ghost)
        let parsed = try Exposition(metrics.exposition())
        #expect(parsed.value("gluu_nginx_metric_errors_total") == "8")
        #expect(parsed.samples(of: "uma_pep_authorization_calls_refused_total").isEmpty)
        #expect(parsed.samples(of: "uma_pep_cache_miss_rate_limited_total").isEmpty)
        #expect(parsed.value("gluu_total_client_authenticated") == "0")
        #expect(parsed.samples(of: "uma_pep_requests_total").isEmpty)
        #expect(parsed.samples(of: "gluu_uma_ticket").isEmpty)
    }

    /// The downstream connection gauge follows opens and closes.
    @Test func downstreamConnectionGaugeTracksOpenConnections() throws {
        let metrics = Self.makeMetrics()
        for _ in 0..<3 {
            metrics.downstreamConnectionOpened()
        }
        metrics.downstreamConnectionClosed()
        let parsed = try Exposition(metrics.exposition())
        #expect(parsed.type["uma_pep_downstream_connections"] == "gauge")
        #expect(parsed.value("uma_pep_downstream_connections").flatMap(Double.init) == 2)
    }

    /// The open-tunnel gauge follows WebSocket tunnel opens and closes.
    @Test func webSocketTunnelGaugeTracksOpenTunnels() throws {
        let metrics = Self.makeMetrics()
        for _ in 0..<3 {
            metrics.webSocketTunnelOpened()
        }
        metrics.webSocketTunnelClosed(clientToUpstream: 0, upstreamToClient: 0)
        let parsed = try Exposition(metrics.exposition())
        #expect(parsed.type["uma_pep_websocket_tunnels_open"] == "gauge")
        #expect(parsed.value("uma_pep_websocket_tunnels_open").flatMap(Double.init) == 2)
    }

    /// Status codes map to their class; anything outside 100…599 is `other`.
    @Test(arguments: [
        (200, "2xx"), (101, "1xx"), (302, "3xx"), (403, "4xx"), (599, "5xx"), (0, "other"), (600, "other"),
    ])
    func statusCodesMapToClasses(status: Int, expected: String) throws {
        let metrics = Self.makeMetrics()
        metrics.recordRequest(
            service: Self.admin, rule: nil, method: "GET", decision: .error, status: status, duration: .zero)
        let parsed = try Exposition(metrics.exposition())
        let sample = parsed.samples(of: "uma_pep_requests_total").first
        #expect(sample?.label("status_class") == expected)
    }

    /// Concurrent bumps from many tasks lose no increments and create each series once.
    @Test func concurrentBumpsAreExact() async throws {
        let metrics = Self.makeMetrics()
        let rule = RuleMatch(ruleIndex: 3, conditionIndex: 0, pattern: "/a/{id}")
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<250 {
                        metrics.recordRequest(
                            service: Self.photos, rule: rule, method: task % 2 == 0 ? "GET" : "POST",
                            decision: .granted, status: 200, duration: .milliseconds(1))
                        metrics.recordGranted(service: Self.photos, consumer: "client-\(task % 4)")
                    }
                }
            }
        }
        let parsed = try Exposition(metrics.exposition())
        let endpoint = parsed.samples(of: "gluu_endpoint_method")
        #expect(endpoint.count == 2)
        #expect(endpoint.allSatisfy { $0.value == "1000" })
        #expect(parsed.samples(of: "gluu_uma_client_granted").count == 4)
        #expect(parsed.value("gluu_total_client_granted") == "2000")
        #expect(parsed.value("uma_pep_request_duration_seconds_count", [("service", "photos")]) == "2000")
    }
}
