import Synchronization

/// Open client connections on an `HTTPServer`'s proxy listeners, across workers (admin and other local
/// listeners are not counted): read by tests, reported to `onChange` (the `uma_pep_downstream_connections`
/// gauge) as each one opens and closes.
///
/// Thread rules: any thread (an atomic counter; `onChange` must be thread-safe).
public final class ConnectionTally: Sendable {
    private let open = Atomic<Int>(0)
    private let onChange: (@Sendable (_ opened: Bool) -> Void)?

    /// - Parameter onChange: called with `true` when a connection opens, `false` when it closes.
    public init(onChange: (@Sendable (_ opened: Bool) -> Void)? = nil) {
        self.onChange = onChange
    }

    /// Connections open now.
    public var count: Int { self.open.load(ordering: .relaxed) }

    func opened() {
        self.open.add(1, ordering: .relaxed)
        self.onChange?(true)
    }

    func closed() {
        self.open.subtract(1, ordering: .relaxed)
        self.onChange?(false)
    }
}
