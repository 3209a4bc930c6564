import Testing

@testable import PEPMetrics

@Suite struct ConsumerLabelCapTests {
    /// With the default cap, the first 1000 distinct consumers get their own series; later ones share `other`.
    @Test func defaultCapAdmitsOneThousandConsumers() throws {
        let metrics = PEPMetrics(services: ["s"])
        let service = MetricsServiceID(index: 0)
        for index in 0..<1003 {
            metrics.recordGranted(service: service, consumer: "client-\(index)")
        }
        metrics.recordGranted(service: service, consumer: "client-0")
        metrics.recordGranted(service: service, consumer: "client-1002")
        let parsed = try Exposition(metrics.exposition())
        let samples = parsed.samples(of: "gluu_uma_client_granted")
        #expect(samples.count == 1001)
        #expect(parsed.value("gluu_uma_client_granted", [("consumer", "client-0"), ("service", "s")]) == "2")
        #expect(parsed.value("gluu_uma_client_granted", [("consumer", "client-999"), ("service", "s")]) == "1")
        #expect(parsed.value("gluu_uma_client_granted", [("consumer", "other"), ("service", "s")]) == "4")
        #expect(parsed.value("gluu_total_client_granted") == "1005")
    }

    /// The cap is process-wide across families and services; over-long values always become `other`.
    @Test func capIsSharedAndRejectsLongValues() throws {
        let metrics = PEPMetrics(services: ["a", "b"], consumerLabelLimit: 2)
        metrics.recordAuthenticated(service: MetricsServiceID(index: 0), consumer: "one")
        metrics.recordGranted(service: MetricsServiceID(index: 1), consumer: "two")
        metrics.recordAuthenticated(service: MetricsServiceID(index: 1), consumer: "three")
        metrics.recordAuthenticated(service: MetricsServiceID(index: 1), consumer: "one")
        let parsed = try Exposition(metrics.exposition())
        let consumers = Set(parsed.samples(of: "gluu_uma_client_authenticated").compactMap { $0.label("consumer") })
        #expect(consumers == ["one", "other"])

        var cap = ConsumerLabelCap(limit: 10)
        #expect(cap.id(for: String(repeating: "x", count: ConsumerLabelCap.maxValueBytes + 1)) == 0)
        #expect(cap.id(for: String(repeating: "x", count: ConsumerLabelCap.maxValueBytes)) == 1)
        #expect(cap.labels == ["other", String(repeating: "x", count: ConsumerLabelCap.maxValueBytes)])
    }

    /// A zero or negative limit sends every consumer to `other`.
    @Test(arguments: [0, -5])
    func nonPositiveLimitAdmitsNone(limit: Int) {
        var cap = ConsumerLabelCap(limit: limit)
        #expect(cap.id(for: "a") == 0)
        #expect(cap.labels == ["other"])
    }
}
