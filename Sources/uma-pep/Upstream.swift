import ArgumentParser
import Foundation
import PEPProxy
import UMAPEPRuntime

/// `uma-pep upstream`: the demo upstream API alone (`/posts`, `/todos`, `/photos`, `/_echo/**`), for tests and
/// benchmarks that need a real upstream process.
struct UpstreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Run the demo upstream API (/posts, /posts/{id}, /todos, /photos, /_echo/**).")

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
        let bound = try server.start()
        say("uma-pep upstream: listening on \(bound[0])")
        Signals.onTerminate { server.shutdown(graceful: false) }
        server.waitUntilStopped()
    }
}
