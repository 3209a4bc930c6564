import Testing

@testable import PEPCore

@Suite struct ConfigLoaderServerTests {
    /// `workers: auto` is the core count given to the loader (clamped to 1…256); integers are taken as is.
    @Test func workers() throws {
        let auto = ConfigTestSupport.config(topExtra: "workers: auto")
        #expect(try ConfigLoader.load(text: auto, fileName: "f", environment: [:], coreCount: 6).workerCount == 6)
        #expect(try ConfigLoader.load(text: auto, fileName: "f", environment: [:], coreCount: 0).workerCount == 1)
        #expect(try ConfigLoader.load(text: auto, fileName: "f", environment: [:], coreCount: 1000).workerCount == 256)
        #expect(try ConfigTestSupport.load(ConfigTestSupport.config(topExtra: "workers: 12")).workerCount == 12)
        for (value, detail) in [
            ("0", "config.invalid_value"), ("257", "config.invalid_value"),
            ("many", "config.invalid_value"), ("1.5", "config.type_mismatch"),
        ] {
            let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "workers: \(value)"))
            #expect(error?.fieldPath == "workers", "\(value)")
            #expect(error?.detail == detail, "\(value)")
        }
    }

    /// Every limit is read with its unit; unknown limit names are errors with a suggestion.
    @Test func limits() throws {
        let text = ConfigTestSupport.config(
            topExtra: """
                limits:
                  max_header_bytes: 8192
                  max_headers_count: 50
                  max_body_bytes: 1MiB
                  max_connections_per_worker: 500
                  header_timeout: 5s
                  idle_timeout: 30s
                  drain_timeout: 2s
                  upstream_connect_timeout: 750ms
                  upstream_read_timeout: 2m
                  upstream_max_idle: 0
                  upstream_idle_timeout: 1h
                  upstream_max_requests: 99
                  max_pending_authorization_calls: 8
                """)
        let limits = try ConfigTestSupport.load(text).limits
        #expect(
            limits
                == ProxyLimits(
                    maxHeaderBytes: 8192, maxHeadersCount: 50, maxBodyBytes: 1_048_576, maxConnectionsPerWorker: 500,
                    headerTimeout: .seconds(5), idleTimeout: .seconds(30), drainTimeout: .seconds(2),
                    upstreamConnectTimeout: .milliseconds(750), upstreamReadTimeout: .seconds(120), upstreamMaxIdle: 0,
                    upstreamIdleTimeout: .seconds(3600), upstreamMaxRequests: 99, maxPendingAuthorizationCalls: 8))
        #expect(ProxyLimits().maxPendingAuthorizationCalls == 512)
        let report = try ConfigTestSupport.load(text).checkReport()
        #expect(
            report.contains("max_pending_authorization_calls 8\n")
                || report.contains("max_pending_authorization_calls 8,"))
        for value in ["0", "-1", "1000001", "lots"] {
            let error = try #require(
                ConfigTestSupport.error(
                    ConfigTestSupport.config(topExtra: "limits: {max_pending_authorization_calls: \(value)}")))
            #expect(error.fieldPath == "limits.max_pending_authorization_calls", "\(value)")
        }
        let error = try #require(
            ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "limits: {max_header_byte: 1}")))
        #expect(error.fieldPath == "limits.max_header_byte")
        #expect(error.detail == "config.unknown_field")
        #expect(error.message.contains("did you mean 'max_header_bytes'"))
    }

    /// The WebSocket limits: defaults, values, `0` tunnels (upgrades refused), and errors naming the field.
    @Test func webSocketLimits() throws {
        #expect(ProxyLimits().maxWebSocketTunnels == 1024)
        #expect(ProxyLimits().webSocketIdleTimeout == .seconds(300))
        let text = ConfigTestSupport.config(topExtra: "limits: {max_websocket_tunnels: 0, websocket_idle_timeout: 90s}")
        let limits = try ConfigTestSupport.load(text).limits
        #expect(limits.maxWebSocketTunnels == 0)
        #expect(limits.webSocketIdleTimeout == .seconds(90))
        let report = try ConfigTestSupport.load(text).checkReport()
        // The report puts four limits a line: either may end one.
        #expect(
            report.contains("max_websocket_tunnels 0,") || report.contains("max_websocket_tunnels 0\n"), "\(report)")
        #expect(report.contains("websocket_idle_timeout 90s\n"), "\(report)")
        for (field, value) in [
            ("max_websocket_tunnels", "-1"), ("max_websocket_tunnels", "1000001"), ("max_websocket_tunnels", "many"),
            ("websocket_idle_timeout", "0s"), ("websocket_idle_timeout", "soon"),
        ] {
            let error = try #require(
                ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "limits: {\(field): \(value)}")))
            #expect(error.fieldPath == "limits.\(field)", "\(field) \(value)")
        }
    }

    /// Cache settings accept zero to disable caching.
    @Test func cache() throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(
                topExtra: "cache: {max_entries: 0, max_ttl: 0, negative_ttl: 0, ttl_without_exp: 0, clock_skew: 0}"))
        #expect(
            config.cache
                == CacheSettings(
                    maxEntries: 0, maxTTL: .zero, negativeTTL: .zero, ttlWithoutExp: .zero, clockSkew: .zero))
    }

    /// `ttl_without_exp` defaults to 60 s and `clock_skew` to 30 s; the skew is at most 5 minutes, and a bad
    /// value is reported at its field.
    @Test func tokenTimeSettings() throws {
        let defaults = try ConfigTestSupport.load(ConfigTestSupport.config()).cache
        #expect(defaults.ttlWithoutExp == .seconds(60) && defaults.clockSkew == .seconds(30))
        let set = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "cache: {ttl_without_exp: 15s, clock_skew: 5m}")
        ).cache
        #expect(set.ttlWithoutExp == .seconds(15) && set.clockSkew == .seconds(300))
        let report = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "cache: {ttl_without_exp: 15s, clock_skew: 5m}")
        ).checkReport()
        #expect(
            report.contains(
                "Cache: max_entries 100000, max_ttl 5m, negative_ttl 10s, ttl_without_exp 15s, clock_skew 5m\n"))
        for (value, field, detail) in [
            ("clock_skew: 301", "cache.clock_skew", "config.invalid_duration"),
            ("clock_skew: 1h", "cache.clock_skew", "config.invalid_duration"),
            ("clock_skew: -1s", "cache.clock_skew", "config.invalid_duration"),
            ("ttl_without_exp: soon", "cache.ttl_without_exp", "config.invalid_duration"),
            ("ttl_without_exp: [1]", "cache.ttl_without_exp", "config.type_mismatch"),
            ("clock_skw: 1s", "cache.clock_skw", "config.unknown_field"),
        ] {
            let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "cache: {\(value)}"))
            #expect(error?.fieldPath == field, "\(value)")
            #expect(error?.detail == detail, "\(value)")
        }
    }

    /// Consumers load; duplicate ids or custom ids are refused.
    @Test func consumers() throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(
                topExtra: """
                    consumer_mapping: true
                    consumers:
                      - {id: a28a0f83-b619-4b58-94b3-e4ecaf8b6a2a, custom_id: "@!1736.179E", username: demo}
                      - {id: second}
                    """))
        #expect(config.consumerMapping)
        #expect(
            config.consumers
                == [
                    Consumer(id: "a28a0f83-b619-4b58-94b3-e4ecaf8b6a2a", customId: "@!1736.179E", username: "demo"),
                    Consumer(id: "second"),
                ])
        let duplicate = ConfigTestSupport.config(
            topExtra: "consumers:\n  - {id: a, custom_id: x}\n  - {id: b, custom_id: x}")
        let error = try #require(ConfigTestSupport.error(duplicate))
        #expect(error.fieldPath == "consumers[1].custom_id")
        #expect(error.detail == "config.duplicate_consumer")
    }

    /// `path_params`, `trust_request_id` and `trusted_proxies` are read; bad values are named.
    @Test func requestHandlingOptions() throws {
        let config = try ConfigTestSupport.load(
            ConfigTestSupport.config(
                topExtra: "path_params: keep\ntrust_request_id: true\ntrusted_proxies: [10.0.0.0/8, \"::1\"]"))
        #expect(config.pathParams == .keep)
        #expect(config.trustRequestId)
        #expect(config.trustedProxies.map(\.description) == ["10.0.0.0/8", "::1/128"])
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "path_params: strip")))
        #expect(error.fieldPath == "path_params")
        #expect(error.detail == "config.invalid_value")
        #expect(error.message.contains("reject | keep"))
    }
}
