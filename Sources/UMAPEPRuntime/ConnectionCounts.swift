import Synchronization

/// Downstream connections on the proxy listeners, for the admin API's `GET /status`: open now and accepted
/// since start. Updated once per connection open / close (never per request).
final class ConnectionCounts: Sendable {
    private let open = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)

    /// Counts a connection opening (`true`) or closing (`false`).
    func record(opened: Bool) {
        if opened {
            self.open.add(1, ordering: .relaxed)
            self.accepted.add(1, ordering: .relaxed)
        } else {
            self.open.subtract(1, ordering: .relaxed)
        }
    }

    /// `(open, accepted)`.
    var snapshot: (open: Int, accepted: Int) {
        (self.open.load(ordering: .relaxed), self.accepted.load(ordering: .relaxed))
    }
}
