/// The `status_class` label of `uma_pep_requests_total`: `1xx` … `5xx`, or `other` for a status outside
/// 100…599 (including 0, "no response was sent").
enum StatusClass {
    /// Label values indexed by ``ordinal(of:)``.
    static let labels = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"]

    /// The index into ``labels`` for `status`.
    static func ordinal(of status: Int) -> Int {
        (100...599).contains(status) ? status / 100 : 0
    }
}
