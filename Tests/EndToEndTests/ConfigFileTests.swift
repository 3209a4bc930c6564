import Foundation
import Testing
import UMAPEPRuntime

extension EndToEnd {
    /// The shipped configuration files: the demo embeds `Config/tutorial.yaml` verbatim, `uma-pep check-config`
    /// accepts both examples and refuses a broken copy with one error line naming the field (SPEC A12).
    @Suite struct ConfigFiles {
        /// `TutorialConfiguration.yaml` is exactly `Config/tutorial.yaml` (regenerate with
        /// `scripts/embed-tutorial-config`).
        @Test func tutorialConfigurationIsEmbeddedVerbatim() async throws {
            try await offPool {
                let file = try String(contentsOfFile: Repository.path("Config/tutorial.yaml"), encoding: .utf8)
                // A Swift multi-line literal drops the newline before its closing delimiter.
                #expect(TutorialConfiguration.yaml + "\n" == file)
            }
        }

        /// `check-config Config/tutorial.yaml` (or with `--config`, as `serve` takes it) succeeds with an empty
        /// environment and prints the summary; no file, or two, is a usage error.
        @Test func checkConfigAcceptsTutorial() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let path = Repository.path("Config/tutorial.yaml")
                for arguments in [["check-config", path], ["check-config", "--config", path]] {
                    let result = try ManagedProcess.run(arguments, directory: scratch)
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(result.stdout.contains("is valid"))
                    #expect(result.stdout.contains("non-claim-gathering"))
                    #expect(!result.stdout.contains("demo-secret"))
                }
                for arguments in [["check-config"], ["check-config", path, "--config", path]] {
                    let result = try ManagedProcess.run(arguments, directory: scratch)
                    #expect(result.status != 0)
                    #expect(result.stderr.contains("configuration file"), "\(result.stderr)")
                }
            }
        }

        /// `check-config Config/minimal.yaml` succeeds with `OXD_ID`, `CLIENT_ID`, `CLIENT_SECRET` set, and
        /// names the first missing variable and its field when they are not.
        @Test func checkConfigMinimalNeedsItsEnvironment() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let path = Repository.path("Config/minimal.yaml")
                let ok = try ManagedProcess.run(
                    ["check-config", path],
                    environment: ["OXD_ID": "id-1", "CLIENT_ID": "client-1", "CLIENT_SECRET": "s3cr3t-value"],
                    directory: scratch)
                #expect(ok.status == 0, "\(ok.stderr)")
                #expect(ok.stdout.contains("is valid"))
                #expect(!ok.stdout.contains("s3cr3t-value"))
                let missing = try ManagedProcess.run(["check-config", path], directory: scratch)
                #expect(missing.status != nil && missing.status != 0)
                #expect(missing.stderr.contains("authorization_servers.gluu.oxd_id"))
                #expect(missing.stderr.contains("OXD_ID"))
            }
        }

        /// A Gluu Gateway export with a Kong service that has no UMA plugins, next to a protected one whose
        /// document has a condition without scopes: `check-config` accepts it and says how each is handled.
        @Test func checkConfigAcceptsPlainServiceAndScopeLessCondition() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let path = try scratch.write(
                    "gg.yaml",
                    """
                    authorization_servers:
                      gg: {oxd_url: http://127.0.0.1:8443, op_url: http://127.0.0.1:8443, oxd_id: i, client_id: c,
                           client_secret: s}
                    services:
                      - name: website
                        url: http://127.0.0.1:9000
                        hosts: [www.example.com]
                      - name: api
                        url: http://127.0.0.1:9000
                        hosts: [api.example.com]
                        uma_scope_expression: '[{"path":"/status/??","conditions":[{"httpMethods":["GET"]}]}]'
                    """)
                let result = try ManagedProcess.run(["check-config", path], directory: scratch)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(
                    result.stdout.contains(
                        "  website\n    hosts: www.example.com -> http://127.0.0.1:9000\n    authorization server: none "
                            + "(plain proxied service: every request is forwarded without a token check)"),
                    "\(result.stdout)")
                #expect(
                    result.stdout.contains(
                        "GET (and HEAD, as GET): no scopes: oxd's /uma-rs-check-access decides for the resource"))
                #expect(result.stdout.contains("authorization server: gg"))
            }
        }

        /// One broken copy of the tutorial config: the text replaced and the field path the error must name.
        struct Breakage: CustomTestStringConvertible {
            var replace: String
            var with: String
            var field: String
            var testDescription: String { self.field }
        }

        static let breakages = [
            Breakage(
                replace: "httpMethods: [GET, POST]", with: "httpMethods: [GET, post]",
                field: "services[0].uma_scope_expression[0].conditions[0].httpMethods[1]"),
            Breakage(
                replace: "- httpMethods: [GET]\n            scopes: [read]\n      - path: /todos",
                with: "- httpMethod: [GET]\n            scopes: [read]\n      - path: /todos",
                field: "services[1].uma_scope_expression[0].conditions[0].httpMethod"),
            Breakage(
                replace: "- path: /todos", with: "- path: /posts/??",
                field: "services[1].uma_scope_expression[1].path"),
            Breakage(
                replace: "authorization_server: dev-claims", with: "authorization_server: nowhere",
                field: "services[0].authorization_server"),
            Breakage(replace: "    mode: oxd\n", with: "    mode: oxdd\n", field: "authorization_servers.dev.mode"),
            Breakage(
                replace: "deny_by_default: true", with: "deny_by_default: \"yes\"",
                field: "services[0].deny_by_default"),
            Breakage(replace: "workers: auto", with: "workers: 0", field: "workers"),
            Breakage(
                replace: "client_secret: ${CLIENT_SECRET:-demo-secret}", with: "client_secret: ${CLIENT_SECRET}",
                field: "authorization_servers.dev.client_secret"),
            Breakage(
                replace: "value_lua_exp: introspect_data.client_id",
                with: "value_lua_exp: \"introspect_data.client_id .. 'x'\"",
                field: "services[1].custom_headers[0].value_lua_exp"),
            Breakage(
                replace: "hosts: [non-claim-gathering.example.com]", with: "hosts: [claim-gathering.example.com]",
                field: "services[1].hosts[0]"),
            Breakage(
                replace: "scopes: [read]\n      - path: /public", with: "scopes: [\"\"]\n      - path: /public",
                field: "services[1].uma_scope_expression[1].conditions[0].scopes[0]"),
        ]

        /// Each broken copy: exit status non-zero, exactly one `Error: <file>: <field path>: …` line on stderr.
        @Test(arguments: Self.breakages)
        func checkConfigRejectsBrokenCopy(_ breakage: Breakage) async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let original = try String(contentsOfFile: Repository.path("Config/tutorial.yaml"), encoding: .utf8)
                #expect(original.contains(breakage.replace), "the fixture text moved")
                let broken = original.replacingOccurrences(of: breakage.replace, with: breakage.with)
                let path = try scratch.write("broken.yaml", broken)
                let result = try ManagedProcess.run(["check-config", path], directory: scratch)
                #expect(result.status != nil && result.status != 0)
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1, "\(result.stderr)")
                #expect(lines.first?.hasPrefix("Error: \(path): \(breakage.field): ") == true, "\(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
        }
    }
}
