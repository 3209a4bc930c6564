import Synchronization

/// Open client connections per peer IP address, shared by every worker of one `HTTPServer`, for
/// `limits.max_connections_per_ip` (SECURITY.md case 32: one address cannot take every connection slot).
///
/// Thread rules: any thread; one lock, taken at accept and at close, never per request.
final class PeerConnectionCounter: Sendable {
    /// Most connections one address may hold open; ≥ 1.
    let limit: Int
    private let counts = Mutex<[String: Int]>([:])

    /// - Parameter limit: connections allowed per address (≥ 1).
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a slot for `host` (an IP literal); `false` when it already holds `limit` connections.
    func acquire(_ host: String) -> Bool {
        self.counts.withLock { counts in
            let current = counts[host, default: 0]
            guard current < self.limit else { return false }
            counts[host] = current + 1
            return true
        }
    }

    /// Gives back a slot taken by `acquire`.
    func release(_ host: String) {
        self.counts.withLock { counts in
            guard let current = counts[host] else { return }
            counts[host] = current > 1 ? current - 1 : nil
        }
    }
}
