import Foundation
import Testing

extension EndToEnd {
    /// SIGHUP reloads the configuration file without a restart (docs/operations.md).
    @Suite struct ConfigReload {
        /// Sends SIGHUP and waits for `serve` to log `marker` a `count`-th time.
        static func reload(_ env: E2EEnvironment, until marker: String, count: Int = 1) -> Bool {
            kill(env.pep.process.pid, SIGHUP)
            return eventually(10) {
                env.pep.process.stderr.components(separatedBy: marker).count - 1 >= count
            }
        }

        /// `config` with a public `GET /added` rule first in the `api` service's document.
        static func withPublicAddedRule(_ config: String) throws -> String {
            var config = config
            let anchor = try #require(config.range(of: "uma_scope_expression:\n"))
            config.insert(
                contentsOf: "      - {path: /added, conditions: [{httpMethods: [GET], public: true}]}\n",
                at: anchor.upperBound)
            return config
        }

        /// An unchanged configuration (a SIGHUP for a certificate renewal): the resources are not registered
        /// again, so an RPT granted before the reload is still granted after it.
        @Test func unchangedDocumentsKeepTheirResources() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(Self.reload(env, until: "configuration reloaded"))
                #expect(env.pep.process.stderr.contains("resources unchanged by the reload"))
                #expect(try env.devAS.counts()["/uma-rs-protect"] == nil)
                // A new generation has fresh caches: the grant is checked again, and still holds.
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
            }
        }

        /// A changed protection document is registered again (one `/uma-rs-protect`) and its new rule applies.
        @Test func changedDocumentIsRegisteredAgain() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                #expect(try env.send("GET", "/added").status == 403)
                let extended = try Self.withPublicAddedRule(Fixture.config())
                try extended.write(toFile: env.configPath, atomically: true, encoding: .utf8)
                #expect(Self.reload(env, until: "configuration reloaded"))
                #expect(try eventually(10) { try env.devAS.counts()["/uma-rs-protect"] == 1 })
                #expect(try env.send("GET", "/added").status == 200)
            }
        }

        /// Rules and policies changed by a reload apply to the next request on a kept-alive connection (so on the
        /// same worker): the worker's rule-match cache and the services' kept token-less forwards belong to the old
        /// generation. Each request is sent twice before the reload (the second answer from the match cache and
        /// the kept forward): `/added` on `api` matches no rule and is refused, then is a public rule (200; a kept
        /// match would refuse it again); `/elsewhere` on `open` is forwarded anonymously, then refused as `open`
        /// turns `deny_by_default` on (403; a kept forward would still forward it); `/public/x` is public, then
        /// protected (401 without a token).
        @Test func changedRulesApplyOnAKeptAliveConnection() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let client = try RawClient(port: env.pep.proxyPort)
                func get(_ path: String, host: String = "api.test") throws -> Int {
                    client.send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                    return try #require(client.readResponse(), "\(env.diagnostics())").status
                }
                for _ in 0..<2 {
                    #expect(try get("/added") == 403)
                    #expect(try get("/elsewhere", host: "open.test") == 200)
                    #expect(try get("/public/x") == 200)
                }
                let protected = Fixture.config()
                    .replacingOccurrences(of: "deny_by_default: false", with: "deny_by_default: true")
                    .replacingOccurrences(
                        of: #"{httpMethods: ["?"], public: true}"#, with: "{httpMethods: [GET], scopes: [view]}")
                #expect(!protected.contains("deny_by_default: false") && !protected.contains("public: true"))
                let changed = try Self.withPublicAddedRule(protected)
                try changed.write(toFile: env.configPath, atomically: true, encoding: .utf8)
                #expect(Self.reload(env, until: "configuration reloaded"))
                // Every worker takes the new engine soon after the log line; a kept answer would never change.
                #expect(try eventually(5) { try get("/public/x") == 401 }, "\(env.diagnostics())")
                for _ in 0..<2 {
                    #expect(try get("/added") == 200)
                    #expect(try get("/elsewhere", host: "open.test") == 403)
                    #expect(try get("/public/x") == 401)
                }
            }
        }

        /// A `limits` change needs a restart: the reload's warning says so and names the fields that changed
        /// (`ProxyLimits.changedFields`).
        @Test func changedLimitsNeedARestartAndAreNamed() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                try Fixture.config(extra: "limits: {idle_timeout: 5s, uncached_requests_per_turn: 2}")
                    .write(toFile: env.configPath, atomically: true, encoding: .utf8)
                #expect(Self.reload(env, until: "needs a restart"), "\(env.diagnostics())")
                #expect(
                    env.pep.process.stderr.contains(
                        "SIGHUP: limits changed (idle_timeout, uncached_requests_per_turn): needs a restart (kept the old)"
                    ),
                    "\(env.diagnostics())")
            }
        }

        /// A file that does not load keeps the running configuration: requests are served as before.
        @Test func brokenFileKeepsTheOldConfiguration() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                try "services: [".write(toFile: env.configPath, atomically: true, encoding: .utf8)
                #expect(Self.reload(env, until: "configuration NOT reloaded"))
                #expect(try env.send("GET", "/public/x").status == 200)
                #expect(try env.send("GET", "/photos/1").status == 401)
            }
        }
    }
}
