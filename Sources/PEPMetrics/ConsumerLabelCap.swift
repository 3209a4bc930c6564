/// Bounds the `consumer` label of `gluu_uma_client_authenticated` / `gluu_uma_client_granted` (STYLE 13).
///
/// The reference labels these series with the token's `client_id` (SPEC Part B §7), a value chosen by the
/// authorization server, not by uma-pep's config. uma-pep keeps the label for dashboard parity but caps it:
/// the first `limit` distinct values (process-wide, across services and both families) are used as they are;
/// every later new value, and any value longer than ``maxValueBytes`` UTF-8 bytes, is reported as `other`.
/// A consumer literally named `other` shares that series. Not thread-safe: used under ``PEPMetrics``'s lock.
struct ConsumerLabelCap {
    /// The label value that absorbs consumers beyond the cap.
    static let overflowLabel = "other"
    /// Longest consumer value kept as its own label, in UTF-8 bytes.
    static let maxValueBytes = 256

    /// How many distinct consumer values get their own label.
    let limit: Int
    /// Admitted values → dense id (`0` is reserved for `other`).
    private var ids: [String: Int] = [:]
    /// Label values indexed by id.
    private(set) var labels: [String] = [ConsumerLabelCap.overflowLabel]

    /// Creates a cap admitting `limit` distinct values (negative counts as 0).
    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// The id for `consumer`, admitting it when there is room.
    mutating func id(for consumer: String) -> Int {
        if let id = self.ids[consumer] {
            return id
        }
        guard self.ids.count < self.limit, consumer.utf8.count <= Self.maxValueBytes else {
            return 0
        }
        let id = self.labels.count
        self.ids[consumer] = id
        self.labels.append(consumer)
        return id
    }
}
