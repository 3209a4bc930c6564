import Foundation
import Testing

extension EndToEnd {
    /// `limits.max_pending_authorization_calls` (docs/security.md, "Authorization-server call amplification"): a
    /// flood of distinct tokens cannot become a flood of authorization-server calls.
    @Suite struct AuthorizationBudget {
        /// Budget 4, introspection held 2 s, 20 distinct random tokens at once → 4 calls reach oxd, the other 16
        /// get 503 + `Retry-After: 1` at once (counted, logged with their detail, warned about once), a grant
        /// cached before the flood still gets 200 during it, and once the hold ends the whole budget is free.
        @Test func callsBeyondTheBudgetGet503AtOnce() async throws {
            try await offPool {
                // A long AS timeout: the dev AS may run its held handlers a few at a time on a small machine.
                let env = try E2EEnvironment(
                    config: Fixture.config(timeout: "10s", extra: "limits: {max_pending_authorization_calls: 4}"))
                let cached = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: cached).status == 200)
                try env.devAS.resetCalls()
                try env.devAS.fault("/introspect-rpt", .hang, count: 4, delayMs: 2000)

                var clients: [RawClient] = []
                for _ in 0..<20 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                let started = Date()
                for client in clients {
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                }
                // While the four calls are held: the cached grant is not touched by the budget.
                let during = try env.send("GET", "/photos/1", token: cached)
                #expect(during.status == 200)
                #expect(Date().timeIntervalSince(started) < 1.5)

                let answers = RawClient.readResponses(clients, timeout: 10)
                let statuses = answers.map { $0?.response.status ?? 0 }
                let histogram = Dictionary(grouping: statuses) { $0 }.mapValues(\.count)
                #expect(histogram == [401: 4, 503: 16], "\(histogram)\n\(env.diagnostics())")
                let refusals = answers.compactMap { $0 }.filter { $0.response.status == 503 }
                for refusal in refusals {
                    #expect(refusal.at.timeIntervalSince(started) < 1.5, "503 at once, not queued")
                    #expect(refusal.response.header("Retry-After") == "1")
                    #expect(refusal.response.bodyText == #"{"message":"Authorization server busy, retry later"}"#)
                }
                #expect(try env.devAS.counts()["/introspect-rpt"] == 4)
                let metrics = try env.pep.metrics()
                #expect(
                    metrics.value(
                        "uma_pep_authorization_calls_refused_total", ["server": "dev", "operation": "introspection"])
                        == 16)
                #expect(
                    eventually(5) {
                        env.pep.process.stderr.components(separatedBy: "pep.authorization_budget_exceeded").count - 1
                            == 16
                    }, "\(env.pep.diagnostics())")
                let warnings = env.pep.process.stderr.components(separatedBy: "calls over budget").count - 1
                #expect(warnings >= 1 && warnings <= 2, "one warning a second, not one per request")

                // After the hold: the budget is whole again, four new tokens are introspected at once.
                try env.devAS.fault("/introspect-rpt", .hang, count: 4, delayMs: 300)
                let after = try (0..<4).map { _ in try RawClient(port: env.pep.proxyPort) }
                for client in after {
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                }
                let afterStatuses = RawClient.readResponses(after, timeout: 10).map { $0?.response.status ?? 0 }
                #expect(afterStatuses == [401, 401, 401, 401], "\(env.diagnostics())")
                #expect(try env.devAS.counts()["/introspect-rpt"] == 8)
            }
        }
    }
}
