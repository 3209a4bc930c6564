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
                var extended = Fixture.config()
                let anchor = try #require(extended.range(of: "uma_scope_expression:\n"))
                extended.insert(
                    contentsOf: "      - {path: /added, conditions: [{httpMethods: [GET], public: true}]}\n",
                    at: anchor.upperBound)
                try extended.write(toFile: env.configPath, atomically: true, encoding: .utf8)
                #expect(Self.reload(env, until: "configuration reloaded"))
                #expect(try eventually(10) { try env.devAS.counts()["/uma-rs-protect"] == 1 })
                #expect(try env.send("GET", "/added").status == 200)
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
