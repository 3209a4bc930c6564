import Foundation
import Testing

extension EndToEnd {
    /// Issue 14, item 1, through the real binary: on a `deny_by_default: false` service with the rules
    /// `/reports` GET and `/admin/??` GET, POST, PUT, DELETE, the attack's `GET /reports/`, `GET /ADMIN/users`
    /// and `HEAD /admin/users` got 200 from the upstream with no token. Now they get 401 + a permission ticket
    /// and never reach the upstream; `near_miss: off` forwards the first two unchecked again (HEAD stays
    /// authorized as GET whatever the setting).
    @Suite struct NearMiss {
        /// The attacked service (host `reports.test`), forwarding to the upstream's `/_echo`.
        static func service(_ options: String = "") -> String {
            var text = """
                  - name: reports
                    url: ${UPSTREAM_URL}/_echo
                    hosts: [reports.test]
                    deny_by_default: false

                """
            for line in options.split(separator: "\n") { text += "    \(line)\n" }
            text += """
                    uma_scope_expression:
                      - path: /reports
                        conditions:
                          - {httpMethods: [GET], scopes: [read]}
                      - path: /admin/??
                        conditions:
                          - {httpMethods: [GET, POST, PUT, DELETE], scopes: [admin]}
                      - path: /public/??
                        conditions:
                          - {httpMethods: ["?"], public: true}
                """
            return text
        }

        static let attack: [(method: String, path: String)] = [
            ("GET", "/reports/"), ("GET", "/ADMIN/users"), ("HEAD", "/admin/users"),
        ]
        static let read = DevASProcess.Permission(path: "/reports", method: "GET", scopes: ["read"])
        static let admin = DevASProcess.Permission(path: "/admin/??", method: "GET", scopes: ["admin"])

        /// The access-log line of the last `method path` exchange that got `status`, once it is written.
        static func accessLine(_ env: E2EEnvironment, _ method: String, _ path: String, status: Int) -> String? {
            var line: String?
            _ = eventually(5) {
                line = env.pep.diagnostics(lines: 400).split(separator: "\n").last {
                    $0.contains(" method=\(method) path=\(path) ") && $0.contains(" status=\(status) ")
                }.map(String.init)
                return line != nil
            }
            return line
        }

        /// Without a token each attack request gets 401 + a ticket from the authorization server (oxd is asked
        /// with GET for HEAD: it has no resource for HEAD and would answer 400, i.e. 502), the access log shows
        /// no upstream time; with the right RPT each is granted and forwarded as sent.
        @Test(arguments: ["oxd", "uma2"])
        func attackRequestsGetATicket(mode: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(mode: mode, services: Self.service()))
                for (method, path) in Self.attack {
                    let response = try env.send(method, path, host: "reports.test")
                    #expect(response.status == 401, "\(method) \(path)")
                    #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                    if method != "HEAD" { #expect(response.bodyText == Body.unauthorized) }
                    let line = try #require(Self.accessLine(env, method, path, status: 401))
                    #expect(line.contains(" upstream_ms=-"), "\(line)")
                }
                let ticketCall = mode == "oxd" ? "/uma-rs-check-access" : "/permission"
                #expect(try env.devAS.calls() == [ticketCall, ticketCall, ticketCall])

                let token = try env.devAS.mintToken([Self.read, Self.admin])
                let reports = try env.send("GET", "/reports/", host: "reports.test", token: token)
                #expect(EchoedRequest(reports)?.path == "/_echo/reports/")
                let admin = try env.send("GET", "/ADMIN/users", host: "reports.test", token: token)
                #expect(EchoedRequest(admin)?.path == "/_echo/ADMIN/users")
                #expect(EchoedRequest(admin)?.values("X-Anonymous-Consumer") == [])
                let head = try env.send("HEAD", "/admin/users", host: "reports.test", token: token)
                #expect(head.status == 200)
                let forwarded = try #require(Self.accessLine(env, "HEAD", "/admin/users", status: 200))
                #expect(!forwarded.contains(" upstream_ms=-"), "\(forwarded)")
                // The wrong RPT is refused on the near miss as on the rule itself.
                let other = try env.devAS.mintToken([Self.admin])
                #expect(try env.send("GET", "/reports/", host: "reports.test", token: other).status == 403)
                // Public rules keep their exact matching; unrelated paths stay open.
                let open = try env.send("GET", "/Public/x", host: "reports.test")
                #expect(EchoedRequest(open)?.values("X-Anonymous-Consumer") == ["true"])
                #expect(try env.send("GET", "/elsewhere/", host: "reports.test").status == 200)
            }
        }

        /// `near_miss: off` restores the old behaviour for the near misses: forwarded anonymously, no
        /// authorization-server call. HEAD is still authorized as GET (not part of the setting).
        @Test func nearMissOffRestoresTheOldBehaviour() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(services: Self.service("near_miss: off")))
                for (method, path) in Self.attack where method == "GET" {
                    let response = try env.send(method, path, host: "reports.test")
                    let echoed = try #require(EchoedRequest(response), "not forwarded: \(response.status)")
                    #expect(echoed.path == "/_echo" + path)
                    #expect(echoed.values("Authorization") == [])
                    #expect(echoed.values("X-Anonymous-Consumer") == ["true"])
                }
                #expect(try env.devAS.calls().isEmpty)
                let head = try env.send("HEAD", "/admin/users", host: "reports.test")
                #expect(head.status == 401)
                #expect(Challenge.matches(head.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
            }
        }

        /// Under `deny_by_default: true` a GET-only rule covers HEAD too: 401 + ticket instead of the old 403,
        /// and an RPT for GET is granted on HEAD; near misses stay 403 there (refused, never forwarded).
        @Test func headIsAuthorizedAsGetUnderDenyByDefault() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let anonymous = try env.send("HEAD", "/photos/1")
                #expect(anonymous.status == 401)
                #expect(Challenge.matches(anonymous.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("HEAD", "/photos/1", token: token).status == 200)
                #expect(try env.send("GET", "/PHOTOS/1").status == 403)
                #expect(try env.devAS.calls() == ["/uma-rs-check-access", "/introspect-rpt", "/uma-rs-check-access"])
            }
        }
    }
}
