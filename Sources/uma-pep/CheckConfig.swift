import ArgumentParser
import Foundation
import UMAPEPRuntime

/// `uma-pep check-config FILE` (or `--config FILE`, as `serve` takes it): validates a configuration and prints the
/// compiled routes and rules.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file.",
        discussion: """
            Prints the compiled routes and rules (and warnings about settings that cannot work as written), or the \
            first error; exits non-zero on an error.
            """)

    @Argument(help: "The configuration file.")
    var file: String?

    @Option(name: .shortAndLong, help: "The configuration file (the same as FILE, as `serve --config` takes it).")
    var config: String?

    func validate() throws {
        switch (self.file, self.config) {
        case (nil, nil): throw ValidationError("Missing the configuration file: check-config FILE (or --config FILE).")
        case (.some, .some): throw ValidationError("Give the configuration file once: FILE or --config FILE.")
        default: break
        }
    }

    func run() throws {
        let configuration = try ConfigFile.load(self.file ?? self.config ?? "")
        Console.write(configuration.checkReport())
    }
}
