import Foundation
import Testing

extension EndToEnd {
    /// Issue 5: `uma-pep rp` run as a process against `uma-pep demo` on free ports prints each step and exits 0
    /// (SPEC Part B §4.10); `uma-pep demo --self-test` passes both flows.
    @Suite struct RequestingPartyCommand {
        /// `uma-pep demo` on free ports; its four `listening on` lines give the addresses (printed once ready).
        final class Demo: @unchecked Sendable {
            let scratch: ScratchDirectory
            let process: ManagedProcess
            let proxy: Int
            let authorizationServer: Int

            init() throws {
                self.scratch = try ScratchDirectory()
                self.process = try ManagedProcess(
                    name: "demo",
                    arguments: [
                        "demo", "--proxy-port", "0", "--admin-port", "0", "--as-port", "0", "--upstream-port", "0",
                        "--no-access-log", "--log-level", "warning",
                    ], directory: self.scratch.url)
                let listeners = try self.process.waitForListeners(count: 4)
                let port = { (label: String) in listeners.first { $0.label.hasSuffix(label) }?.port ?? 0 }
                self.proxy = port("proxy")
                self.authorizationServer = port("authorization server")
                let admin = port("admin")
                #expect(try HTTP.request(port: admin, "GET", "/readyz", host: "127.0.0.1").status == 200)
            }

            deinit { self.process.stop() }
        }

        /// One `uma-pep rp` invocation and what it must print.
        struct Case: CustomTestStringConvertible {
            var name: String
            var claims: Bool
            var uma2: Bool
            var city = "NY"
            var testDescription: String { self.name }

            func arguments(_ demo: Demo) -> [String] {
                let asURL = "http://127.0.0.1:\(demo.authorizationServer)"
                var args = [
                    "rp", "--url", "http://127.0.0.1:\(demo.proxy)/posts/1", "--host",
                    self.claims ? "claim-gathering.example.com" : "non-claim-gathering.example.com",
                ]
                args += self.uma2 ? ["--as-uri", asURL] : ["--oxd-url", asURL]
                if self.claims {
                    args += [
                        "--client-id", "demo-claims-client", "--client-secret", "demo-claims-secret", "--oxd-id",
                        "demo-claims-oxd-id", "--claims", "country=US,city=\(self.city)",
                    ]
                }
                return args
            }
        }

        static let cases = [
            Case(name: "oxd, no claims gathering", claims: false, uma2: false),
            Case(name: "UMA 2.0 token endpoint, no claims gathering", claims: false, uma2: true),
            Case(name: "oxd, claims US/NY", claims: true, uma2: false),
            Case(name: "UMA 2.0 token endpoint, claims US/NY", claims: true, uma2: true),
        ]

        /// Each flow exits 0 and prints its numbered steps with their statuses, ending with the 200 body.
        @Test(arguments: Self.cases)
        func rpAgainstDemo(_ flow: Case) async throws {
            try await offPool {
                let demo = try Demo()
                let result = try ManagedProcess.run(flow.arguments(demo), directory: demo.scratch, name: "rp")
                #expect(result.status == 0, "stderr: \(result.stderr)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                let steps = flow.claims ? 6 : 3
                for step in 1...steps {
                    #expect(lines.contains { $0.hasPrefix("\(step). ") }, "step \(step) missing:\n\(result.stdout)")
                }
                #expect(lines.contains { $0.hasPrefix("1. GET ") && $0.hasSuffix("without a token → 401") })
                #expect(lines.contains { $0.contains("WWW-Authenticate: UMA realm=\"rs\",as_uri=") })
                #expect(lines.contains { $0.hasPrefix("\(steps). GET ") && $0.hasSuffix("with the RPT → 200") })
                if flow.claims { #expect(lines.contains { $0.contains("need_info") }) }
                #expect(lines.last?.hasPrefix("200 {") == true)
            }
        }

        /// A wrong city: no RPT, exit status non-zero, the failing step named on stderr.
        @Test(arguments: [false, true])
        func rpWithWrongCityFails(uma2: Bool) async throws {
            try await offPool {
                let demo = try Demo()
                let flow = Case(name: "wrong city", claims: true, uma2: uma2, city: "LA")
                let result = try ManagedProcess.run(flow.arguments(demo), directory: demo.scratch, name: "rp")
                #expect(result.status != nil && result.status != 0)
                #expect(result.stderr.contains("step 5"), "stderr: \(result.stderr)")
                #expect(!result.stdout.contains("with the RPT → 200"))
            }
        }

        /// `uma-pep demo --self-test` runs both tutorial flows (oxd and UMA 2.0) and exits 0.
        @Test func demoSelfTestPasses() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let result = try ManagedProcess.run(["demo", "--self-test"], directory: scratch, name: "self-test")
                #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
                #expect(result.stdout.contains("4 passed, 0 failed"))
            }
        }
    }
}
