import Foundation
import Testing

extension EndToEnd {
    /// The per-worker grant cache in front of the process-wide caches (docs/architecture.md): repeated granted
    /// requests make no authorization-server call, count as cache hits, and stop being served once the entries
    /// they repeat expire; a custom header computed for one token is never served to another.
    @Suite struct WorkerGrantCache {
        @Test(arguments: ["oxd", "uma2"])
        func repeatsGrantsOnlyUntilTheCacheEntriesExpire(mode: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(mode: mode, extra: "cache: {max_ttl: 3s}"))
                let token = try env.devAS.mintToken([Fixture.view])
                let client = try RawClient(port: env.pep.proxyPort)
                func get(_ path: String) throws -> Int {
                    client.send("GET \(path) HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer \(token)\r\n\r\n")
                    return try #require(client.readResponse()).status
                }
                #expect(try get("/photos/1") == 200)
                let first = try env.devAS.counts()
                for index in 0..<20 { #expect(try get("/photos/\(index)") == 200) }
                #expect(try env.devAS.counts() == first, "no call while the grant is cached")
                let hits = try env.pep.metrics().value("uma_pep_cache_hits_total", ["cache": "introspection"])
                #expect(hits >= 20)
                Thread.sleep(forTimeInterval: 3.5)
                #expect(try get("/photos/1") == 200)
                let after = try env.devAS.counts()
                let introspections = mode == "oxd" ? "/introspect-rpt" : "/introspect"
                #expect((after[introspections] ?? 0) > (first[introspections] ?? 0), "\(first) → \(after)")
            }
        }
    }
}
