import Foundation
import Testing

extension EndToEnd {
    /// The shared second-level cache on Redis (`cache.redis`, docs/operations.md "Several instances: the Redis
    /// cache") with a real `redis-server` on a free loopback port and two `uma-pep serve` instances in front of one
    /// development AS.
    @Suite(.serialized) struct SharedCache {
        /// Two instances (A and B) sharing one Redis, the dev AS and the upstream of one `E2EEnvironment`.
        final class TwoInstances: @unchecked Sendable {
            let redis: RedisServerProcess
            let env: E2EEnvironment
            let second: PEPProcess

            init(binary: String, extra: String = "", devASArguments: [String] = []) throws {
                let scratch = try ScratchDirectory()
                let redis = try RedisServerProcess(binary: binary, directory: scratch)
                self.redis = redis
                let cache = """
                    cache:
                      redis:
                        url: redis://:${REDIS_PASSWORD}@127.0.0.1:\(redis.port)/0
                        timeout: 200ms
                        max_backoff: 500ms
                    \(extra)
                    """
                self.env = try E2EEnvironment(
                    config: Fixture.config(extra: cache), environment: ["REDIS_PASSWORD": redis.password],
                    devASArguments: devASArguments)
                self.second = try PEPProcess(
                    configPath: self.env.configPath,
                    environment: [
                        "OXD_URL": self.env.devAS.url, "UPSTREAM_URL": self.env.upstream.url,
                        "REDIS_PASSWORD": redis.password,
                    ],
                    directory: self.env.scratch, name: "serve-b")
                try self.second.waitUntilReady()
                try self.waitForRedis(up: true)
                try self.env.devAS.resetCalls()
            }

            deinit { self.second.process.stop() }

            var ports: [Int] { [self.env.pep.proxyPort, self.second.proxyPort] }
            var instances: [PEPProcess] { [self.env.pep, self.second] }

            /// Waits (≤ 10 s) until both instances report `uma_pep_redis_up` = `up`.
            func waitForRedis(up: Bool) throws {
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline {
                    let values = self.instances.map { (try? $0.metrics().value("uma_pep_redis_up")) ?? -1 }
                    if values.allSatisfy({ $0 == (up ? 1 : 0) }) { return }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                throw E2EError.unexpected(
                    "uma_pep_redis_up never became \(up ? 1 : 0)\n\(self.env.diagnostics())\n\(self.second.diagnostics())"
                )
            }

            /// Waits (≤ 5 s) until Redis holds `count` keys: writes are asynchronous, after the answer.
            func waitForEntries(_ count: Int, in redis: RedisServerProcess? = nil) throws {
                let server = redis ?? self.redis
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline, try server.command(["DBSIZE"]) != ":\(count)" {
                    Thread.sleep(forTimeInterval: 0.02)
                }
            }

            func get(_ port: Int, _ target: String, token: String?) throws -> RawResponse {
                var headers: [(String, String)] = []
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                return try HTTP.request(port: port, "GET", target, host: "api.test", headers: headers, timeout: 10)
            }
        }

        /// Runs `body` off the cooperative pool with two instances and a Redis; skips (says so) without
        /// redis-server.
        static func withTwoInstances(
            extra: String = "", devASArguments: [String] = [], _ body: @escaping (TwoInstances) throws -> Void
        ) async throws {
            guard let binary = RedisServerProcess.locate() else {
                print(RedisServerProcess.missingMessage)
                return
            }
            try await offPool {
                try body(try TwoInstances(binary: binary, extra: extra, devASArguments: devASArguments))
            }
        }

