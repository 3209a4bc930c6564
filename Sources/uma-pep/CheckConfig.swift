import ArgumentParser
import Foundation
import UMAPEPRuntime

/// `uma-pep check-config FILE`: validates a configuration and prints the compiled routes and rules.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file.",
        discussion: """
            Prints the compiled routes and rules (and warnings about settings that cannot work as written), or the \
            first error; exits non-zero on an error.
            """)

    @Argument(help: "The configuration file.")
    var file: String

    func run() throws {
        let configuration = try ConfigFile.load(self.file)
        Console.write(configuration.checkReport())
    }
}
