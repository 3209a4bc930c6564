import Foundation
import Synchronization
import Testing

extension EndToEnd {
    /// `uma-pep import kong`: from a fake Kong Admin API (paginated, token-protected) and from decK files, to a
    /// configuration that `check-config` accepts and `serve` runs against the development authorization server.
    @Suite struct ImportKong {
        /// Kong entities as the Admin API lists them (relations as `{"id": …}`): two UMA services on one oxd
        /// registration (the dev AS's `demo-oxd-id`), one plain service with a plugin uma-pep does not know, whose
        /// `host` is a Kong upstream (its target, read from `/upstreams/{id}/targets`, is the echo upstream).
        static func adminData(oxdURL: String, upstreamPort: Int) -> [String: Any] {
            let registration: [String: Any] = [
                "oxd_url": oxdURL, "op_url": oxdURL, "oxd_id": "demo-oxd-id", "client_id": "demo-client",
                "client_secret": "demo-secret",
            ]
            func auth(_ id: String, service: String) -> [String: Any] {
                var config = registration
                config["pass_credentials"] = "hide"
                config["anonymous"] = "c0000000-0000-4000-8000-0000000000aa"
                config["custom_headers"] = [
                    ["header_name": "x-consumer-id", "value_lua_exp": "consumer.id", "format": "string"],
                    ["header_name": "x-oauth-client-id", "value_lua_exp": "introspect_data.client_id"],
                ]
                return [
                    "id": id, "name": "gluu-uma-auth", "service": ["id": service], "route": NSNull(),
                    "consumer": NSNull(), "enabled": true, "config": config,
                ]
            }
            func pep(_ id: String, service: Any, route: Any, document: String) -> [String: Any] {
                var config = registration
                config["deny_by_default"] = true
                config["obtain_rpt"] = false
                config["uma_scope_expression"] = document
                return [
                    "id": id, "name": "gluu-uma-pep", "service": service, "route": route, "consumer": NSNull(),
                    "enabled": true, "config": config,
                ]
            }
            func service(_ id: String, _ name: String, host: String = "127.0.0.1") -> [String: Any] {
                [
                    "id": id, "name": name, "protocol": "http", "host": host, "port": upstreamPort,
                    "path": "/_echo", "connect_timeout": 60000, "read_timeout": 60000, "write_timeout": 60000,
                    "retries": 5,
                ]
            }
            func route(_ id: String, _ service: String, _ host: String) -> [String: Any] {
                [
                    "id": id, "name": "\(host)-route", "service": ["id": service], "hosts": [host],
                    "protocols": ["http", "https"], "paths": NSNull(), "preserve_host": false, "strip_path": true,
                ]
            }
            return [
                "services": [
                    service("s1", "photos"), service("s2", "albums"), service("s3", "status", host: "status-pool"),
                ],
                "routes": [
                    route("r1", "s1", "photos.example.com"), route("r2", "s2", "albums.example.com"),
                    route("r3", "s3", "status.example.com"),
                ],
                "plugins": [
                    auth("p1", service: "s1"), auth("p2", service: "s2"),
                    pep(
                        "p3", service: ["id": "s1"], route: NSNull(),
                        document:
                            #"[{"path":"/photos/??","conditions":[{"httpMethods":["GET"],"scopes":["photos_view"]}]}]"#),
                    pep(
                        "p4", service: NSNull(), route: ["id": "r2"],
                        document:
                            #"[{"path":"/albums/??","conditions":[{"httpMethods":["GET"],"scopes":["albums_view"]}]}]"#),
                    [
                        "id": "p5", "name": "gluu-metrics", "service": NSNull(), "route": NSNull(),
                        "consumer": NSNull(),
                        "enabled": true, "config": [:] as [String: Any],
                    ],
                    [
                        "id": "p6", "name": "cors", "service": ["id": "s3"], "route": NSNull(), "consumer": NSNull(),
                        "enabled": true, "config": ["origins": ["*"]],
                    ],
                ],
                "consumers": [
                    ["id": "c0000000-0000-4000-8000-000000000001", "username": "demo-app", "custom_id": "demo-client"],
                    ["id": "c0000000-0000-4000-8000-0000000000aa", "username": "anonymous", "custom_id": NSNull()],
                ],
                "upstreams": [["id": "u1", "name": "status-pool"]],
                "targets": [["id": "t1", "target": "127.0.0.1:\(upstreamPort)", "upstream": ["id": "u1"]]],
            ]
        }

        @Test func adminAPIImportRunsAgainstTheDevelopmentAuthorizationServer() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let devAS = try DevASProcess(directory: scratch)
                let upstream = try UpstreamProcess(directory: scratch)
                let data = try JSONSerialization.data(
                    withJSONObject: Self.adminData(oxdURL: devAS.url, upstreamPort: upstream.port), options: [])
                let dataPath = try scratch.write("kong.json", String(decoding: data, as: UTF8.self))
                let log = scratch.url.appendingPathComponent("kong-requests.log").path
                let kong = try FakeKongAdmin(data: dataPath, token: "rbac-token", log: log, directory: scratch)
                defer { kong.stop() }

                // Without the RBAC token the Admin API refuses, and import says so, never echoing credentials
                // written into --admin-url.
                let withPassword = kong.url.replacingOccurrences(of: "http://", with: "http://admin:LEAK_PW@")
                let refused = try ManagedProcess.run(
                    ["import", "kong", "--admin-url", withPassword], directory: scratch, name: "import-refused")
                #expect(refused.status == 1)
                #expect(refused.stderr.contains("status 401"), "\(refused.stderr)")
                #expect(refused.stderr.contains("GET http://***@127.0.0.1:"), "\(refused.stderr)")
                #expect(!refused.stderr.contains("LEAK_PW"), "\(refused.stderr)")
                // A malformed --admin-header is refused before any call, without echoing it (it holds the token).
                for header in ["LEAKTOKEN0123456789abcdef", "Kong-Admin-Token: LEAK\u{1}TOKEN"] {
                    let malformed = try ManagedProcess.run(
                        ["import", "kong", "--admin-url", kong.url, "--admin-header", header], directory: scratch,
                        name: "import-malformed-header")
                    #expect(malformed.status == 64)
                    #expect(malformed.stderr.contains("--admin-header #1 is not NAME:VALUE"), "\(malformed.stderr)")
                    #expect(!malformed.stderr.contains("LEAK"), "\(malformed.stderr)")
                }

                let output = scratch.url.appendingPathComponent("uma-pep.yaml").path
                let imported = try ManagedProcess.run(
                    [
                        "import", "kong", "--admin-url", kong.url + "/", "--admin-header",
                        "Kong-Admin-Token: rbac-token",
                        "--register-resources", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "-o",
                        output,
                    ], directory: scratch, name: "import")
                #expect(imported.status == 0, "\(imported.stderr)")
                #expect(imported.stdout.isEmpty)
                // Every page was read: 3 services, 3 routes, 6 plugins, 2 consumers at 2 per page.
                let requests = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
                for endpoint in [
                    "/services", "/routes", "/plugins", "/consumers", "/upstreams", "/upstreams/u1/targets",
                ] {
                    #expect(requests.contains { $0.hasPrefix("\(endpoint)?size=") })
                }
                #expect(requests.filter { $0.hasPrefix("/plugins?offset=") }.count == 2, "\(requests)")
                #expect(requests.filter { $0.hasPrefix("/services?offset=") }.count == 1, "\(requests)")
                let report = imported.stderr
                #expect(report.contains("dropped: plugins[5]: plugin cors is not known to uma-pep"), "\(report)")
                #expect(report.contains("changed: plugins[0].config.anonymous"), "\(report)")
                #expect(report.contains("dropped: services[0].retries"), "\(report)")
                #expect(report.contains("3 service(s) written (photos, albums, status)"), "\(report)")
                #expect(report.contains("set PHOTOS_CLIENT_SECRET"), "\(report)")
                let yaml = try String(contentsOfFile: output, encoding: .utf8)
                #expect(!yaml.contains("demo-secret") && !report.contains("demo-secret"))
                #expect(yaml.contains("client_secret: \"${PHOTOS_CLIENT_SECRET}\""))

                let environment = ["PHOTOS_CLIENT_SECRET": "demo-secret"]
                let check = try ManagedProcess.run(
                    ["check-config", output], environment: environment, directory: scratch, name: "check")
                #expect(check.status == 0, "\(check.stderr)")
                #expect(check.stdout.contains("is valid"))

                let pep = try PEPProcess(configPath: output, environment: environment, directory: scratch)
                try pep.waitUntilReady()
                func send(_ target: String, host: String, token: String? = nil) throws -> RawResponse {
                    try HTTP.request(
                        port: pep.proxyPort, "GET", target, host: host,
                        headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
                }
                // No token on a protected path: 401 with a permission ticket from the dev AS, for both services
                // of the shared registration.
                for (target, host) in [("/photos/1", "photos.example.com"), ("/albums/1", "albums.example.com")] {
                    let challenge = try send(target, host: host)
                    #expect(challenge.status == 401, "\(target): \(challenge.bodyText)\n\(pep.diagnostics())")
                    #expect(challenge.header("WWW-Authenticate").flatMap(Challenge.ticket) != nil)
                }
                // deny_by_default: an unprotected path of a UMA service is refused.
                #expect(try send("/videos", host: "photos.example.com").status == 403)
                // The plain service forwards without a token check, to its Kong upstream's target.
                let plain = try #require(EchoedRequest(try send("/health", host: "status.example.com")))
                #expect(plain.path == "/_echo/health")
                // An RPT for photos_view: forwarded, credentials hidden, the consumer mapped, headers set.
                let rpt = try devAS.mintToken([.init(path: "/photos/??", method: "GET", scopes: ["photos_view"])])
                let echoed = try #require(EchoedRequest(try send("/photos/1", host: "photos.example.com", token: rpt)))
                #expect(echoed.path == "/_echo/photos/1")
                #expect(echoed.values("Authorization").isEmpty)
                #expect(echoed.values("x-consumer-id") == ["c0000000-0000-4000-8000-000000000001"])
                #expect(echoed.values("x-oauth-client-id") == ["demo-client"])
                // The same RPT does not open the other service's resources.
                #expect(try send("/albums/1", host: "albums.example.com", token: rpt).status == 403)
                // The tutorial's client does the whole flow through the imported configuration.
                let rp = try ManagedProcess.run(
                    [
                        "rp", "--url", "http://127.0.0.1:\(pep.proxyPort)/albums/7", "--host", "albums.example.com",
                        "--oxd-url", devAS.url,
                    ], directory: scratch, name: "rp")
                #expect(rp.status == 0, "\(rp.stdout)\n\(rp.stderr)")
                #expect(rp.stdout.contains("\"path\":\"/_echo/albums/7\""), "\(rp.stdout)")
            }
        }

        /// decK and db_export files: the report on stderr names each path, the output passes `check-config`, the
        /// secret is an environment reference, stdin works, and an input with nothing convertible exits 1.
        @Test func declarativeFilesImportAndCheck() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                for fixture in ["gluu-gateway-deck-1.1.yaml", "gluu-gateway-db-export-3.0.json"] {
                    let input = Repository.path("Tests/PEPCoreTests/Fixtures/kong/\(fixture)")
                    let output = scratch.url.appendingPathComponent("\(fixture).out.yaml").path
                    let imported = try ManagedProcess.run(
                        ["import", "kong", input, "-o", output], directory: scratch, name: "import")
                    #expect(imported.status == 0, "\(imported.stderr)")
                    #expect(imported.stderr.contains("skipped: "), "\(imported.stderr)")
                    let secret =
                        fixture.hasPrefix("gluu-gateway-deck") ? "PHOTOS_CLIENT_SECRET" : "ORDERS_CLIENT_SECRET"
                    let missing = try ManagedProcess.run(["check-config", output], directory: scratch, name: "check")
                    #expect(missing.status == 1)
                    #expect(missing.stderr.contains(secret), "\(missing.stderr)")
                    let check = try ManagedProcess.run(
                        ["check-config", output], environment: [secret: "s"], directory: scratch, name: "check")
                    #expect(check.status == 0, "\(check.stderr)")
                }
                let deck = Repository.path("Tests/PEPCoreTests/Fixtures/kong/gluu-gateway-deck-1.1.yaml")
                // -o onto something that is not a regular file (here a FIFO; /dev/null in real life) writes into it:
                // it used to rename a temporary file over the path, replacing the FIFO (or /dev/null) with a file.
                let fifo = scratch.url.appendingPathComponent("out.fifo").path
                #expect(mkfifo(fifo, 0o600) == 0)
                let received = Mutex<[UInt8]>([])
                let drained = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    if let handle = FileHandle(forReadingAtPath: fifo) {
                        let bytes = handle.readDataToEndOfFile()
                        received.withLock { $0 = Array(bytes) }
                    }
                    drained.signal()
                }
                let intoFIFO = try ManagedProcess.run(
                    ["import", "kong", deck, "-o", fifo], directory: scratch, name: "fifo")
                #expect(intoFIFO.status == 0, "\(intoFIFO.stderr)")
                #expect(drained.wait(timeout: .now() + 10) == .success)
                #expect(String(decoding: received.withLock { $0 }, as: UTF8.self).contains("services:"))
                var info = stat()
                #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "still a FIFO")
                let stdin = try ManagedProcess.run(
                    ["import", "kong", "-"], input: URL(fileURLWithPath: deck), directory: scratch, name: "stdin")
                #expect(stdin.status == 0, "\(stdin.stderr)")
                #expect(stdin.stdout.contains("name: \"photos\""))
                #expect(stdin.stderr.contains("dropped: services[0].plugins[0].config.custom_headers[4]"))
                #expect(!stdin.stdout.contains("2f8b6c1e-4a5d-4e2b-9c7f-1d3e5a7b9c0d"))
                #expect(!stdin.stderr.contains("2f8b6c1e-4a5d-4e2b-9c7f-1d3e5a7b9c0d"))