        /// One token through instance A then instance B: exactly one introspection and one check-access at the AS
        /// across both; B's answers came from Redis; Redis holds the token only as a hash, with the format version.
        @Test func twoInstancesShareOneIntrospection() async throws {
            try await Self.withTwoInstances { world in
                let token = try world.env.devAS.mintToken([Fixture.view])
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 200)
                // B may look before A's write lands (asynchronous): poll for the entry first.
                try world.waitForEntries(2)
                #expect(try world.get(world.ports[1], "/photos/1", token: token).status == 200)
                #expect(try world.get(world.ports[1], "/photos/2", token: token).status == 200)
                let counts = try world.env.devAS.counts()
                #expect(counts["/introspect-rpt"] == 1, "\(counts)")
                #expect(counts["/uma-rs-check-access"] == 1, "\(counts)")
                let b = try world.second.metrics()
                #expect(b.value("uma_pep_redis_lookups_total", ["kind": "introspection", "result": "hit"]) == 1)
                #expect(b.value("uma_pep_redis_lookups_total", ["kind": "grant", "result": "hit"]) == 1)
                let a = try world.env.pep.metrics()
                #expect(a.value("uma_pep_redis_writes_total", ["kind": "introspection"]) == 1)
                #expect(a.value("uma_pep_redis_writes_total", ["kind": "grant"]) == 1)
                let keys = try world.redis.command(["KEYS", "*"])
                #expect(!keys.contains(token), "the token itself must never reach Redis")
                #expect(keys.contains("uma-pep:v1:"), "\(keys)")
                #expect(keys.contains(":intro:") && keys.contains(":grant:"), "\(keys)")
                let introKey = keys.components(separatedBy: "\r\n").first { $0.contains(":intro:") } ?? ""
                let value = try world.redis.command(["GET", introKey])
                #expect(value.contains(#""v":1"#), "\(value)")
                #expect(!value.contains(token))
                let ttl = Int(try world.redis.command(["PTTL", introKey]).dropFirst()) ?? -1
                #expect(ttl > 0 && ttl <= 300_000, "PTTL \(ttl)")
            }
        }

        /// A JWT RPT verified locally (`dev-as --rpt-as-jwt`; `jwt_rpts` on by default) is neither looked up in nor
        /// written to Redis: verifying it costs no authorization-server call and less than a round trip. Its oxd
        /// grant (a check-access call) is still shared.
        @Test func jwtRPTsVerifiedLocallySkipRedis() async throws {
            try await Self.withTwoInstances(devASArguments: ["--rpt-as-jwt"]) { world in
                let token = try world.env.devAS.mintToken([Fixture.view])
                #expect(token.split(separator: ".").count == 3)
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 200)
                try world.waitForEntries(1)
                #expect(try world.get(world.ports[1], "/photos/1", token: token).status == 200)
                let keys = try world.redis.command(["KEYS", "*"])
                #expect(!keys.contains(":intro:"), "\(keys)")
                #expect(keys.contains(":grant:"), "\(keys)")
                let counts = try world.env.devAS.counts()
                #expect((counts["/introspect-rpt"] ?? 0) == 0, "\(counts)")
                #expect(counts["/uma-rs-check-access"] == 1, "\(counts)")
                for instance in world.instances {
                    let metrics = try instance.metrics()
                    #expect(metrics.value("uma_pep_redis_lookups_total", ["kind": "introspection"]) == 0)
                    #expect(metrics.value("uma_pep_redis_writes_total", ["kind": "introspection"]) == 0)
                }
                let b = try world.second.metrics()
                #expect(b.value("uma_pep_redis_lookups_total", ["kind": "grant", "result": "hit"]) == 1)
            }
        }

