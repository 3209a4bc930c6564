import PEPCore
import PEPMetrics
import Testing

@testable import PEPProxy
@testable import UMAPEPRuntime

/// How a finished exchange is classified for `uma_pep_requests_total{decision}` and
/// `uma_pep_upstream_errors_total{kind}`.
@Suite struct MetricsObserverTests {
    static func record(_ detail: String, status: Int, failure: UpstreamFailure? = nil) -> ExchangeRecord {
        ExchangeRecord(
            serviceIndex: 0, ruleIndex: nil, method: "GET", status: status, nanoseconds: 1000, detail: detail,
            worker: 0, upstreamFailure: failure)
    }

    @Test(arguments: [
        (UpstreamFailure.connect, UpstreamErrorKind.connect), (.connectTimeout, .timeout), (.tls, .tls),
        (.timeout, .timeout), (.invalidResponse, .invalidResponse), (.closed, .reset), (.reset, .reset),
    ])
    func upstreamFailureKinds(failure: UpstreamFailure, kind: UpstreamErrorKind) {
        #expect(MetricsObserver.kind(failure) == kind)
    }

    @Test(
        arguments: [
            ("pep.granted", 200, nil, RequestDecision.granted),
            (String(decoding: Array("pep.granted".utf8), as: UTF8.self), 200, nil, RequestDecision.granted),
            ("pep.granted_cached", 200, nil, RequestDecision.granted),
            ("pep.grante", 403, nil, RequestDecision.denied),
            ("pep.denied", 403, nil, RequestDecision.denied),
            ("pep.granted", 200, UpstreamFailure.reset, RequestDecision.error),
            ("upstream.http1.invalid_status_line", 502, UpstreamFailure.invalidResponse, RequestDecision.error),
            ("http1.body_too_large", 413, nil, RequestDecision.rejected),
            ("pep.public_rule", 200, nil, RequestDecision.public),
            ("proxy.no_route", 404, nil, RequestDecision.noRoute),
        ] as [(String, Int, UpstreamFailure?, RequestDecision)])
    func decisions(detail: String, status: Int, failure: UpstreamFailure?, expected: RequestDecision) {
        #expect(MetricsObserver.decision(Self.record(detail, status: status, failure: failure)) == expected)
    }
}
