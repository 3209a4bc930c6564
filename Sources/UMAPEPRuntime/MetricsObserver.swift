import Foundation
import PEPCore
import PEPMetrics
import PEPProxy

/// Feeds finished exchanges into the metrics (the log phase: `gluu_endpoint_method`, `uma_pep_requests_total`,
/// latency, upstream errors).
final class MetricsObserver: ProxyObserver {
    let metrics: PEPMetrics
    /// Rule patterns per service, for the `endpoint` label (SPEC A10: the pattern, never the raw path).
    let patterns: [[String]]
    let serviceIDs: [MetricsServiceID?]

    init(metrics: PEPMetrics, configuration: PEPConfiguration) {
        self.metrics = metrics
        self.patterns = configuration.services.map { $0.protectionDocument.rules.map(\.path) }
        self.serviceIDs = configuration.services.map { metrics.serviceID(named: $0.name) }
    }

    func exchangeCompleted(_ record: ExchangeRecord) {
        let service = record.serviceIndex.flatMap { self.serviceIDs[$0] }
        var ruleIndex: Int?
        if let serviceIndex = record.serviceIndex, let index = record.ruleIndex,
            index < self.patterns[serviceIndex].count
        {
            ruleIndex = index
        }
        // The pattern is read only when the series is made (its first request): no string copied per request.
        self.metrics.recordRequest(
            service: service, ruleIndex: ruleIndex,
            pattern: { self.patterns[record.serviceIndex ?? 0][$0] },  // a rule index comes with its service
            method: MethodLabel(method: record.method), decision: Self.decision(record), status: record.status,
            nanoseconds: record.nanoseconds, worker: record.worker)
        if let service, let failure = record.upstreamFailure {
            self.metrics.recordUpstreamError(service: service, kind: Self.kind(failure))
        }
    }

    func webSocketTunnelOpened(worker: Int) {
        self.metrics.webSocketTunnelOpened()
    }

    func webSocketTunnelClosed(worker: Int, clientToUpstream: UInt64, upstreamToClient: UInt64, nanoseconds: Int64) {
        self.metrics.webSocketTunnelClosed(clientToUpstream: clientToUpstream, upstreamToClient: upstreamToClient)
    }

    /// The `kind` label of an upstream failure.
    static func kind(_ failure: UpstreamFailure) -> UpstreamErrorKind {
        switch failure {
        case .connect: .connect
        case .connectTimeout, .timeout: .timeout
        case .tls: .tls
        case .invalidResponse: .invalidResponse
        case .closed, .reset: .reset
        }
    }

    /// Whether `detail` starts with `pep.granted` (`pep.granted`, `pep.granted_cached`, …): one `memcmp` of its
    /// bytes, the hot path's test (``ByteText/hasPrefix(_:_:)`` and a failed `==` cost ~270 instructions across the
    /// module boundary). Making `hasPrefix` itself inlinable instead (a `memcmp`, or its word compare) and
    /// dropping this test cost 64–96 instructions more per cached grant in callgrind (the data plane's own
    /// prefix tests and inlining elsewhere moved), so this one test stays here.
    @inline(__always)
    static func isGrant(_ detail: String) -> Bool {
        let prefix: StaticString = "pep.granted"
        var copy = detail
        return copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress, bytes.count >= prefix.utf8CodeUnitCount else { return false }
            return memcmp(base, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
        }
    }

    /// The `decision` label of a finished exchange, from its detail (`pep.granted…` → granted, …). Prefixes are
    /// tested on bytes (``ByteText``): this runs once per request.
    static func decision(_ record: ExchangeRecord) -> RequestDecision {
        if record.upstreamFailure != nil { return .error }
        let detail = record.detail
        if Self.isGrant(detail) { return .granted }
        if ByteText.hasPrefix(detail, ReportOnly.detailPrefix) { return .wouldDeny }
        if ByteText.contains(detail, "ticket") { return .ticket }
        if detail == "pep.public_rule" { return .public }
        if detail == "pep.anonymous_unprotected" || detail == "pep.token_unprotected" || detail == "pep.plain_service"
            || detail == "forward"
        {
            return record.status >= 500 ? .error : .passthrough
        }
        if detail == "proxy.no_route" { return .noRoute }
        if detail == "proxy.drain_timeout" || detail == "proxy.shutdown" { return .error }
        if ByteText.hasPrefix(detail, "http1.") || ByteText.hasPrefix(detail, "path.")
            || ByteText.hasPrefix(detail, "target.") || ByteText.hasPrefix(detail, "query.")
            || ByteText.hasPrefix(detail, "proxy.")
        {
            return .rejected
        }
        if record.status >= 500 || ByteText.hasPrefix(detail, "upstream.") { return .error }
        return .denied
    }
}
