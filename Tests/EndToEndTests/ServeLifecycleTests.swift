import Foundation
import Testing

extension EndToEnd {
    /// `uma-pep serve` as an operator sees it: health and readiness on the admin listener only, fail-closed
    /// until resources are registered, a clean exit on SIGTERM, a refused config at start.
    @Suite struct ServeLifecycle {
        /// `/healthz` and `/readyz` answer on the admin port; on the proxy port they are ordinary paths
        /// (SECURITY.md case 31); SIGTERM drains and exits 0.
        @Test func adminEndpointsAndGracefulStop() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                #expect(try HTTP.request(port: env.pep.adminPort, "GET", "/healthz", host: "127.0.0.1").status == 200)
                let ready = try HTTP.request(port: env.pep.adminPort, "GET", "/readyz", host: "127.0.0.1")
                #expect(ready.status == 200)
                #expect(ready.json?["status"] as? String == "ready")
                for path in ["/metrics", "/readyz", "/gluu-metrics"] {
                    let viaProxy = try env.send("GET", path, host: "localhost")
                    #expect(viaProxy.status != 200 || EchoedRequest(viaProxy) != nil, "\(path) served by the proxy")
                    #expect(!viaProxy.bodyText.contains("gluu_"))
                }
                env.pep.process.stop(grace: 12)
                #expect(env.pep.process.terminationStatus == 0)
                #expect(env.pep.process.stdout.contains("uma-pep: stopped"))
            }
        }

        /// An authorization server that cannot be reached at start: `/readyz` is 503 (registering), and every
        /// protected request fails closed with 502 — in both modes — while public rules still work.
        @Test(arguments: ["oxd", "uma2"])
        func unreachableASAtStartFailsClosed(mode: String) async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let upstream = try UpstreamProcess(directory: scratch)
                let config = try scratch.write(
                    "config.yaml", Fixture.config(mode: mode, timeout: "500ms", connectTimeout: "200ms"))
                // Port 9 (discard) on loopback: nothing listens there, connections are refused.
                let pep = try PEPProcess(
                    configPath: config, environment: ["OXD_URL": "http://127.0.0.1:9", "UPSTREAM_URL": upstream.url],
                    directory: scratch)
                let ready = try HTTP.request(port: pep.adminPort, "GET", "/readyz", host: "127.0.0.1")
                #expect(ready.status == 503)
                let protected = try HTTP.request(port: pep.proxyPort, "GET", "/photos/1", host: "api.test")
                #expect(protected.status == 502)
                #expect(protected.bodyText == Body.unexpected)
                let open = try HTTP.request(port: pep.proxyPort, "GET", "/public/x", host: "api.test")
                #expect(EchoedRequest(open)?.path == "/_echo/public/x")
                pep.process.stop()
                upstream.process.stop()
            }
        }

        /// A config error stops `serve` at start: non-zero exit, one error line naming the field.
        @Test func brokenConfigRefusedAtStart() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let broken = Fixture.config().replacingOccurrences(
                    of: "deny_by_default: true", with: "deny_by_default: maybe")
                let config = try scratch.write("config.yaml", broken)
                let result = try ManagedProcess.run(
                    ["serve", "--config", config],
                    environment: ["OXD_URL": "http://127.0.0.1:9", "UPSTREAM_URL": "http://127.0.0.1:9"],
                    directory: scratch, timeout: 10)
                #expect(result.status != nil && result.status != 0)
                #expect(result.stderr.contains("services[0].deny_by_default"), "\(result.stderr)")
                #expect(!result.stdout.contains("listening on"))
            }
        }
    }
}
