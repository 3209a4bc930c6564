import Foundation

/// Files of the repository this test target was built from (found through `#filePath`).
enum Repository {
    /// The package root.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // EndToEndTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The path of `relative` under the root.
    static func path(_ relative: String) -> String {
        self.root.appendingPathComponent(relative).path
    }
}
