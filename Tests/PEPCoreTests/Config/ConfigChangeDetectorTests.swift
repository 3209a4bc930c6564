import PEPCore
import Testing

/// `serve --watch-config`'s decision: reload only when the file's bytes changed (ConfigChangeDetector).
@Suite struct ConfigChangeDetectorTests {
    /// One observation: the file's bytes (`nil`: unreadable) and whether it calls for a reload.
    struct Step: Sendable, CustomStringConvertible {
        var bytes: String?
        var reload: Bool
        var description: String { "\(self.bytes ?? "<unreadable>") -> \(self.reload)" }
    }

    static let cases: [(initial: String?, steps: [Step])] = [
        // An event that leaves the file as it was (a touch, the kubelet removing the old version): no reload.
        ("a: 1", [Step(bytes: "a: 1", reload: false)]),
        // A new version: one reload, and the same bytes again are not a second one.
        ("a: 1", [Step(bytes: "a: 2", reload: true), Step(bytes: "a: 2", reload: false)]),
        // Unreadable between an unlink and a rename: not a change, and the reference stays the old bytes.
        ("a: 1", [Step(bytes: nil, reload: false), Step(bytes: "a: 1", reload: false)]),
        ("a: 1", [Step(bytes: nil, reload: false), Step(bytes: "a: 3", reload: true)]),
        // A bad version is tried once; going back to the version in force is a change again (reloaded).
        ("a: 1", [Step(bytes: "[", reload: true), Step(bytes: "[", reload: false), Step(bytes: "a: 1", reload: true)]),
        // Unknown at start: the first readable state counts as a change.
        (nil, [Step(bytes: "a: 1", reload: true), Step(bytes: "a: 1", reload: false)]),
    ]

    @Test(arguments: Self.cases.indices)
    func decides(_ index: Int) {
        let (initial, steps) = Self.cases[index]
        var detector = ConfigChangeDetector(initial: initial.map { Array($0.utf8) })
        for step in steps {
            #expect(detector.observe(step.bytes.map { Array($0.utf8) }) == step.reload, "\(step)")
        }
        let lastReadable = steps.last { $0.bytes != nil }?.bytes ?? initial
        #expect(detector.lastSeen == lastReadable.map { Array($0.utf8) })
    }
}