        /// A negative entry (inactive token) is shared too: the second instance does not introspect it again.
        @Test func negativeEntriesAreShared() async throws {
            try await Self.withTwoInstances { world in
                let token = "INACTIVE-\(UUID().uuidString)"
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 401)
                try world.waitForEntries(1)
                #expect(try world.get(world.ports[1], "/photos/1", token: token).status == 401)
                #expect(try world.env.devAS.counts()["/introspect-rpt"] == 1)
                let keys = try world.redis.command(["KEYS", "*:intro:*"])
                let key = keys.components(separatedBy: "\r\n").last ?? ""
                let ttl = Int(try world.redis.command(["PTTL", key]).dropFirst()) ?? -1
                // cache.negative_ttl (10 s by default) is the entry's Redis TTL.
                #expect(ttl > 0 && ttl <= 10_000, "PTTL \(ttl)")
            }
        }

        /// Redis killed mid-run: every request is still answered correctly and promptly (local cache, then the AS),
        /// `uma_pep_redis_up` drops to 0; Redis back on the same port → both instances reconnect (backoff).
        @Test func redisKilledMidRunEveryRequestStillAnswered() async throws {
            try await Self.withTwoInstances { world in
                let granted = try (0..<10).map { _ in try world.env.devAS.mintToken([Fixture.view]) }
                for (index, token) in granted.enumerated() {
                    #expect(try world.get(world.ports[index % 2], "/photos/1", token: token).status == 200)
                }
                world.redis.kill()
                let started = Date()
                for round in 0..<3 {
                    for (index, token) in granted.enumerated() {
                        let response = try world.get(world.ports[(index + round) % 2], "/photos/1", token: token)
                        #expect(response.status == 200)
                    }
                    let fresh = try world.env.devAS.mintToken([Fixture.view])
                    #expect(try world.get(world.ports[round % 2], "/photos/3", token: fresh).status == 200)
                    #expect(try world.get(world.ports[round % 2], "/photos/3", token: "BAD-\(round)").status == 401)
                    #expect(try world.get(world.ports[round % 2], "/photos/3", token: nil).status == 401)
                }
                // 39 requests, a third of them needing the AS: nothing waited for a dead Redis for long.
                #expect(Date().timeIntervalSince(started) < 10)
                try world.waitForRedis(up: false)
                let metrics = try world.env.pep.metrics()
                #expect(metrics.value("uma_pep_redis_up") == 0)
                // Back on the same port (empty): both reconnect within the backoff (max_backoff 500 ms).
                let scratch = try ScratchDirectory()
                let again = try RedisServerProcess(
                    binary: world.redis.binary, directory: scratch, port: world.redis.port,
                    password: world.redis.password)
                try world.waitForRedis(up: true)
                let token = try world.env.devAS.mintToken([Fixture.view])
                try world.env.devAS.resetCalls()
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 200)
                try world.waitForEntries(2, in: again)
                #expect(try world.get(world.ports[1], "/photos/1", token: token).status == 200)
                #expect(try world.env.devAS.counts()["/introspect-rpt"] == 1)
            }
        }

        /// Single flight still holds per instance: 40 concurrent first requests with one fresh token on each
        /// instance while the AS holds the first introspection 300 ms → at most one introspection per instance,
        /// every request granted.
        @Test func singleFlightHoldsPerInstance() async throws {
            try await Self.withTwoInstances { world in
                let token = try world.env.devAS.mintToken([Fixture.view])
                try world.env.devAS.fault("/introspect-rpt", .hang, count: 2, delayMs: 300)
                let statuses = StatusList()
                let group = DispatchGroup()
                for port in world.ports {
                    for _ in 0..<20 {
                        group.enter()
                        DispatchQueue.global().async {
                            let status = (try? world.get(port, "/photos/1", token: token).status) ?? 0
                            statuses.append(status)
                            group.leave()
                        }
                    }
                }
                #expect(group.wait(timeout: .now() + 20) == .success)
                #expect(statuses.values.filter { $0 == 200 }.count == 40, "\(statuses.values)")
                let introspections = try world.env.devAS.counts()["/introspect-rpt"] ?? 0
                #expect(introspections >= 1 && introspections <= 2, "\(introspections)")
            }
        }

        /// Redis answering garbage (a value this build could not have written): a miss, counted as invalid; the AS
        /// is asked and its answer overwrites the entry.
        @Test func garbageValueIsAMissAndIsOverwritten() async throws {
            try await Self.withTwoInstances { world in
                let token = try world.env.devAS.mintToken([Fixture.view])
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 200)
                try world.waitForEntries(2)
                let keys = try world.redis.command(["KEYS", "*"]).components(separatedBy: "\r\n")
                    .filter { $0.hasPrefix("uma-pep:") }
                #expect(keys.count == 2)
                for key in keys { #expect(try world.redis.command(["SET", key, "{\"v\":1,garbage"]) == "+OK") }
                #expect(try world.get(world.ports[1], "/photos/1", token: token).status == 200)
                let counts = try world.env.devAS.counts()
                #expect(counts["/introspect-rpt"] == 2, "\(counts)")
                #expect(counts["/uma-rs-check-access"] == 2, "\(counts)")
                let b = try world.second.metrics()
                #expect(b.value("uma_pep_redis_lookups_total", ["kind": "introspection", "result": "invalid"]) == 1)
                #expect(b.value("uma_pep_redis_lookups_total", ["kind": "grant", "result": "invalid"]) == 1)
                let rewritten = Date().addingTimeInterval(5)
                let introKey = keys.first { $0.contains(":intro:") } ?? ""
                while Date() < rewritten, try world.redis.command(["GET", introKey]).contains("garbage") {
                    Thread.sleep(forTimeInterval: 0.02)
                }
                #expect(try !world.redis.command(["GET", introKey]).contains("garbage"))
            }
        }

        /// Redis slow (every client paused 3 s, `CLIENT PAUSE`): a request needing the AS waits at most
        /// `cache.redis.timeout` (200 ms here) for Redis, then goes on; the timeouts are counted.
        @Test func slowRedisCostsAtMostTheTimeout() async throws {
            try await Self.withTwoInstances { world in
                #expect(try world.redis.command(["CLIENT", "PAUSE", "3000", "ALL"]) == "+OK")
                let token = try world.env.devAS.mintToken([Fixture.view])
                let started = Date()
                #expect(try world.get(world.ports[0], "/photos/1", token: token).status == 200)
                let elapsed = Date().timeIntervalSince(started)
                #expect(elapsed < 1.5, "\(elapsed) s")
                #expect(try world.env.devAS.counts()["/introspect-rpt"] == 1)
                let metrics = try world.env.pep.metrics()
                let timeouts = metrics.value(
                    "uma_pep_redis_errors_total", ["kind": "introspection", "operation": "get", "reason": "timeout"])
                #expect(timeouts == 1)
            }
        }

        /// `AUTH user password` with a Redis 6 ACL user limited to `uma-pep:*` (the password from `${ENV}`); a wrong
        /// password is refused at the handshake: logged (never the password), Redis stays down, requests go on.
        @Test func aclUserAndWrongPassword() async throws {
            guard let binary = RedisServerProcess.locate() else {
                print(RedisServerProcess.missingMessage)
                return
            }
            try await offPool {
                let redis = try RedisServerProcess(binary: binary, directory: try ScratchDirectory())
                let rules = ["on", ">acl-pw-1", "~uma-pep:*", "+get", "+set", "+ping", "+select"]
                #expect(try redis.command(["ACL", "SETUSER", "uma-pep"] + rules) == "+OK")
                for (password, works) in [("acl-pw-1", true), ("wrong-pw-2", false)] {
                    let config = Fixture.config(
                        extra: """
                            cache:
                              redis:
                                url: redis://uma-pep:${REDIS_PASSWORD}@127.0.0.1:\(redis.port)/0
                                max_backoff: 200ms
                            """)
                    let env = try E2EEnvironment(config: config, environment: ["REDIS_PASSWORD": password])
                    let deadline = Date().addingTimeInterval(5)
                    var up = -1.0
                    while Date() < deadline {
                        up = try env.pep.metrics().value("uma_pep_redis_up")
                        if works ? up == 1 : env.pep.process.stderr.contains("refused the handshake") { break }
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                    #expect(up == (works ? 1 : 0), "\(env.pep.diagnostics())")
                    let token = try env.devAS.mintToken([Fixture.view])
                    #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                    if works {
                        let written = Date().addingTimeInterval(5)
                        while Date() < written, try redis.command(["DBSIZE"]) != ":2" {
                            Thread.sleep(forTimeInterval: 0.02)
                        }
                        #expect(try redis.command(["DBSIZE"]) == ":2")
                    } else {
                        #expect(env.pep.process.stderr.contains("refused the handshake"))
                        #expect(!env.pep.process.stderr.contains(password))
                    }
                }
            }
        }

        /// A "Redis" that answers every command twice, or sends a reply before any command: hiredis 0.14 aborts
        /// the process on such a reply; uma-pep refuses it, drops the connection and goes on without Redis.
        @Test(arguments: [ChattyRedis.Mode.doubleReplies, .replyFirst])
        func unsolicitedRepliesNeverCrash(mode: ChattyRedis.Mode) async throws {
            try await offPool {
                let chatty = try ChattyRedis(mode: mode)
                defer { chatty.stop() }
                let config = Fixture.config(extra: "cache:\n  redis:\n    url: redis://127.0.0.1:\(chatty.port)")
                let env = try E2EEnvironment(config: config)
                for index in 0..<6 {
                    let token = try env.devAS.mintToken([Fixture.view])
                    #expect(try env.send("GET", "/photos/\(index)", token: token).status == 200)
                    Thread.sleep(forTimeInterval: 0.2)
                }
                #expect(chatty.connections > 1, "the connection was dropped and tried again")
                #expect(env.pep.process.isRunning, "\(env.pep.diagnostics())")
            }
        }

        /// A "Redis" that accepts connections but never answers (a hung server): requests never wait on it
        /// beyond the connection attempt, which never becomes ready; everything is answered by the AS.
        @Test func silentRedisNeverHoldsRequests() async throws {
            try await offPool {
                let silent = try SilentListener()
                let config = Fixture.config(
                    extra: """
                        cache:
                          redis:
                            url: redis://127.0.0.1:\(silent.port)
                            connect_timeout: 200ms
                        """)
                let env = try E2EEnvironment(config: config)
                let started = Date()
                for index in 0..<5 {
                    let token = try env.devAS.mintToken([Fixture.view])
                    #expect(try env.send("GET", "/photos/\(index)", token: token).status == 200)
                }
                #expect(Date().timeIntervalSince(started) < 5)
                #expect(try env.pep.metrics().value("uma_pep_redis_up") == 0)
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline, !env.pep.process.stderr.contains("Redis connection timed out") {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                #expect(env.pep.process.stderr.contains("Redis connection timed out"), "\(env.pep.diagnostics())")
            }
        }
    }
}

