/// A service as ``PEPMetrics`` knows it: the index of its name in ``PEPMetrics/serviceNames`` (config order).
/// A small integer so hot-path bumps key their series without hashing strings.
public struct MetricsServiceID: Sendable, Hashable {
    /// Index into ``PEPMetrics/serviceNames``. An out-of-range index makes a bump count
    /// `gluu_nginx_metric_errors_total` instead of trapping.
    public let index: Int

    /// Wraps a service index.
    /// - Parameter index: the service's position in the `services` array given to ``PEPMetrics``.
    public init(index: Int) {
        self.index = index
    }
}

/// An authorization server (or oxd server) as ``PEPMetrics`` knows it: the index of its label in
/// ``PEPMetrics/serverNames``.
public struct MetricsServerID: Sendable, Hashable {
    /// Index into ``PEPMetrics/serverNames``; out of range counts `gluu_nginx_metric_errors_total`.
    public let index: Int

    /// Wraps a server index.
    /// - Parameter index: the server's position in the `authorizationServers` array given to ``PEPMetrics``.
    public init(index: Int) {
        self.index = index
    }
}

/// A consumer label as ``PEPMetrics`` knows it (``PEPMetrics/consumerID(for:)``): the slot of its name in the
/// capped consumer table, so that repeated grants record without hashing the name.
public struct MetricsConsumerID: Sendable, Hashable {
    /// The slot in the consumer label table (the cap's overflow slot beyond ``ConsumerLabelCap``'s limit).
    let index: Int
}
