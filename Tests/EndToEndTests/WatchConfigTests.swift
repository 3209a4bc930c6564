import Foundation
import Testing

extension EndToEnd {
    /// `serve --watch-config` (docs/operations.md "Deploying on Kubernetes"): a configuration mounted the way the
    /// kubelet mounts a ConfigMap — `config.yaml -> ..data/config.yaml`, `..data -> ..<version>` — is reloaded
    /// when `..data` is swapped to a new version, through the SIGHUP reload path; a version that does not load
    /// keeps the old configuration in force.
    @Suite struct WatchConfig {
        /// A ConfigMap-style directory in `scratch`: writes `text` as a new version and swaps `..data` to it
        /// atomically (a new symlink renamed over the old one, as the kubelet's AtomicWriter does), then removes
        /// the previous version's directory.
        final class ConfigMapDirectory {
            let root: URL
            private var version = 0

            init(root: URL, text: String) throws {
                self.root = root
                try self.publish(text)
                try FileManager.default.createSymbolicLink(
                    atPath: self.root.appendingPathComponent("config.yaml").path,
                    withDestinationPath: "..data/config.yaml")
            }

            var configPath: String { self.root.appendingPathComponent("config.yaml").path }

            func publish(_ text: String) throws {
                let manager = FileManager.default
                self.version += 1
                let name = "..v\(self.version)"
                let directory = self.root.appendingPathComponent(name)
                try manager.createDirectory(at: directory, withIntermediateDirectories: true)
                try text.write(to: directory.appendingPathComponent("config.yaml"), atomically: false, encoding: .utf8)
                let temporary = self.root.appendingPathComponent("..data_tmp").path
                try manager.createSymbolicLink(atPath: temporary, withDestinationPath: name)
                guard rename(temporary, self.root.appendingPathComponent("..data").path) == 0 else {
                    throw E2EError.unexpected("rename ..data_tmp: errno \(errno)")
                }
                if self.version > 1 {
                    try manager.removeItem(at: self.root.appendingPathComponent("..v\(self.version - 1)"))
                }
            }
        }

        /// Times `serve` logged `marker`.
        static func count(_ pep: PEPProcess, _ marker: String) -> Int {
            pep.process.stderr.components(separatedBy: marker).count - 1
        }

        @Test func configMapSwapReloadsAndABadVersionKeepsTheOld() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let devAS = try DevASProcess(directory: scratch)
                let upstream = try UpstreamProcess(directory: scratch)
                let mount = scratch.url.appendingPathComponent("mount")
                try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
                let original = Fixture.config()
                let configMap = try ConfigMapDirectory(root: mount, text: original)
                let pep = try PEPProcess(
                    configPath: configMap.configPath,
                    environment: ["OXD_URL": devAS.url, "UPSTREAM_URL": upstream.url], directory: scratch,
                    extraArguments: ["--watch-config"])
                defer {
                    pep.process.stop()
                    upstream.process.stop()
                    devAS.process.stop()
                }
                try pep.waitUntilReady()
                #expect(pep.process.stdout.contains("watching \(configMap.configPath)"))
                func get(_ target: String) throws -> Int {
                    try HTTP.request(port: pep.proxyPort, "GET", target, host: "api.test").status
                }
                #expect(try get("/added") == 403)

                // A new version with a public /added: reloaded without a signal, served at once.
                var extended = original
                let anchor = try #require(extended.range(of: "uma_scope_expression:\n"))
                extended.insert(
                    contentsOf: "      - {path: /added, conditions: [{httpMethods: [GET], public: true}]}\n",
                    at: anchor.upperBound)
                try configMap.publish(extended)
                #expect(eventually(10) { Self.count(pep, "watch-config: configuration reloaded") == 1 })
                #expect(try eventually(10) { try get("/added") == 200 })

                // A version that does not load: logged, counted, and the running configuration stays.
                try configMap.publish("services: [")
                #expect(eventually(10) { Self.count(pep, "watch-config: configuration NOT reloaded") == 1 })
                #expect(try get("/added") == 200)
                #expect(try get("/photos/1") == 401)

                // The same bytes again (the kubelet rewriting an unchanged ConfigMap) are not a change.
                try configMap.publish("services: [")
                Thread.sleep(forTimeInterval: 0.6)
                #expect(Self.count(pep, "configuration NOT reloaded") == 1)
                #expect(Self.count(pep, "configuration reloaded") == 1)

                let metrics = try pep.metrics()
                #expect(metrics.value("uma_pep_config_reloads_total", ["result": "success"]) == 1)
                #expect(metrics.value("uma_pep_config_reloads_total", ["result": "failure"]) == 1)
            }
        }

        /// SIGHUP and --watch-config share one path: a SIGHUP is counted in the same series.
        @Test func sighupIsCountedInTheReloadMetric() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                #expect(try env.pep.metrics().value("uma_pep_config_reloads_total", ["result": "success"]) == 0)
                kill(env.pep.process.pid, SIGHUP)
                #expect(eventually(10) { env.pep.process.stderr.contains("SIGHUP: configuration reloaded") })
                #expect(try env.pep.metrics().value("uma_pep_config_reloads_total", ["result": "success"]) == 1)
                #expect(try env.pep.metrics().value("uma_pep_config_reloads_total", ["result": "failure"]) == 0)
            }
        }
    }
}