/// A loopback listener that never accepts: connections complete (the kernel's backlog) and get no answer.
final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw E2EError.unexpected("silent listener: bind failed")
        }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(self.fd) }
}

/// A loopback "Redis" that misbehaves: `doubleReplies` answers every read with two `+OK`; `replyFirst` sends a
/// reply as soon as a connection is accepted, then one per read.
final class ChattyRedis: @unchecked Sendable {
    enum Mode: Sendable { case doubleReplies, replyFirst }

    let port: Int
    private let socket: SilentListener
    private var listener: Int32 { self.socket.fd }
    private let lock = NSLock()
    private var accepted = 0
    private var stopped = false

    var connections: Int { self.lock.withLock { self.accepted } }

    init(mode: Mode) throws {
        self.socket = try SilentListener()
        self.port = self.socket.port
        let thread = Thread { [self] in
            while !self.lock.withLock({ self.stopped }) {
                var poller = pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                let client = accept(self.listener, nil, nil)
                guard client >= 0 else { continue }
                self.lock.withLock { self.accepted += 1 }
                Thread {
                    let reply = Array((mode == .doubleReplies ? "+OK\r\n+OK\r\n" : "+OK\r\n").utf8)
                    if mode == .replyFirst { _ = send(client, reply, reply.count, Int32(MSG_NOSIGNAL)) }
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while recv(client, &buffer, buffer.count, 0) > 0 {
                        _ = send(client, reply, reply.count, Int32(MSG_NOSIGNAL))
                    }
                    close(client)
                }.start()
            }
        }
        thread.start()
    }

    func stop() {
        self.lock.withLock { self.stopped = true }
    }
}
