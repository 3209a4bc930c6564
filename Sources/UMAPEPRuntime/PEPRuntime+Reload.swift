import Foundation
import Logging
import PEPCore

/// What one reload did (SIGHUP or the admin API's `POST /reload`; both run ``PEPRuntime/reload(trigger:)``).
public struct ReloadReport: Sendable {
    /// `true` when the new configuration is in force.
    public var reloaded: Bool
    /// Why it was not (the file does not load, or cannot be served: the message names the field); the old
    /// configuration stays in force. `nil` when `reloaded`.
    public var error: String?
    /// What was not applied (restart-only settings) and new services' metrics.
    public var warnings: [String] = []
    /// The new configuration's advisories (`check-config`'s "Warnings:").
    public var advisories: [String] = []
    /// The configuration generation in force afterwards (1 at start, +1 per successful reload).
    public var generation: Int
    /// TLS listeners whose certificates were loaded again.
    public var tlsListeners: Int = 0
    /// Why the TLS certificates were not reloaded (the previous ones stay in use), or `nil`.
    public var tlsError: String?
}

extension PEPRuntime {
    /// Sets where ``reload(trigger:)`` reads the configuration (`serve`: loading its `--config` file again).
    public func setConfigurationSource(_ source: @escaping @Sendable () throws -> PEPConfiguration) {
        self.configurationSource.withLock { $0 = source }
    }

    /// Reloads what can be reloaded without a restart, as SIGHUP does (docs/operations.md): the configuration
    /// from the configuration source (``reload(configuration:)``; a file that does not load or cannot be served
    /// keeps the old one in force), then the TLS listeners' certificates (``reloadTLS()``). Logs the outcome with
    /// `trigger` as prefix (`SIGHUP: configuration reloaded`). One reload at a time; a second caller waits.
    /// - Parameter trigger: `SIGHUP` or `POST /reload`, for the log lines.
    /// - Returns: what happened (never throws: failures are in the report).
    @discardableResult
    public func reload(trigger: String) -> ReloadReport {
        self.reloadLock.lock()
        defer { self.reloadLock.unlock() }
        var report = ReloadReport(reloaded: false, generation: self.generationNumber)
        if let source = self.configurationSource.withLock({ $0 }) {
            do {
                let configuration = try source()
                report.warnings = try self.reload(configuration: configuration)
                report.reloaded = true
                report.advisories = configuration.advisories.map(\.description)
                report.generation = self.generationNumber
                self.recordConfigReload(succeeded: true)
                self.logger.notice(
                    "\(trigger): configuration reloaded",
                    metadata: ["file": "\(configuration.sourceFile)", "generation": "\(report.generation)"])
                for warning in report.warnings { self.logger.warning("\(trigger): \(warning)") }
                for advisory in report.advisories { self.logger.warning("\(trigger): configuration: \(advisory)") }
            } catch {
                report.error = "\(error)"
                self.recordConfigReload(succeeded: false)
                self.logger.error("\(trigger): configuration NOT reloaded, the old one stays in force: \(error)")
            }
        } else {
            report.error = "no configuration file to reload (uma-pep serve --config reads one)"
        }
        do {
            report.tlsListeners = try self.reloadTLS()
            if report.tlsListeners > 0 {
                self.logger.notice(
                    "\(trigger): TLS certificates reloaded", metadata: ["listeners": "\(report.tlsListeners)"])
            }
        } catch {
            report.tlsError = "\(error)"
            self.logger.error("\(trigger): TLS certificates NOT reloaded: \(error)")
        }
        return report
    }

    /// The configuration generation in force (1 at start, +1 per successful reload).
    var generationNumber: Int { self.generation.withLock { $0.number } }

    /// Starts probing the authorization servers when `readiness.require_authorization_server` is set; the new
    /// probe starts from the results of the one it replaces (a reload), so `/readyz` does not fail until it
    /// has probed.
    func startReachabilityProbe(_ configuration: PEPConfiguration) {
        guard configuration.readiness.requireAuthorizationServer else {
            self.reachability.withLock { $0 = nil }
            return
        }
        let probe = AuthorizationServerProbe(
            servers: configuration.authorizationServers, readiness: self.readiness,
            previous: self.reachability.withLock { $0 })
        self.reachability.withLock { $0 = probe }
        probe.start()
    }
}
