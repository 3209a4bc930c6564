import Foundation
import Testing

extension EndToEnd {
    /// The admin API on the admin listener (docs/operations.md "Admin API") and `enforcement: report_only`,
    /// against real `serve`, dev AS and upstream processes.
    @Suite struct AdminAPI {
        static let token = "admin-token-0123456789abcdef"

        /// `Fixture.config` with `admin.token: ${ADMIN_TOKEN}` (and `extra` top-level YAML).
        static func config(extra: String = "", services: String = Fixture.apiService) -> String {
            Fixture.config(extra: extra, services: services).replacingOccurrences(
                of: #"admin: {listen: "127.0.0.1:0"}"#,
                with: #"admin: {listen: "127.0.0.1:0", token: "${ADMIN_TOKEN}"}"#)
        }

        static func environment(config: String = Self.config()) throws -> E2EEnvironment {
            try E2EEnvironment(config: config, environment: ["ADMIN_TOKEN": Self.token])
        }

        /// An admin request, with the admin token unless `token` says otherwise.
        static func admin(
            _ env: E2EEnvironment, _ method: String, _ target: String, token: String? = Self.token, body: String = ""
        ) throws -> RawResponse {
            var headers: [(String, String)] = []
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
            return try HTTP.request(
                port: env.pep.adminPort, method, target, host: "127.0.0.1", headers: headers, body: Array(body.utf8))
        }

        @Test func statusConfigServicesAndCacheAnswerJSON() async throws {
            try await offPool {
                let env = try Self.environment()
                #expect(try env.send("GET", "/public/x").status == 200)

                // A request is counted when its exchange is logged, just after the response went out: wait for it.
                var status = try Self.admin(env, "GET", "/status", token: nil)
                for _ in 0..<100 where ((status.json?["requests"] as? [String: Any])?["total"] as? Int ?? 0) < 1 {
                    Thread.sleep(forTimeInterval: 0.02)
                    status = try Self.admin(env, "GET", "/status", token: nil)
                }
                #expect(status.status == 200)
                #expect(status.header("Content-Type") == "application/json")
                let json = try #require(status.json)
                #expect(json["version"] as? String == "0.1.0")
                #expect(json["workers"] as? Int == 2)
                #expect(((json["requests"] as? [String: Any])?["total"] as? Int ?? 0) >= 1)
                #expect(((json["connections"] as? [String: Any])?["accepted"] as? Int ?? 0) >= 1)
                let configuration = try #require(json["configuration"] as? [String: Any])
                #expect(configuration["generation"] as? Int == 1)
                #expect(configuration["loaded_at"] is String)
                #expect(((json["services"] as? [String: Any])?["not_enforcing"] as? [String]) == [])
                #expect(json["warning"] == nil)

                let config = try Self.admin(env, "GET", "/config", token: nil)
                #expect(config.status == 200)
                #expect(!config.bodyText.contains("demo-secret"))
                #expect(!config.bodyText.contains(Self.token))
                let document = try #require((config.json?["config"]) as? [String: Any])
                let servers = try #require(document["authorization_servers"] as? [String: Any])
                #expect((servers["dev"] as? [String: Any])?["client_secret"] as? String == "REDACTED")
                #expect((document["admin"] as? [String: Any])?["token"] as? String == "REDACTED")
                #expect((servers["dev"] as? [String: Any])?["client_id"] as? String == "demo-client")

                let services = try Self.admin(env, "GET", "/services", token: nil)
                let list = try #require(services.json?["services"] as? [[String: Any]])
                #expect(list.map { $0["name"] as? String } == ["api", "open"])
                #expect(list[0]["enforcement"] as? String == "enforce")
                let rules = try #require(list[0]["rules"] as? [[String: Any]])
                #expect(rules.map { $0["path"] as? String } == ["/photos/??", "/admin/??", "/public/??"])
                // The check-config text of the service, line for line.
                let check = try UMAPEPProcess.run(
                    ["check-config", env.configPath],
                    environment: [
                        "ADMIN_TOKEN": Self.token, "OXD_URL": env.devAS.url, "UPSTREAM_URL": env.upstream.url,
                    ])
                for line in try #require(list[0]["report"] as? [String]) {
                    #expect(check.stdout.contains(line + "\n"))
                }

                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                let cache = try #require(try Self.admin(env, "GET", "/cache", token: nil).json)
                let caches = try #require(cache["caches"] as? [String: [String: Any]])
                #expect(caches["introspection"]?["entries"] as? Int == 1)
                #expect(caches["introspection"]?["misses"] as? Int ?? 0 >= 1)
                #expect(caches["decision"]?["entries"] as? Int == 1)
                #expect(Set(caches.keys) == ["introspection", "decision", "upstream_headers", "worker_grant"])

                let head = try Self.admin(env, "HEAD", "/status", token: nil)
                #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") != "0")
                let wrongMethod = try Self.admin(env, "POST", "/status")
                #expect(wrongMethod.status == 405 && wrongMethod.header("Allow") == "GET, HEAD")
                #expect(try Self.admin(env, "GET", "/reload").header("Allow") == "POST")
                // The existing endpoints are unchanged.
                #expect(try Self.admin(env, "GET", "/readyz", token: nil).status == 200)
                #expect(try Self.admin(env, "GET", "/nope", token: nil).status == 404)
            }
        }

