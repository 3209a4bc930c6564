import Foundation

/// One long-running `uma-pep` subcommand started for a test (STYLE rule 23): its stdout and stderr go to files in
/// the test's scratch directory, the ports it binds are read from its `… listening on HOST:PORT` lines, and it
/// is stopped (SIGTERM, then SIGKILL after a bound) by `stop()` or at the latest when the object is released, so
/// no process outlives its test.
final class ManagedProcess: @unchecked Sendable {
    /// A `<label> listening on HOST:PORT` line.
    struct Listener: Equatable {
        var label: String
        var host: String
        var port: Int
    }

    let name: String
    private let process: Process
    let stdoutURL: URL
    let stderrURL: URL
    private let lock = NSLock()
    private var stopped = false

    /// Starts `uma-pep arguments…` with `environment` (added to a minimal `PATH`/`HOME` environment), its stdin read
    /// from `input` (default: empty).
    /// - Throws: `E2EError.startFailed` when the binary cannot be started.
    init(
        name: String, arguments: [String], environment: [String: String] = [:], input: URL? = nil, directory: URL
    ) throws {
        self.name = name
        self.stdoutURL = directory.appendingPathComponent("\(name).stdout")
        self.stderrURL = directory.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: self.stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: self.stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = UMAPEPProcess.binaryURL
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory.path]
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = directory
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: self.stdoutURL)
        process.standardError = try FileHandle(forWritingTo: self.stderrURL)
        do {
            try process.run()
        } catch {
            throw E2EError.startFailed("\(name): \(error)")
        }
        self.process = process
    }

    deinit { self.stop() }

    /// The process id (for `/proc/<pid>/status`).
    var pid: Int32 { self.process.processIdentifier }

    /// Whether the process is still running.
    var isRunning: Bool { self.process.isRunning }

    /// Everything written to stdout so far.
    var stdout: String { (try? String(contentsOf: self.stdoutURL, encoding: .utf8)) ?? "" }

    /// Everything written to stderr so far.
    var stderr: String { (try? String(contentsOf: self.stderrURL, encoding: .utf8)) ?? "" }

    /// Waits (bounded) until stdout holds `count` `listening on` lines; returns them in order.
    /// - Throws: `E2EError.startFailed` with the process's stderr when it exits or `timeout` passes first.
    func waitForListeners(count: Int, timeout: Double = 15) throws -> [Listener] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let listeners = Self.parseListeners(self.stdout)
            if listeners.count >= count { return Array(listeners.prefix(count)) }
            if !self.process.isRunning {
                throw E2EError.startFailed(
                    "\(self.name) exited (status \(self.process.terminationStatus)) before listening:\n\(self.stderr)")
            }
            if Date() > deadline {
                throw E2EError.startFailed(
                    "\(self.name) did not report \(count) listeners in \(timeout)s:\n\(self.stderr)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// The `listening on HOST:PORT` lines of `text`.
    static func parseListeners(_ text: String) -> [Listener] {
        var out: [Listener] = []
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: " listening on ") else { continue }
            let label = String(line[..<range.lowerBound])
            let rest = line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," }
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else {
                continue
            }
            out.append(Listener(label: label, host: String(rest[..<colon]), port: port))
        }
        return out
    }

    /// Waits (bounded) for the process to exit by itself; returns its status, or nil after killing it when
    /// `timeout` passes first.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if self.process.isRunning {
            self.stop(grace: 1)
            return nil
        }
        self.process.waitUntilExit()
        return self.process.terminationStatus
    }

    /// Runs `uma-pep arguments…` to completion within `timeout` (killed after it), stdin read from `input`.
    /// - Returns: exit status (nil on timeout), stdout, stderr.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], input: URL? = nil, directory: ScratchDirectory,
        name: String = "run", timeout: Double = 30
    ) throws -> (status: Int32?, stdout: String, stderr: String) {
        let process = try ManagedProcess(
            name: name, arguments: arguments, environment: environment, input: input, directory: directory.url)
        let status = process.waitForExit(timeout: timeout)
        return (status, process.stdout, process.stderr)
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds; waits for the exit. Idempotent.
    func stop(grace: Double = 3) {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard !self.stopped else { return }
        self.stopped = true
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while self.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
        }
        self.process.waitUntilExit()
    }

    /// SIGKILL at once (simulates a crashed peer); waits for the exit.
    func kill9() {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard !self.stopped else { return }
        self.stopped = true
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    /// The exit status after `stop()` / `kill9()` (or a natural exit).
    var terminationStatus: Int32 { self.process.terminationStatus }

    /// Resident set size in KiB from `/proc/<pid>/status` (`VmRSS`), or nil when unreadable.
    func residentKiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

/// Harness failures (not product failures): a process that would not start, a hook that answered oddly.
enum E2EError: Error, CustomStringConvertible {
    case startFailed(String)
    case unexpected(String)

    var description: String {
        switch self {
        case .startFailed(let text): return "start failed: \(text)"
        case .unexpected(let text): return text
        }
    }
}

/// A scratch directory for one test's processes and files, removed when released.
final class ScratchDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("uma-pep-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: self.url) }

    /// Writes `text` to `name` in the directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = self.url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}
