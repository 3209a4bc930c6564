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
            let admin: Int
            /// The development CA (with `tls`).
            let caFile: String

            /// - Parameter tls: `demo --tls`, its CA written into the scratch directory.
            init(tls: Bool = false) throws {
                self.scratch = try ScratchDirectory()
                self.caFile = self.scratch.url.appendingPathComponent("tls/ca.pem").path
                let tlsArguments =
                    tls ? ["--tls", "--tls-dir", self.scratch.url.appendingPathComponent("tls").path] : []
                self.process = try ManagedProcess(
                    name: "demo",
                    arguments: [
                        "demo", "--proxy-port", "0", "--admin-port", "0", "--as-port", "0", "--upstream-port", "0",
                        "--no-access-log", "--log-level", "warning",
                    ] + tlsArguments, directory: self.scratch.url)
                let listeners = try self.process.waitForListeners(count: 4)
                let port = { (label: String) in listeners.first { $0.label.hasSuffix(label) }?.port ?? 0 }
                self.proxy = port("proxy")
                self.authorizationServer = port("authorization server")
                self.admin = port("admin")
                if !tls {
                    #expect(try HTTP.request(port: self.admin, "GET", "/readyz", host: "127.0.0.1").status == 200)
                }
            }

            deinit { self.process.stop() }
        }

        /// One `uma-pep rp` invocation and what it must print.
        struct Case: CustomTestStringConvertible {
            var name: String
            var claims: Bool
            var uma2: Bool
            var city = "NY"
            /// The whole `--claims` value (default: `country=US,city=<city>`).
            var claimsArgument: String?
            var clientSecret: String?
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
                        "demo-claims-oxd-id", "--claims", self.claimsArgument ?? "country=US,city=\(self.city)",
                    ]
                }
                if let secret = self.clientSecret { args += ["--client-secret", secret] }
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

        /// Claim names in any case, with spaces around names and values, still fill the claims form.
        @Test(arguments: [false, true])
        func claimsMatchTheFormLoosely(uma2: Bool) async throws {
            try await offPool {
                let demo = try Demo()
                let flow = Case(
                    name: "loose claims", claims: true, uma2: uma2, claimsArgument: " Country = US , CITY=NY ")
                let result = try ManagedProcess.run(flow.arguments(demo), directory: demo.scratch, name: "rp")
                #expect(result.status == 0, "stderr: \(result.stderr)")
                #expect(result.stdout.contains("with city=NY, country=US → 302"), "stdout: \(result.stdout)")
            }
        }

        /// A claim left out: the authorization server still asks for it after the form, and the error names it.
        @Test(arguments: [false, true])
        func missingClaimIsNamed(uma2: Bool) async throws {
            try await offPool {
                let demo = try Demo()
                let flow = Case(name: "no city", claims: true, uma2: uma2, claimsArgument: "country=US")
                let result = try ManagedProcess.run(flow.arguments(demo), directory: demo.scratch, name: "rp")
                #expect(result.status != nil && result.status != 0)
                #expect(result.stderr.contains("still needs claims: city"), "stderr: \(result.stderr)")
                #expect(result.stderr.contains("--claims city="), "stderr: \(result.stderr)")
            }
        }

        /// A wrong client secret: the authorization server's `invalid_client` and a hint at the options, through
        /// oxd and directly.
        @Test(arguments: [false, true])
        func wrongSecretShowsInvalidClient(uma2: Bool) async throws {
            try await offPool {
                let demo = try Demo()
                let flow = Case(name: "wrong secret", claims: false, uma2: uma2, clientSecret: "not-the-secret")
                let result = try ManagedProcess.run(flow.arguments(demo), directory: demo.scratch, name: "rp")
                #expect(result.status != nil && result.status != 0)
                #expect(result.stderr.contains("refused client 'demo-client'"), "stderr: \(result.stderr)")
                #expect(result.stderr.contains("invalid_client"), "stderr: \(result.stderr)")
                #expect(result.stderr.contains("hint: check --client-id and --client-secret"))
            }
        }

        /// Nothing listening at the proxy, oxd or the authorization server: "cannot connect to" names the URL and
        /// the hint the option.
        @Test func unreachablePartiesAreNamed() async throws {
            try await offPool {
                let demo = try Demo()
                let closed = "http://127.0.0.1:1"
                let proxy = "http://127.0.0.1:\(demo.proxy)/posts/1"
                let host = ["--host", "non-claim-gathering.example.com"]
                let runs: [(arguments: [String], url: String, option: String)] = [
                    (["rp", "--url", "\(closed)/posts/1", "--oxd-url", closed], "\(closed)/posts/1", "--url"),
                    (["rp", "--url", proxy, "--oxd-url", closed] + host, "\(closed)/get-client-token", "--oxd-url"),
                    (["rp", "--url", proxy, "--as-uri", closed] + host, closed, "--as-uri"),
                ]
                for run in runs {
                    let result = try ManagedProcess.run(run.arguments, directory: demo.scratch, name: "rp")
                    #expect(result.status != nil && result.status != 0)
                    #expect(result.stderr.contains("cannot connect to \(run.url)"), "stderr: \(result.stderr)")
                    #expect(result.stderr.contains("Check \(run.option)"), "stderr: \(result.stderr)")
                    #expect(!result.stderr.contains("Error: control_plane"), "stderr: \(result.stderr)")
                }
            }
        }

        /// `demo --tls` without `--ca-file`: the certificate is not trusted and the hint says to pass `--ca-file`;
        /// with it, the flow passes.
        @Test func untrustedCertificateHintsAtCAFile() async throws {
            try await offPool {
                let demo = try Demo(tls: true)
                let arguments = [
                    "rp", "--url", "https://127.0.0.1:\(demo.proxy)/posts/1", "--host",
                    "non-claim-gathering.example.com", "--oxd-url", "https://127.0.0.1:\(demo.authorizationServer)",
                ]
                let refused = try ManagedProcess.run(arguments, directory: demo.scratch, name: "rp")
                #expect(refused.status != nil && refused.status != 0)
                #expect(refused.stderr.contains("not trusted"), "stderr: \(refused.stderr)")
                #expect(refused.stderr.contains("hint: pass --ca-file"), "stderr: \(refused.stderr)")
                let trusted = try ManagedProcess.run(
                    arguments + ["--ca-file", demo.caFile], directory: demo.scratch, name: "rp")
                #expect(trusted.status == 0, "stderr: \(trusted.stderr)")
            }
        }

        /// A port in use: `demo`, `dev-as` and `upstream` name the option that picks another.
        @Test func portInUseNamesTheOption() async throws {
            try await offPool {
                let demo = try Demo()
                let taken = "127.0.0.1:\(demo.proxy)"
                let free = ["--admin-port", "0", "--as-port", "0", "--upstream-port", "0"]
                let runs: [(arguments: [String], option: String)] = [
                    (["demo", "--proxy-port", "\(demo.proxy)"] + free, "--proxy-port"),
                    (
                        [
                            "demo", "--proxy-port", "0", "--admin-port", "\(demo.admin)", "--as-port", "0",
                            "--upstream-port", "0",
                        ], "--admin-port"
                    ),
                    (["dev-as", "--listen", taken], "--listen"),
                    (["upstream", "--listen", taken], "--listen"),
                ]
                for run in runs {
                    let result = try ManagedProcess.run(run.arguments, directory: demo.scratch, name: run.arguments[0])
                    #expect(result.status != nil && result.status != 0)
                    #expect(result.stderr.contains("cannot listen on"), "stderr: \(result.stderr)")
                    #expect(
                        result.stderr.contains("choose another port with \(run.option)"), "stderr: \(result.stderr)")
                }
            }
        }

        /// The tutorial's public rule `/public/??` is served by the demo upstream without a token.
        @Test func publicPathNeedsNoToken() async throws {
            try await offPool {
                let demo = try Demo()
                let response = try HTTP.request(
                    port: demo.proxy, "GET", "/public/hello", host: "non-claim-gathering.example.com")
                #expect(response.status == 200)
                #expect(response.bodyText.contains("\"public\":true"), "body: \(response.bodyText)")
            }
        }

        /// `uma-pep demo --self-test` runs the tutorial flows (oxd and UMA 2.0, and the gateway gathering claims for a browser) and exits 0.
        @Test func demoSelfTestPasses() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let result = try ManagedProcess.run(["demo", "--self-test"], directory: scratch, name: "self-test")
                #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
                #expect(result.stdout.contains("6 passed, 0 failed"))
            }
        }
    }
}
