import Foundation
import Testing

extension EndToEnd {
    /// SECURITY.md cases 21 and 24: decisions are never reused across rules, methods or services; bad tokens,
    /// bursts and floods of distinct tokens cannot amplify into authorization-server calls or unbounded memory.
    @Suite struct CacheSafety {
        /// Case 21: a token granted for `GET /photos/1` is then used for `POST /photos` and `DELETE /admin/users/1`:
        /// never a cached 200 — 403 by default (SPEC A2); only the first request reaches the upstream.
        @Test func grantIsNotReusedForAnotherRuleOrMethod() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view], token: "RPT_VIEW")
                #expect(token == "RPT_VIEW")
                let first = try env.send("GET", "/photos/1", token: token)
                #expect(first.status == 200)
                #expect(EchoedRequest(first) != nil)
                try env.devAS.resetCalls()
                let post = try env.send("POST", "/photos", token: token, body: Array("{}".utf8))
                #expect(post.status == 403)
                #expect(post.bodyText == Body.notAuthorized)
                let delete = try env.send("DELETE", "/admin/users/1", token: token)
                #expect(delete.status == 403)
                #expect(delete.bodyText == Body.notAuthorized)
                // Introspection is cached; each new (rule, method) asks oxd.
                #expect(try env.devAS.calls() == ["/uma-rs-check-access", "/uma-rs-check-access"])
                // The same token on another service with a rule it has no permission for.
                let other = try env.send("GET", "/docs/1", host: "open.test", token: token)
                #expect(other.status == 403)
            }
        }

        /// Case 21 with `ticket_on_insufficient_scope: true`: the other rule and method each get a TICKET.
        @Test func grantIsNotReusedTicketVariant() async throws {
            try await offPool {
                let service = Fixture.service("ticket_on_insufficient_scope: true")
                let env = try E2EEnvironment(config: Fixture.config(services: service))
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                for (method, path) in [("POST", "/photos"), ("DELETE", "/admin/users/1")] {
                    let response = try env.send(method, path, token: token, body: method == "POST" ? [0x7B, 0x7D] : [])
                    #expect(response.status == 401)
                    #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                }
            }
        }

        /// Case 24a: 1 000 requests with one inactive token → every one gets 401 + ticket, and the token is
        /// introspected at most twice (the negative cache, `negative_ttl` 10 s).
        @Test func inactiveTokenFloodIsIntrospectedAtMostTwice() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = "BAD-\(UUID().uuidString)"
                let statuses = LoadDriver.run(port: env.pep.proxyPort, count: 1000, connections: 8) { _ in
                    LoadDriver.get("/photos/1", host: "api.test", token: token)
                }
                #expect(statuses.filter { $0 == 401 }.count == 1000, "\(Self.histogram(statuses))")
                let counts = try env.devAS.counts()
                #expect((counts["/introspect-rpt"] ?? 0) >= 1 && (counts["/introspect-rpt"] ?? 0) <= 2)
                #expect(counts["/uma-rs-check-access"] == 1000)
            }
        }

        /// Case 24b: 200 concurrent first-time requests with one fresh RPT (the first introspection and the first
        /// check-access are held 300 ms by the AS, so every request arrives while they are in flight) → exactly
        /// one `/introspect-rpt` and one `/uma-rs-check-access`, and all 200 are forwarded.
        @Test func concurrentFirstRequestsShareOneIntrospectionAndOneCheckAccess() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault("/introspect-rpt", .hang, delayMs: 300)
                try env.devAS.fault("/uma-rs-check-access", .hang, delayMs: 300)
                var clients: [RawClient] = []
                for _ in 0..<200 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                let request = LoadDriver.get("/photos/1", host: "api.test", token: token)
                let start = DispatchGroup()
                let results = DispatchGroup()
                let statuses = StatusList()
                start.enter()
                for client in clients {
                    results.enter()
                    Thread {
                        start.wait()
                        client.send(request)
                        statuses.append(client.readResponse(timeout: 10)?.status ?? 0)
                        results.leave()
                    }.start()
                }
                start.leave()
                results.wait()
                #expect(statuses.values.filter { $0 == 200 }.count == 200, "\(statuses.values.sorted())")
                let counts = try env.devAS.counts()
                #expect(counts["/introspect-rpt"] == 1)
                #expect(counts["/uma-rs-check-access"] == 1)
            }
        }

        /// Case 24c, in-flight cap: 1 100 concurrent requests with one new token while its introspection is held
        /// 2 s → at most 1 024 wait behind the single call (`maxWaitersPerKey`), the overflow is answered 503 at
        /// once instead of queueing, and still only one introspection is made.
        @Test func waitersBeyondTheCapGet503AtOnce() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault("/introspect-rpt", .hang, delayMs: 2000)
                var clients: [RawClient] = []
                for _ in 0..<1100 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                let request = LoadDriver.get("/photos/1", host: "api.test", token: token)
                let started = Date()
                for client in clients { client.send(request) }
                let answers = RawClient.readResponses(clients, timeout: 10)
                let statuses = answers.map { $0?.response.status ?? 0 }
                let fastRejections = answers.filter { answer in
                    answer?.response.status == 503 && answer.map { $0.at.timeIntervalSince(started) < 1.8 } == true
                }.count
                let histogram = Self.histogram(statuses)
                #expect((histogram[200] ?? 0) >= 1 && (histogram[200] ?? 0) <= 1025, "\(histogram)")
                #expect((histogram[503] ?? 0) >= 75, "\(histogram)")
                #expect((histogram[200] ?? 0) + (histogram[503] ?? 0) == 1100, "\(histogram)")
                #expect(fastRejections == histogram[503] ?? 0)
                #expect(try env.devAS.counts()["/introspect-rpt"] == 1)
            }
        }

        /// Case 24c: 20 000 requests, each with a distinct random 256-byte token, with `cache.max_entries: 1000`
        /// → every one answered (403: inactive token, no rule), the introspection cache evicts, and the resident
        /// memory of `serve` stays flat after warm-up (with the default 100 000 entries it grows by ~25 MB here).
        @Test func distinctTokenFloodKeepsMemoryBounded() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(extra: "cache: {max_entries: 1000}"))
                let padding = String(repeating: "x", count: 256 - 36)
                let port = env.pep.proxyPort
                func flood(_ range: Range<Int>) -> [Int] {
                    LoadDriver.run(port: port, count: range.count, connections: 8) { _ in
                        LoadDriver.get("/elsewhere", host: "api.test", token: padding + UUID().uuidString)
                    }
                }
                let warmUp = flood(0..<2000)
                #expect(warmUp.allSatisfy { $0 == 403 })
                let before = try #require(env.pep.process.residentKiB())
                let started = Date()
                let statuses = flood(2000..<20000)
                let elapsed = Date().timeIntervalSince(started)
                let after = try #require(env.pep.process.residentKiB())
                #expect(statuses.allSatisfy { $0 == 403 }, "\(Self.histogram(statuses))")
                #expect(after - before < 8 * 1024, "RSS \(before) KiB → \(after) KiB")
                let evictions = try env.pep.metrics().value("uma_pep_cache_evictions_total", ["cache": "introspection"])
                #expect(evictions >= 18000)
                print("distinct-token flood: 18000 requests in \(elapsed)s, RSS \(before) → \(after) KiB")
            }
        }

        /// Status → count, for failure messages.
        static func histogram(_ statuses: [Int]) -> [Int: Int] {
            Dictionary(grouping: statuses) { $0 }.mapValues(\.count)
        }
    }
}

/// A thread-safe list of statuses.
final class StatusList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []

    func append(_ status: Int) {
        self.lock.lock()
        self.storage.append(status)
        self.lock.unlock()
    }

    var values: [Int] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.storage
    }
}
