import Foundation

/// `uma-pep serve --config FILE` as a process: its proxy and admin ports (from the `listening on` lines), readiness
/// (`/readyz`), metrics (`/metrics`) and resident memory.
final class PEPProcess: @unchecked Sendable {
    let process: ManagedProcess
    let proxyPort: Int
    let adminPort: Int

    /// Starts `serve` on `configPath` with `environment` (and `extraArguments`, e.g. `--watch-config`) and waits
    /// until both listeners are bound. The access log (one `info` line per request) goes to the stderr file, for
    /// `diagnostics()`.
    init(
        configPath: String, environment: [String: String], directory: ScratchDirectory, name: String = "serve",
        accessLog: Bool = true, extraArguments: [String] = []
    ) throws {
        self.process = try ManagedProcess(
            name: name,
            arguments: ["serve", "--config", configPath]
                + (accessLog ? ["--log-level", "info"] : ["--log-level", "warning", "--no-access-log"])
                + extraArguments,
            environment: environment, directory: directory.url)
        let listeners = try self.process.waitForListeners(count: 2)
        guard let proxy = listeners.first(where: { $0.label.hasSuffix("proxy") }),
            let admin = listeners.first(where: { $0.label.hasSuffix("admin") })
        else { throw E2EError.startFailed("serve: unexpected listener lines \(listeners)") }
        self.proxyPort = proxy.port
        self.adminPort = admin.port
    }

    /// Polls `GET /readyz` on the admin port until it answers 200 (bounded).
    /// - Throws: `E2EError.startFailed` with the last readiness body and stderr when `timeout` passes.
    func waitUntilReady(timeout: Double = 15) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            if let response = try? HTTP.request(port: self.adminPort, "GET", "/readyz", host: "127.0.0.1") {
                if response.status == 200 { return }
                last = "\(response.status) \(response.bodyText)"
            }
            guard self.process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw E2EError.startFailed("serve not ready: \(last)\n\(self.process.stderr)")
    }

    /// The last `lines` lines of the process's stderr (logs and access log), for failure messages.
    func diagnostics(lines: Int = 40) -> String {
        self.process.stderr.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// The parsed `GET /metrics` exposition.
    func metrics() throws -> MetricsSnapshot {
        let response = try HTTP.request(port: self.adminPort, "GET", "/metrics", host: "127.0.0.1")
        guard response.status == 200 else { throw E2EError.unexpected("GET /metrics: \(response.status)") }
        return MetricsSnapshot(text: response.bodyText)
    }
}

/// A Prometheus text exposition, parsed into samples.
struct MetricsSnapshot {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let samples: [Sample]
    let text: String

    init(text: String) {
        self.text = text
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            if let brace = series.firstIndex(of: "{") {
                let name = String(series[..<brace])
                let close = series.lastIndex(of: "}") ?? series.endIndex
                let labels = Self.parseLabels(String(series[series.index(after: brace)..<close]))
                samples.append(Sample(name: name, labels: labels, value: value))
            } else {
                samples.append(Sample(name: String(series), labels: [:], value: value))
            }
        }
        self.samples = samples
    }

    /// `a="x",b="y\"z"` → `[a: x, b: y"z]`.
    static func parseLabels(_ text: String) -> [String: String] {
        var labels: [String: String] = [:]
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            var name = ""
            while i < chars.count, chars[i] != "=" { name.append(chars[i]); i += 1 }
            i += 2  // `="`
            var value = ""
            while i < chars.count, chars[i] != "\"" {
                if chars[i] == "\\", i + 1 < chars.count {
                    i += 1
                    value.append(chars[i] == "n" ? "\n" : chars[i])
                } else {
                    value.append(chars[i])
                }
                i += 1
            }
            i += 1  // closing quote
            if i < chars.count, chars[i] == "," { i += 1 }
            labels[name.trimmingCharacters(in: .whitespaces)] = value
        }
        return labels
    }

    /// The value of the sample `name` whose labels include `labels` (summed over the other labels); 0 if none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }

    /// Every sample named `name`.
    func samples(_ name: String) -> [Sample] { self.samples.filter { $0.name == name } }
}
