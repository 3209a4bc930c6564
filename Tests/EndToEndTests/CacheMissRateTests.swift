import Foundation
import Testing

extension EndToEnd {
    /// `limits.cache_misses_per_ip_per_second` (docs/security.md, "Authorization-server call amplification"): one
    /// client address flooding tokens the caches have not seen gets 429 beyond its rate, while its cached grants
    /// and requests that need no authorization-server call are never counted.
    @Suite struct CacheMissRate {
        /// Rate 2 a second: of 20 random tokens sent at once from 127.0.0.1, only the bucket's 2 (plus what refills
        /// while the flood is answered) reach oxd; the rest get 429 + `Retry-After: 1` at once, counted, logged with
        /// their detail and warned about once; a cached grant and a public rule still answer 200 meanwhile; after a
        /// second the address may miss again.
        @Test func missesBeyondTheRateGet429() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(extra: "limits: {cache_misses_per_ip_per_second: 2}"))
                let cached = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: cached).status == 200)
                // Let the bucket refill from the priming miss.
                Thread.sleep(forTimeInterval: 1.1)
                try env.devAS.resetCalls()

                var clients: [RawClient] = []
                for _ in 0..<20 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                let started = Date()
                for client in clients {
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                }
                let answers = RawClient.readResponses(clients, timeout: 10)
                let elapsed = Date().timeIntervalSince(started)
                let statuses = answers.map { $0?.response.status ?? 0 }
                let introspected = statuses.filter { $0 == 401 }.count
                let refused = answers.compactMap { $0 }.filter { $0.response.status == 429 }
                #expect(introspected + refused.count == 20, "\(statuses)\n\(env.diagnostics())")
                // The bucket's 2, plus what refilled (2 a second) while the flood was being answered.
                let refill = Int((elapsed * 2).rounded(.up))
                #expect(introspected >= 2 && introspected <= 2 + refill, "\(statuses) in \(elapsed) s")
                #expect(try env.devAS.counts()["/introspect-rpt"] == introspected, "refusals never reach oxd")
                for refusal in refused {
                    #expect(refusal.at.timeIntervalSince(started) < 2, "429 at once")
                    #expect(refusal.response.header("Retry-After") == "1")
                    #expect(refusal.response.bodyText == #"{"message":"Too many requests, retry later"}"#)
                }

                // The address is over its rate: cached grants and public rules need no call and are not counted.
                for _ in 0..<10 {
                    #expect(try env.send("GET", "/photos/1", token: cached).status == 200)
                    #expect(try env.send("GET", "/public/x").status == 200)
                }
                // A token-less request to a protected rule needs a permission ticket: a miss like any other. The
                // bucket holds 2 at most (it may have refilled meanwhile), so the third of three in a row is refused.
                let tokenless = try (0..<3).map { _ in try env.send("GET", "/photos/1").status }
                #expect(tokenless.last == 429 && tokenless.allSatisfy { $0 == 401 || $0 == 429 }, "\(tokenless)")
                let limited = refused.count + tokenless.filter { $0 == 429 }.count

                let metrics = try env.pep.metrics()
                #expect(
                    metrics.value("uma_pep_cache_miss_rate_limited_total", ["service": "api"]) == Double(limited))
                #expect(
                    eventually(5) {
                        env.pep.process.stderr.components(separatedBy: "pep.cache_miss_rate_limited").count - 1
                            == limited
                    }, "\(env.pep.diagnostics())")
                let warnings = env.pep.process.stderr.components(separatedBy: "over its cache-miss rate").count - 1
                #expect(warnings >= 1 && warnings <= 4, "one warning a second, not one per request")
                #expect(!env.pep.process.stderr.contains("RND-"), "never log tokens")

                // A second later the bucket has refilled.
                Thread.sleep(forTimeInterval: 1.1)
                #expect(try env.send("GET", "/photos/1", token: "RND-\(UUID().uuidString)").status == 401)
            }
        }
        /// On a report-only service the 429 is what enforcing would answer: the request is forwarded and logged
        /// `would_deny.429.pep.cache_miss_rate_limited`, like the call budget's 503.
        @Test func reportOnlyForwardsWhatTheRateWouldRefuse() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(
                        extra: "limits: {cache_misses_per_ip_per_second: 1}",
                        services: Fixture.service("enforcement: report_only")))
                var statuses: [Int] = []
                for _ in 0..<6 {
                    statuses.append(try env.send("GET", "/photos/1", token: "RND-\(UUID().uuidString)").status)
                }
                #expect(!statuses.contains(429), "\(statuses)")
                #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)\n\(env.diagnostics())")
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline,
                    !env.pep.process.stderr.contains("would_deny.429.pep.cache_miss_rate_limited")
                {
                    Thread.sleep(forTimeInterval: 0.1)
                }
                #expect(
                    env.pep.process.stderr.contains("would_deny.429.pep.cache_miss_rate_limited"),
                    "\(env.diagnostics())")
            }
        }

        /// Off by default: the same flood is only bounded by `max_pending_authorization_calls`; every random token
        /// is introspected and none gets 429.
        @Test func offByDefault() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                var clients: [RawClient] = []
                for _ in 0..<20 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                for client in clients {
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                }
                let statuses = RawClient.readResponses(clients, timeout: 10).map { $0?.response.status ?? 0 }
                #expect(statuses == Array(repeating: 401, count: 20), "\(statuses)\n\(env.diagnostics())")
                #expect(try env.devAS.counts()["/introspect-rpt"] == 20)
                #expect(try env.pep.metrics().samples("uma_pep_cache_miss_rate_limited_total").isEmpty)
            }
        }

    }
}
