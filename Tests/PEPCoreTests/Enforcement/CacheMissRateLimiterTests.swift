import Testing

@testable import PEPCore

/// `limits.cache_misses_per_ip_per_second`: one token bucket per client address, a burst of one second's worth,
/// refusals with the seconds until the next token, and a bounded address table.
@Suite struct CacheMissRateLimiterTests {
    /// One miss from `address` at `atMilliseconds`, and what the limiter must answer.
    struct Miss: Sendable {
        var address: String
        var atMilliseconds: Int64
        var expected: CacheMissAdmission
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        var label: String
        var rate: Int
        var misses: [Miss]
        var testDescription: String { self.label }
    }

    static let refused = CacheMissAdmission.refused(retryAfterSeconds: 1)

    static let scenarios: [Scenario] = [
        Scenario(
            label: "a burst of one second's worth, then refused", rate: 3,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 1, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 2, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 3, expected: refused),
            ]),
        Scenario(
            label: "tokens come back at the rate", rate: 2,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 400, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 500, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 600, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 1000, expected: .admitted),
            ]),
        Scenario(
            label: "a refusal takes no token", rate: 1,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 300, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 600, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 1000, expected: .admitted),
            ]),
        Scenario(
            label: "an idle address refills only up to the burst", rate: 2,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 60_000, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 60_000, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 60_000, expected: refused),
            ]),
        Scenario(
            label: "addresses have their own buckets", rate: 1,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: refused),
                Miss(address: "2001:db8::1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.2", atMilliseconds: 0, expected: .admitted),
                Miss(address: "2001:db8::1", atMilliseconds: 0, expected: refused),
            ]),
        Scenario(
            label: "time going backwards refills nothing", rate: 1,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 5000, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 1000, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 5999, expected: refused),
                Miss(address: "192.0.2.1", atMilliseconds: 6000, expected: .admitted),
            ]),
        Scenario(
            label: "a rate below 1 is 1", rate: 0,
            misses: [
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: .admitted),
                Miss(address: "192.0.2.1", atMilliseconds: 0, expected: refused),
            ]),
    ]

    @Test(arguments: Self.scenarios)
    func scenario(_ scenario: Scenario) {
        let limiter = CacheMissRateLimiter(ratePerSecond: scenario.rate)
        for (index, miss) in scenario.misses.enumerated() {
            let admission = limiter.admit(address: miss.address, now: miss.atMilliseconds * 1_000_000)
            #expect(admission == miss.expected, "miss \(index) from \(miss.address) at \(miss.atMilliseconds) ms")
        }
    }

    /// The table never holds more than its capacity, however many addresses miss; an evicted address comes back
    /// with a full bucket; the most recently active addresses stay.
    @Test func theAddressTableIsBounded() {
        let limiter = CacheMissRateLimiter(ratePerSecond: 1, capacity: 64)
        #expect(limiter.capacity == 64)
        #expect(limiter.admit(address: "198.51.100.7", now: 0) == .admitted)
        for index in 0..<10_000 {
            _ = limiter.admit(address: "10.\(index / 65536).\(index / 256 % 256).\(index % 256)", now: 1)
        }
        #expect(limiter.trackedAddresses == 64)
        // Evicted long ago (10 000 newer addresses through 64 entries): a fresh bucket.
        #expect(limiter.admit(address: "198.51.100.7", now: 2) == .admitted)
        // Just seen: still empty.
        #expect(limiter.admit(address: "198.51.100.7", now: 3) == Self.refused)
    }

    /// Capacities round up to a power of two of at least four entries (one set).
    @Test(arguments: [(0, 4), (1, 4), (4, 4), (5, 8), (4096, 4096), (4097, 8192)])
    func capacityRoundsUp(requested: Int, actual: Int) {
        #expect(CacheMissRateLimiter(ratePerSecond: 1, capacity: requested).capacity == actual)
    }

    /// `Retry-After` is the whole seconds until the next token, at least one.
    @Test func retryAfterIsAtLeastOneSecond() {
        let limiter = CacheMissRateLimiter(ratePerSecond: 1000)
        for _ in 0..<1000 { #expect(limiter.admit(address: "192.0.2.9", now: 0) == .admitted) }
        #expect(limiter.admit(address: "192.0.2.9", now: 0) == Self.refused)
        #expect(limiter.admit(address: "192.0.2.9", now: 1_000_000) == .admitted)
    }
}
