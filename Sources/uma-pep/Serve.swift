import ArgumentParser
import Foundation
import PEPCore
import Synchronization
import UMAPEPRuntime

/// `uma-pep serve --config FILE`: the proxy (the main job).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the proxy with a configuration file.",
        discussion: """
            The file is YAML or JSON; docs/configuration.md describes every field and `uma-pep check-config FILE` \
            validates it.
            """)

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String

    @Flag(
        help: """
            Reload when the configuration file changes, as SIGHUP does (inotify on its directory; follows a \
            Kubernetes ConfigMap's ..data symlink swap). A file that does not load keeps the old one.
            """)
    var watchConfig = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        Signals.installTerminationHandling()
        let logger = try self.logging.makeLogger(label: "uma-pep")
        let configuration = try ConfigFile.load(self.config)
        let runtime: PEPRuntime
        do {
            runtime = try PEPRuntime(
                configuration: configuration, logger: logger, accessLog: !self.logging.noAccessLog)
        } catch {
            throw CLIError("\(self.config): \(error)")
        }
        let addresses: PEPRuntime.Addresses
        do {
            addresses = try runtime.start()
        } catch {
            throw CLIError("\(error)")
        }
        for advisory in configuration.advisories { logger.warning("configuration: \(advisory)") }
        for address in addresses.proxy { say("uma-pep: proxy listening on \(address)") }
        say("uma-pep: admin listening on \(addresses.admin) (/metrics, /healthz, /readyz, /status, /config, …)")
        Signals.onTerminate { runtime.shutdown(graceful: true) }
        let path = self.config
        // SIGHUP, --watch-config and the admin API's POST /reload share one path, one reload at a time: the
        // configuration first (a file that does not load or cannot be served keeps the old one in force), then the
        // TLS certificates.
        runtime.setConfigurationSource { try ConfigFile.load(path) }
        Signals.onReload { runtime.reload(trigger: "SIGHUP") }
        if self.watchConfig {
            do {
                _ = try ConfigWatcher(path: path) { runtime.reload(trigger: "watch-config") }
            } catch {
                runtime.shutdown(graceful: false)
                throw CLIError("\(error)")
            }
            say("uma-pep: watching \(path) for changes (--watch-config)")
        }
        Signals.onReopenLogs {
            do {
                try runtime.reopenAccessLog()
                logger.notice("SIGUSR1: access log reopened")
            } catch {
                logger.error("SIGUSR1: access log NOT reopened, the old file stays in use: \(error)")
            }
        }
        runtime.waitUntilStopped()
        say("uma-pep: stopped")
    }
}

/// Reading and compiling a configuration file, with errors that name the file and the field.
enum ConfigFile {
    static func load(_ path: String) throws -> PEPConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError("\(path): cannot read the file (\(error.localizedDescription))")
        }
        do {
            return try ConfigLoader.load(
                text: text, fileName: path, environment: ProcessInfo.processInfo.environment,
                coreCount: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// A fatal command-line error: printed to stderr as `error: <message>`, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Graceful stop on SIGTERM / SIGINT (DESIGN.md: stop accepting, drain in-flight requests).
enum Signals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let action = Mutex<(@Sendable () -> Void)?>(nil)

    /// Installs the SIGTERM/SIGINT handling at once (call first thing in a long-running command): a signal that
    /// arrives before `onTerminate` names what to stop simply exits (nothing is running yet to drain).
    static func installTerminationHandling() {
        guard Self.sources.isEmpty else { return }
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                guard let action = Self.action.withLock({ $0 }) else { exit(0) }
                FileHandle.standardError.write(Data("uma-pep: signal \(sig), draining\n".utf8))
                action()
            }
            source.resume()
            Self.sources.append(source)
        }
    }

    /// What SIGTERM/SIGINT stop from now on.
    static func onTerminate(_ action: @escaping @Sendable () -> Void) {
        Self.installTerminationHandling()
        Self.action.withLock { $0 = action }
    }

    /// SIGHUP: reload what can be reloaded without a restart (TLS certificates and keys).
    static func onReload(_ action: @escaping @Sendable () -> Void) {
        Self.on(SIGHUP, action)
    }

    /// SIGUSR1: reopen the access-log file (logrotate's `postrotate`).
    static func onReopenLogs(_ action: @escaping @Sendable () -> Void) {
        Self.on(SIGUSR1, action)
    }

    private static func on(_ sig: Int32, _ action: @escaping @Sendable () -> Void) {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler(handler: action)
        source.resume()
        Self.sources.append(source)
    }
}
