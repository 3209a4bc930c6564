import Foundation
import Synchronization
import Testing

extension EndToEnd {
    /// `limits.uncached_requests_per_turn` and `limits.control_plane_nice` (docs/security.md, "Authorization-server
    /// call amplification"): requests of connections without a cached grant start a few per loop turn, the rest
    /// wait their turn (none is lost or starved), kept-alive granted connections skip the line, and the thread
    /// that calls the authorization server runs at a lower priority than the workers.
    @Suite struct UncachedAdmission {
        /// One a turn while granted traffic flows: a granted client sends request after request on its kept-alive
        /// connection while 60 connections send unknown tokens in six waves; every one of the 60 gets its 401
        /// (some waited, counted; none was dropped), and every granted request gets 200.
        @Test func waitingRequestsAreAllAnsweredAndGrantsSkipTheLine() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(extra: "limits: {uncached_requests_per_turn: 1}"))
                let cached = try env.devAS.mintToken([Fixture.view])
                let granted = try RawClient(port: env.pep.proxyPort)
                let stop = Mutex(false)
                let grantedStatuses = Mutex<[Int]>([])
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let deadline = Date().addingTimeInterval(15)
                    while !stop.withLock({ $0 }), Date() < deadline {
                        granted.send(LoadDriver.get("/photos/1", host: "api.test", token: cached))
                        let status = granted.readResponse(timeout: 10)?.status ?? 0
                        grantedStatuses.withLock { $0.append(status) }
                    }
                    done.signal()
                }
                var clients: [RawClient] = []
                for _ in 0..<60 { clients.append(try RawClient(port: env.pep.proxyPort)) }
                for wave in 0..<6 {
                    for client in clients[(wave * 10)..<(wave * 10 + 10)] {
                        client.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                    }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                let answers = RawClient.readResponses(clients, timeout: 20)
                stop.withLock { $0 = true }
                done.wait()
                let statuses = answers.map { $0?.response.status ?? 0 }
                #expect(statuses.allSatisfy { $0 == 401 }, "\(statuses)\n\(env.diagnostics())")
                #expect(try env.devAS.counts()["/introspect-rpt"] ?? 0 >= 60)
                let grantedSeen = grantedStatuses.withLock { $0 }
                #expect(grantedSeen.count >= 10 && grantedSeen.allSatisfy { $0 == 200 }, "\(grantedSeen)")
                // The worker the granted client is on starts one uncached request a turn: some of the 60 waited.
                let waited = try env.pep.metrics().value("uma_pep_requests_waited_total")
                #expect(waited >= 1 && waited <= 60, "\(waited)")
            }
        }

        /// `limits.uncached_requests_per_second`: while a granted client keeps the worker busy, one kept-alive
        /// connection sends 25 requests with unknown tokens one after the other. Its first two start at once; each
        /// later one (after two refusals in a row) needs a credit of a bucket of 10 a second (holding one), so the
        /// 25 take at least 2 s, every one is answered (401), and the granted client's requests all get 200. A
        /// client refused once before it is granted (the UMA flow: no token, `401`, then the RPT) is never paced.
        /// With `trusted_proxies` naming the client's address, or the pace off (`0`), none of those requests waits.
        @Test(arguments: [
            ("limits: {uncached_requests_per_turn: 0, uncached_requests_per_second: 10}", true),
            ("limits: {uncached_requests_per_turn: 0, uncached_requests_per_second: 0}", false),
            (
                "limits: {uncached_requests_per_turn: 0, uncached_requests_per_second: 10}\ntrusted_proxies: [127.0.0.1]",
                false
            ),
        ])
        func aConnectionThatKeepsMissingIsPacedWhileGrantedTrafficCompetes(extra: String, paced: Bool)
            async throws
        {
            try await offPool {
                // One worker: the pace is the worker's, and both clients must meet on it.
                let config = Fixture.config(extra: extra).replacingOccurrences(of: "workers: 2", with: "workers: 1")
                let env = try E2EEnvironment(config: config)
                let cached = try env.devAS.mintToken([Fixture.view])
                let granted = try RawClient(port: env.pep.proxyPort)
                let stop = Mutex(false)
                let grantedStatuses = Mutex<[Int]>([])
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let deadline = Date().addingTimeInterval(20)
                    while !stop.withLock({ $0 }), Date() < deadline {
                        granted.send(LoadDriver.get("/photos/1", host: "api.test", token: cached))
                        let status = granted.readResponse(timeout: 10)?.status ?? 0
                        grantedStatuses.withLock { $0.append(status) }
                    }
                    done.signal()
                }
                defer {
                    stop.withLock { $0 = true }
                    done.wait()
                }
                // The granted client's first request makes the pace apply.
                while grantedStatuses.withLock({ $0.count }) < 5 { Thread.sleep(forTimeInterval: 0.01) }
                let flooding = try RawClient(port: env.pep.proxyPort)
                let started = Date()
                var statuses: [Int] = []
                for _ in 0..<25 {
                    flooding.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                    statuses.append(flooding.readResponse(timeout: 10)?.status ?? 0)
                }
                let elapsed = Date().timeIntervalSince(started)
                #expect(statuses == Array(repeating: 401, count: 25), "\(statuses)\n\(env.diagnostics())")
                let waited = try env.pep.metrics().value("uma_pep_requests_waited_total")
                if paced {
                    // 23 paced requests, one credit in the bucket: 22 credits at 10 a second.
                    #expect(elapsed >= 2.0, "\(elapsed) s")
                    #expect(waited >= 19 && waited <= 23, "\(waited)")
                } else {
                    #expect(waited == 0, "\(waited)")
                }
                // The UMA flow on a new kept-alive connection, three times over: no token (401 with a ticket), then
                // the RPT (200). Refused once in a row at most: never paced, so nothing more waits.
                let client = try RawClient(port: env.pep.proxyPort)
                var flow: [Int] = []
                for _ in 0..<3 {
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: nil))
                    flow.append(client.readResponse(timeout: 10)?.status ?? 0)
                    client.send(LoadDriver.get("/photos/1", host: "api.test", token: cached))
                    flow.append(client.readResponse(timeout: 10)?.status ?? 0)
                }
                #expect(flow == [401, 200, 401, 200, 401, 200], "\(flow)")
                #expect(try env.pep.metrics().value("uma_pep_requests_waited_total") == waited)
                let grantedSeen = grantedStatuses.withLock { $0 }
                #expect(grantedSeen.allSatisfy { $0 == 200 }, "\(grantedSeen)")
            }
        }

        /// A paced request whose client closes while it waits is dropped unanswered: it costs no authorization-server
        /// call and frees its connection at once. One credit a second; the connection's third request takes the
        /// bucket's one credit, its fourth waits, and the client closes right after sending it.
        @Test func aPacedRequestWhoseClientLeavesIsDroppedUnanswered() async throws {
            try await offPool {
                let config = Fixture.config(
                    extra: "limits: {uncached_requests_per_turn: 0, uncached_requests_per_second: 1}"
                ).replacingOccurrences(of: "workers: 2", with: "workers: 1")
                let env = try E2EEnvironment(config: config)
                let cached = try env.devAS.mintToken([Fixture.view])
                let granted = try RawClient(port: env.pep.proxyPort)
                let stop = Mutex(false)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let deadline = Date().addingTimeInterval(15)
                    while !stop.withLock({ $0 }), Date() < deadline {
                        granted.send(LoadDriver.get("/photos/1", host: "api.test", token: cached))
                        _ = granted.readResponse(timeout: 10)
                    }
                    done.signal()
                }
                defer {
                    stop.withLock { $0 = true }
                    done.wait()
                }
                Thread.sleep(forTimeInterval: 0.2)
                let leaving = try RawClient(port: env.pep.proxyPort)
                for _ in 0..<3 {
                    leaving.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                    #expect(leaving.readResponse(timeout: 10)?.status == 401)
                }
                let before = try env.devAS.counts()["/introspect-rpt"] ?? 0
                leaving.send(LoadDriver.get("/photos/1", host: "api.test", token: "RND-\(UUID().uuidString)"))
                _ = shutdown(leaving.fd, Int32(SHUT_RDWR))
                // Past the next credit (1 s): the request would have started by now had it not been dropped.
                Thread.sleep(forTimeInterval: 2.5)
                #expect(try env.devAS.counts()["/introspect-rpt"] ?? 0 == before, "\(env.diagnostics())")
                #expect(try env.pep.metrics().value("uma_pep_requests_waited_total") == 1)
            }
        }

        /// The default nice value 10 on exactly one thread (the control plane); `control_plane_nice: 0` lowers
        /// none.
        @Test(arguments: [(nil, 10), ("0", 0), ("4", 4)] as [(String?, Int)])
        func controlPlaneThreadRunsNiced(setting: String?, expected: Int) async throws {
            try await offPool {
                let extra = setting.map { "limits: {control_plane_nice: \($0)}" } ?? ""
                let env = try E2EEnvironment(config: Fixture.config(extra: extra))
                // Positive values only: libdispatch's manager thread runs at -4 by its own choice.
                let threads = try threadNiceValues(pid: env.pep.process.pid)
                let nices = threads.map(\.nice)
                let niced = nices.filter { $0 > 0 }
                if expected == 0 {
                    #expect(niced.isEmpty, "\(threads)")
                } else {
                    #expect(niced == [expected], "\(threads)")
                }
                // The threads carry their names (Linux keeps at most 15 characters: a longer one is refused).
                #expect(threads.first { $0.name == "uma-pep-control" }?.nice == expected, "\(threads)")
                #expect(threads.contains { $0.name == "uma-pep-wrk-0" }, "\(threads)")
            }
        }

        /// The name (field 2) and the nice value (field 19 of /proc/PID/task/TID/stat) of each thread of `pid`.
        private func threadNiceValues(pid: Int32) throws -> [(name: String, nice: Int)] {
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
            return try tasks.map { tid in
                let stat = try String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8)
                // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
                let close = stat.lastIndex(of: ")")!
                let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
                let rest = stat[stat.index(after: close)...].split(separator: " ")
                return (String(name), Int(rest[16])!)
            }
        }
    }
}
