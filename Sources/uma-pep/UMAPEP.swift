import ArgumentParser
import DevAuthorizationServer
import Foundation
import Logging
import PEPProxy
import UMAClient
import UMAPEPRuntime

/// `uma-pep`: a UMA 2.0 Policy Enforcement Point reverse proxy (DESIGN.md "The product in one picture").
@main
struct UMAPEP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uma-pep",
        abstract: "A UMA 2.0 Policy Enforcement Point reverse proxy.",
        discussion: """
            uma-pep takes the place of Gluu Gateway's gluu-uma-auth and gluu-uma-pep Kong plugins in front of an \
            API, talking to an oxd server or directly to a UMA 2.0 authorization server.

            Start with `uma-pep demo`: the proxy, a development authorization server and a demo API on loopback, \
            configured like the Gluu Gateway UMA tutorial.
            """,
        version: UMAPEPVersion.string,
        subcommands: [
            Serve.self, Demo.self, DevAS.self, RP.self, CheckConfig.self, UpstreamCommand.self, Import.self,
            Version.self,
        ])
}

/// The product version.
enum UMAPEPVersion {
    static let string = PEPRuntime.version
}

/// Options every long-running command shares.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(help: "Do not write the per-request access log.")
    var noAccessLog = false

    /// Bootstraps swift-log once (stderr) and returns a logger with the chosen level.
    func makeLogger(label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: self.logLevel) else {
            throw ValidationError("unknown --log-level '\(self.logLevel)'")
        }
        LoggingBootstrapper.bootstrapOnce()
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

enum LoggingBootstrapper {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()

    static func bootstrapOnce() { _ = Self.once }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print versions of uma-pep and its libraries.")

    func run() {
        say("uma-pep \(UMAPEPVersion.string)")
        say("libevent \(LibeventInfo.version)")
        say("\(CurlInfo.version)")
        say("\(OpenSSLInfo.version)")
    }
}

/// Writes a line to standard output unbuffered (the demo and serve announce their ports; tests read them).
func say(_ line: String) {
    Console.write(line + "\n")
}

enum Console {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Bind failures in words the user can act on: which option picks another address.
enum ListenFailure {
    /// The option whose port appears in `error`'s message (`127.0.0.1:8000` → `--proxy-port`), if any.
    static func option(for error: any Error, ports: [(port: Int, option: String)]) -> String? {
        let text = "\(error)"
        for (port, option) in ports where port != 0 {
            var search = text[...]
            while let range = search.range(of: ":\(port)") {
                let next = search[range.upperBound...].first
                if next == nil || !next!.isNumber { return option }
                search = search[range.upperBound...]
            }
        }
        return nil
    }

    /// `error` with a hint naming `option` when it is a bind failure (a port in use, or not allowed).
    static func message(_ error: any Error, option: String?) -> String {
        guard let option, "\(error)".contains("cannot listen on") else { return "\(error)" }
        return "\(error)\nhint: choose another port with \(option)"
    }
}
