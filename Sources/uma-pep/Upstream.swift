import ArgumentParser
import Foundation
import PEPProxy
import UMAPEPRuntime

/// `uma-pep upstream`: the demo upstream API alone (`/posts`, `/todos`, `/photos`, `/_echo/**`), for tests and
/// benchmarks that need a real upstream process.
struct UpstreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Run the demo upstream API.",
        discussion: """
            Serves /posts, /posts/{id}, /todos and /photos (JSON, like the tutorial's public test API), /public/** \
            (a small JSON body, for the tutorial's public rule) and /_echo/** (echoes the method, path, query and \
            headers it received).
            """)

    @Option(help: "Address to listen on (port 0 = any free port, printed on start).")
    var listen: String = "127.0.0.1:9000"

    @Option(help: "Worker threads.")
    var workers = 1

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        Signals.installTerminationHandling()
        let logger = try self.logging.makeLogger(label: "uma-pep.upstream")
        let server = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(parsing: self.listen), role: .local(DemoUpstreamResponder()),
                    name: "upstream")
            ],
            workers: self.workers, limits: ServerLimits(), logger: logger)
        let bound: [SocketAddress]
        do {
            bound = try server.start()
        } catch {
            throw CLIError(ListenFailure.message(error, option: "--listen (127.0.0.1:0 picks any free port)"))
        }
        say("uma-pep upstream: listening on \(bound[0])")
        Signals.onTerminate { server.shutdown(graceful: false) }
        server.waitUntilStopped()
    }
}