                let nothing = try scratch.write("nothing.yaml", "_format_version: \"2.1\"\nservices: []\n")
                let failed = try ManagedProcess.run(["import", "kong", nothing], directory: scratch, name: "nothing")
                #expect(failed.status == 1)
                #expect(failed.stderr.contains("no Kong service could be converted"), "\(failed.stderr)")

                // An empty input (a file, /dev/null, an empty pipe) is said to be empty; a missing file cannot be
                // read, and the reason is given.
                for empty in [try scratch.write("empty.yaml", ""), "/dev/null"] {
                    let emptied = try ManagedProcess.run(["import", "kong", empty], directory: scratch, name: "empty")
                    #expect(emptied.status == 1)
                    #expect(emptied.stderr.contains("\(empty): the input is empty"), "\(emptied.stderr)")
                }
                let missing = scratch.url.appendingPathComponent("missing.yaml").path
                let unread = try ManagedProcess.run(["import", "kong", missing], directory: scratch, name: "missing")
                #expect(unread.status == 1)
                #expect(unread.stderr.contains("missing.yaml: cannot read the file"), "\(unread.stderr)")
            }
        }
    }
}

/// `Tests/python/fake_kong_admin.py` as a process on a free 127.0.0.1 port, stopped by `stop()` or when released.
final class FakeKongAdmin: @unchecked Sendable {
    let process = Process()
    let url: String

    init(data: String, token: String?, log: String, directory: ScratchDirectory) throws {
        let stdout = directory.url.appendingPathComponent("fake-kong.stdout")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments =
            [
                "python3", Repository.path("Tests/python/fake_kong_admin.py"), "--data", data, "--page-size", "2",
                "--log", log,
            ] + (token.map { ["--token", $0] } ?? [])
        self.process.standardOutput = try FileHandle(forWritingTo: stdout)
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let deadline = Date().addingTimeInterval(15)
        while true {
            let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let listener = ManagedProcess.parseListeners(text).first {
                self.url = "http://127.0.0.1:\(listener.port)"
                return
            }
            guard self.process.isRunning, Date() < deadline else {
                self.process.terminate()
                throw E2EError.startFailed("fake_kong_admin.py did not start: \(text)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    deinit { self.stop() }

    /// SIGTERM, then SIGKILL after 3 s; waits for the exit.
    func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while self.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }
}
