import Foundation
import Testing

@Suite struct BinaryTests {
    /// The built `uma-pep` binary runs and reports its linked libraries.
    @Test func versionSubcommandRuns() throws {
        let result = try UMAPEPProcess.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("libevent 2."))
    }

}
