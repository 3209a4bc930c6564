import Foundation
import Testing

extension EndToEnd {
    /// The access log (`access_log`, docs/operations.md): buffered per worker, written at the flush interval and at
    /// exit, reopened on SIGUSR1, text or JSON lines, never a token.
    @Suite struct AccessLog {
        /// A file outside the environment's own scratch directory (the path goes into the config first).
        static func logFile() throws -> (ScratchDirectory, String) {
            let scratch = try ScratchDirectory()
            return (scratch, scratch.url.appendingPathComponent("access.log").path)
        }

        static func lines(_ path: String) -> [String] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").map(String.init)
        }

        static func json(_ line: String) -> [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }

        /// JSON lines in a file: one per request with the outcome's detail, never the token; after logrotate
        /// moves the file, SIGUSR1 makes uma-pep write to a new one.
        @Test func jsonFileIsReopenedOnSIGUSR1() async throws {
            try await offPool {
                let (directory, path) = try Self.logFile()
                _ = directory
                let env = try E2EEnvironment(
                    config: Fixture.config(
                        extra: "access_log: {destination: \"${ACCESS_LOG}\", format: json, flush: 100ms}"),
                    environment: ["ACCESS_LOG": path])
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(try env.send("GET", "/photos/2").status == 401)
                #expect(eventually(5) { Self.lines(path).count == 2 }, "\(Self.lines(path))")
                // Each worker writes its own buffer: lines of different workers need not be in time order.
                let objects = Self.lines(path).compactMap(Self.json)
                #expect(objects.count == 2)
                let granted = objects.first { $0["path"] as? String == "/photos/1" }
                let refused = objects.first { $0["path"] as? String == "/photos/2" }
                #expect(granted?["decision"] as? String == "pep.granted")
                #expect(granted?["status"] as? Int == 200)
                #expect(granted?["service"] as? String == "api")
                #expect(refused?["status"] as? Int == 401)
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                #expect(!text.contains(token))
                // Nothing goes to stderr when the log has a file of its own.
                #expect(!env.pep.process.stderr.contains("access worker="))

                let rotated = path + ".1"
                try FileManager.default.moveItem(atPath: path, toPath: rotated)
                kill(env.pep.process.pid, SIGUSR1)
                #expect(eventually(10) { env.pep.process.stderr.contains("access log reopened") })
                #expect(try env.send("GET", "/photos/3", token: token).status == 200)
                #expect(eventually(5) { Self.lines(path).count == 1 }, "\(Self.lines(path))")
                #expect(Self.json(Self.lines(path).first ?? "")?["path"] as? String == "/photos/3")
                #expect(Self.lines(rotated).count == 2)
            }
        }

        /// Lines wait in the worker's buffer (here for up to an hour) and are all written when the process stops.
        @Test func bufferedLinesAreWrittenAtExit() async throws {
            try await offPool {
                let (directory, path) = try Self.logFile()
                _ = directory
                let env = try E2EEnvironment(
                    config: Fixture.config(extra: "access_log: {destination: \"${ACCESS_LOG}\", flush: 1h}"),
                    environment: ["ACCESS_LOG": path])
                for index in 0..<5 {
                    #expect(try env.send("GET", "/public/\(index)").status == 200)
                }
                Thread.sleep(forTimeInterval: 0.3)
                #expect(Self.lines(path).isEmpty)
                env.pep.process.stop(grace: 10)
                let lines = Self.lines(path)
                #expect(lines.count == 5, "\(lines)")
                for index in 0..<5 {
                    #expect(lines.contains { $0.contains(" path=/public/\(index) ") && $0.contains(" status=200 ") })
                }
            }
        }

        /// A head refused before any exchange began (here obs-fold, RFC 9112 §5.2) is logged like any request:
        /// its status and detail, no method, path or service (they were not trusted), the client's address.
        @Test func refusedHeadsAreLogged() async throws {
            try await offPool {
                let (directory, path) = try Self.logFile()
                _ = directory
                let env = try E2EEnvironment(
                    config: Fixture.config(extra: "access_log: {destination: \"${ACCESS_LOG}\", flush: 100ms}"),
                    environment: ["ACCESS_LOG": path])
                let answer = try HTTP.raw(
                    port: env.pep.proxyPort, Array("GET /public/x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n b\r\n\r\n".utf8))
                #expect(answer.status == 400)
                #expect(eventually(5) { Self.lines(path).count == 1 }, "\(Self.lines(path))")
                let line = Self.lines(path).first ?? ""
                for field in [
                    " peer=127.0.0.1 ", " decision=http1.obs_fold ", " method=- ", " path=- ", " service=- ",
                    " status=400 ", " upstream_ms=- ",
                ] {
                    #expect(line.contains(field), "\(field) in \(line)")
                }
            }
        }

        /// A destination that cannot be opened stops `serve` at start with the field and the reason.
        @Test func unopenableFileRefusesToStart() async throws {
            try await offPool {
                let scratch = try ScratchDirectory()
                let config = try scratch.write(
                    "config.yaml",
                    Fixture.config(extra: "access_log: {destination: /nonexistent-uma-pep-dir/access.log}"))
                let result = try ManagedProcess.run(
                    ["serve", "--config", config],
                    environment: ["OXD_URL": "http://127.0.0.1:9", "UPSTREAM_URL": "http://127.0.0.1:9"],
                    directory: scratch, timeout: 20)
                #expect(result.status != nil && result.status != 0)
                #expect(result.stderr.contains("access_log.destination"), "\(result.stderr)")
                #expect(result.stderr.contains("/nonexistent-uma-pep-dir/access.log"))
            }
        }
    }
}
