import Testing

@testable import PEPMetrics

@Suite struct MethodLabelTests {
    /// RFC 9110 and RFC 5789 methods keep their name; anything else, including wrong case, is `OTHER`.
    @Test(arguments: [
        ("GET", "GET"), ("HEAD", "HEAD"), ("POST", "POST"), ("PUT", "PUT"), ("DELETE", "DELETE"),
        ("CONNECT", "CONNECT"), ("OPTIONS", "OPTIONS"), ("TRACE", "TRACE"), ("PATCH", "PATCH"),
        ("get", "OTHER"), ("PROPFIND", "OTHER"), ("OTHER", "OTHER"), ("", "OTHER"), ("GET ", "OTHER"),
    ])
    func bucketsMethods(method: String, expected: String) {
        #expect(MethodLabel(method: method).rawValue == expected)
        // The same bytes as a parsed head makes them (its own string, not the literal).
        let parsed = String(decoding: Array(method.utf8), as: UTF8.self)
        #expect(MethodLabel(method: parsed).rawValue == expected)
    }

    /// Bucketing bounds the `method` label of `gluu_endpoint_method` even for many distinct methods.
    @Test func endpointMethodLabelIsBounded() throws {
        let metrics = PEPMetrics(services: ["s"])
        for index in 0..<50 {
            metrics.recordRequest(
                service: MetricsServiceID(index: 0), rule: nil, method: "X-METHOD-\(index)", decision: .denied,
                status: 405, duration: .zero)
        }
        metrics.recordRequest(
            service: MetricsServiceID(index: 0), rule: nil, method: "GET", decision: .denied, status: 403,
            duration: .zero)
        let parsed = try Exposition(metrics.exposition())
        let samples = parsed.samples(of: "gluu_endpoint_method")
        #expect(Set(samples.compactMap { $0.label("method") }) == ["OTHER", "GET"])
        #expect(
            parsed.value(
                "gluu_endpoint_method", [("endpoint", "unmatched"), ("method", "OTHER"), ("service", "s")]) == "50")
    }

    /// Ordinals are dense and distinct, so series keys never collide.
    @Test func ordinalsAreDense() {
        #expect(MethodLabel.allCases.map(\.ordinal) == Array(0..<MethodLabel.allCases.count))
        #expect(RequestDecision.allCases.map(\.ordinal) == Array(0..<RequestDecision.allCases.count))
        #expect(ASOperation.allCases.map(\.ordinal) == Array(0..<ASOperation.allCases.count))
        #expect(ASOutcome.allCases.map(\.ordinal) == Array(0..<ASOutcome.allCases.count))
        #expect(UpstreamErrorKind.allCases.map(\.ordinal) == Array(0..<UpstreamErrorKind.allCases.count))
    }
}