        /// The mutating calls need the token: missing or wrong → 401 with a Bearer challenge, nothing done.
        @Test func mutatingCallsNeedTheToken() async throws {
            try await offPool {
                let env = try Self.environment()
                for token in [nil, "wrong-token-0123456789abcdef", Self.token + "x", String(Self.token.dropLast())] {
                    for path in ["/reload", "/cache/flush"] {
                        let response = try Self.admin(env, "POST", path, token: token)
                        #expect(response.status == 401, "\(path) with \(token ?? "no token")")
                        #expect(response.header("WWW-Authenticate") == #"Bearer realm="uma-pep admin""#)
                    }
                }
                #expect(!env.pep.process.stderr.contains("configuration reloaded"))
                #expect(try Self.admin(env, "POST", "/reload").status == 200)
                #expect(!env.pep.process.stderr.contains(Self.token))
            }
        }

        /// Without `admin.token` the mutating calls are off (403) on the default loopback listener.
        @Test func withoutATokenMutatingCallsAreRefused() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let response = try Self.admin(env, "POST", "/reload", token: nil)
                #expect(response.status == 403)
                #expect(try Self.admin(env, "POST", "/cache/flush", token: "anything-at-all-123").status == 403)
                #expect(try Self.admin(env, "GET", "/status", token: nil).status == 200)
            }
        }

        /// A non-loopback admin listener without a token is a configuration error naming `admin.token`, for
        /// `check-config` and `serve` alike; with a token it is accepted.
        @Test func nonLoopbackAdminWithoutTokenIsAConfigurationError() throws {
            let scratch = try ScratchDirectory()
            let open = Fixture.config().replacingOccurrences(
                of: #"admin: {listen: "127.0.0.1:0"}"#, with: #"admin: {listen: "0.0.0.0:0"}"#)
            let path = try scratch.write("open.yaml", open)
            let environment = ["OXD_URL": "http://127.0.0.1:1", "UPSTREAM_URL": "http://127.0.0.1:1"]
            for command in [["check-config", path], ["serve", "--config", path]] {
                let result = try UMAPEPProcess.run(command, environment: environment)
                #expect(result.status != 0)
                #expect(result.stderr.contains("admin.token"), "\(result.stderr)")
            }
            let withToken = try scratch.write(
                "token.yaml",
                open.replacingOccurrences(
                    of: #"admin: {listen: "0.0.0.0:0"}"#, with: #"admin: {listen: "0.0.0.0:0", token: "${T}"}"#))
            var tokenEnvironment = environment
            tokenEnvironment["T"] = Self.token
            #expect(try UMAPEPProcess.run(["check-config", withToken], environment: tokenEnvironment).status == 0)
            tokenEnvironment["T"] = "short"
            let short = try UMAPEPProcess.run(["check-config", withToken], environment: tokenEnvironment)
            #expect(short.status != 0 && short.stderr.contains("admin.token"))
        }

        /// `POST /reload` applies a changed file (generation 2, the new rule answers) like SIGHUP; a broken file
        /// is answered 422 with the error and the old configuration keeps serving.
        @Test func reloadAppliesOrKeepsTheOldConfiguration() async throws {
            try await offPool {
                let env = try Self.environment()
                #expect(try env.send("GET", "/added").status == 403)
                var extended = Self.config()
                let anchor = try #require(extended.range(of: "uma_scope_expression:\n"))
                extended.insert(
                    contentsOf: "      - {path: /added, conditions: [{httpMethods: [GET], public: true}]}\n",
                    at: anchor.upperBound)
                try extended.write(toFile: env.configPath, atomically: true, encoding: .utf8)
                let reloaded = try Self.admin(env, "POST", "/reload")
                #expect(reloaded.status == 200)
                #expect(reloaded.json?["reloaded"] as? Bool == true)
                #expect(reloaded.json?["generation"] as? Int == 2)
                #expect(eventually { env.pep.process.stderr.contains("POST /reload: configuration reloaded") })
                #expect(try env.send("GET", "/added").status == 200)

                try "services: [".write(toFile: env.configPath, atomically: true, encoding: .utf8)
                let failed = try Self.admin(env, "POST", "/reload")
                #expect(failed.status == 422)
                #expect(failed.json?["reloaded"] as? Bool == false)
                #expect((failed.json?["error"] as? String)?.contains(env.configPath) == true)
                #expect(failed.json?["generation"] as? Int == 2)
                #expect(eventually { env.pep.process.stderr.contains("configuration NOT reloaded") })
                #expect(try env.send("GET", "/added").status == 200)
                #expect(try env.send("GET", "/photos/1").status == 401)
                let status = try #require(try Self.admin(env, "GET", "/status", token: nil).json)
                #expect((status["configuration"] as? [String: Any])?["generation"] as? Int == 2)
            }
        }

        /// Flushing one token drops its entries everywhere (the next request is introspected again), without
        /// echoing or logging it; flushing a service or everything empties the caches.
        @Test func cacheFlushByTokenServiceAndAll() async throws {
            try await offPool {
                let env = try Self.environment()
                let token = try env.devAS.mintToken([Fixture.view])
                let other = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(try env.send("GET", "/photos/1", token: other).status == 200)
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                let introspections = try env.devAS.counts()["/introspect-rpt"] ?? 0
                #expect(introspections == 2)

                let flushed = try Self.admin(env, "POST", "/cache/flush", body: #"{"token":"\#(token)"}"#)
                #expect(flushed.status == 200)
                #expect(!flushed.bodyText.contains(token))
                let counts = try #require(flushed.json?["flushed"] as? [String: Any])
                #expect(counts["introspection"] as? Int == 1)
                #expect(counts["decision"] as? Int == 1)
                #expect(eventually { env.pep.process.stderr.contains("POST /cache/flush: caches flushed") })
                #expect(!env.pep.process.stderr.contains(token))
                // The flushed token is introspected again (worker cache included); the other one is not.
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(try env.send("GET", "/photos/1", token: other).status == 200)
                #expect(try env.devAS.counts()["/introspect-rpt"] == introspections + 1)

                let service = try Self.admin(env, "POST", "/cache/flush", body: #"{"service":"api"}"#)
                #expect(service.status == 200)
                #expect((service.json?["flushed"] as? [String: Any])?["decision"] as? Int == 2)
                #expect(try Self.admin(env, "POST", "/cache/flush", body: #"{"service":"nope"}"#).status == 404)
                #expect(try Self.admin(env, "POST", "/cache/flush", body: #"{"tokens":"x"}"#).status == 400)

                let all = try Self.admin(env, "POST", "/cache/flush")
                #expect(all.status == 200 && all.json?["scope"] as? String == "all")
                #expect((all.json?["flushed"] as? [String: Any])?["introspection"] as? Int == 2)
                let cache = try #require(try Self.admin(env, "GET", "/cache", token: nil).json)
                let caches = try #require(cache["caches"] as? [String: [String: Any]])
                #expect(caches["introspection"]?["entries"] as? Int == 0)
                #expect(caches["decision"]?["entries"] as? Int == 0)
            }
        }

        /// The match debugger uses the proxy's canonicalization and matcher: dot segments and duplicate slashes
        /// collapse, HEAD is matched as GET, near misses are reported, refused paths are 400 with the detail.
        @Test func matchReportsTheRuleTheProxyWouldUse() async throws {
            try await offPool {
                let env = try Self.environment()
                func match(_ service: String, _ query: String) throws -> (Int, [String: Any]) {
                    let response = try Self.admin(env, "GET", "/services/\(service)/match?\(query)", token: nil)
                    return (response.status, response.json ?? [:])
                }
                let (status, head) = try match("api", "method=HEAD&path=%2Fphotos%2F.%2F%2F1")
                #expect(status == 200)
                #expect((head["request"] as? [String: Any])?["path"] as? String == "/photos/1")
                #expect(head["matched"] as? Bool == true)
                let rule = try #require(head["rule"] as? [String: Any])
                #expect(rule["path"] as? String == "/photos/??")
                #expect(rule["authorized_method"] as? String == "GET")
                #expect(((rule["condition"] as? [String: Any])?["scopes"] as? [String]) == ["view"])
                // The proxy answers the same path the same way (a token is needed).
                #expect(try env.send("HEAD", "/photos/.//1").status == 401)

                let (_, post) = try match("api", "method=PUT&path=/photos/2")
                #expect(((post["rule"] as? [String: Any])?["condition"] as? [String: Any])?["index"] as? Int == 1)
                let (_, publicRule) = try match("api", "path=/public/a")
                #expect((publicRule["outcome"] as? String)?.hasPrefix("public") == true)
                let (_, unmatched) = try match("api", "path=/elsewhere")
                #expect(unmatched["matched"] as? Bool == false)
                #expect((unmatched["outcome"] as? String)?.contains("refused") == true)
                let (_, nearMiss) = try match("open", "path=/DOCS/a/")
                #expect(nearMiss["matched"] as? Bool == true)
                #expect((nearMiss["rule"] as? [String: Any])?["near_miss"] is String)
                let (refused, encoded) = try match("api", "path=/photos%252F1")
                #expect(refused == 400)
                #expect((encoded["detail"] as? String)?.isEmpty == false)
                #expect(try env.send("GET", "/photos%2F1").status == 400)
                #expect(try match("nope", "path=/").0 == 404)
                #expect(try match("api", "method=GET").0 == 400)
            }
        }

        /// `enforcement: report_only` forwards what it would deny, with `would_deny` in the access log and the
        /// metrics, and says so in `/status`; an enforcing service next to it still refuses.
        @Test func reportOnlyForwardsWhatItWouldDeny() async throws {
            try await offPool {
                let services =
                    Fixture.service("enforcement: report_only") + "\n" + Fixture.openService
                let env = try Self.environment(config: Self.config(services: services))
                // No token on a protected path: enforcing would answer 401 with a ticket.
                let forwarded = try env.send("GET", "/photos/1")
                #expect(forwarded.status == 200)
                #expect(EchoedRequest(forwarded)?.path == "/_echo/photos/1")
                // The decision was taken as usual: the ticket was requested.
                #expect(try env.devAS.counts()["/uma-rs-check-access"] == 1)
                let granted = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: granted).status == 200)
                #expect(
                    eventually {
                        env.pep.process.stderr.contains(
                            "decision=would_deny.401.pep.ticket_issued method=GET path=/photos/1 service=api status=200"
                        )
                    }, "\(env.pep.diagnostics())")
                #expect(eventually { env.pep.process.stderr.contains("decision=pep.granted") })
                let metrics = try env.pep.metrics()
                #expect(metrics.value("uma_pep_requests_total", ["service": "api", "decision": "would_deny"]) == 1)
                #expect(metrics.value("uma_pep_requests_total", ["service": "api", "decision": "granted"]) == 1)
                // The enforcing service still refuses.
                #expect(try env.send("GET", "/docs/1", host: "open.test").status == 401)

                let status = try #require(try Self.admin(env, "GET", "/status", token: nil).json)
                #expect(((status["services"] as? [String: Any])?["not_enforcing"] as? [String]) == ["api"])
                #expect((status["warning"] as? String)?.contains("NOT ENFORCING") == true)
                #expect(((status["requests"] as? [String: Any])?["would_deny"] as? [String: Int])?["api"] == 1)
                #expect(eventually { env.pep.process.stderr.contains("NOT ENFORCING") })
            }
        }

        /// `readiness.require_authorization_server`: `/readyz` fails while the authorization server does not
        /// accept connections.
        @Test func readinessCanRequireTheAuthorizationServer() async throws {
            try await offPool {
                let env = try Self.environment(
                    config: Self.config(extra: "readiness: {require_authorization_server: true}"))
                let ready = try Self.admin(env, "GET", "/readyz", token: nil)
                #expect(ready.status == 200)
                #expect(ready.bodyText.contains(#""authorization_server.dev.reachable":"reachable"#))
                env.devAS.process.stop()
                #expect(
                    try eventually(10) { try Self.admin(env, "GET", "/readyz", token: nil).status == 503 })
                #expect(try Self.admin(env, "GET", "/readyz", token: nil).bodyText.contains("unreachable"))
            }
        }
    }
}
