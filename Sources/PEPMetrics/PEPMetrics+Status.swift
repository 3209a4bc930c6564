extension PEPMetrics {
    /// Requests counted so far (`uma_pep_requests_total` summed over its series), for the admin API's
    /// `GET /status`: the total, and per service name the requests a `report_only` service forwarded although it
    /// would have refused them (`decision="would_deny"`). Reads every shard under its lock; not for the hot path.
    public func requestCounts() -> (total: UInt64, wouldDeny: [String: UInt64]) {
        var total: UInt64 = 0
        var wouldDeny: [String: UInt64] = [:]
        for shard in self.shards + [self.sharedShard] {
            let snapshot = shard.lock.withLock { _ in shard.snapshotLocked() }
            for (entry, values) in snapshot
            where SeriesKey.Family(rawValue: UInt8((entry.key >> 56) & 0x7F)) == .requests {
                let count = values.first ?? 0
                total &+= count
                if entry.labels.count == 3, entry.labels[1] == RequestDecision.wouldDeny.rawValue {
                    wouldDeny[entry.labels[0], default: 0] &+= count
                }
            }
        }
        return (total, wouldDeny)
    }
}
