import Testing

@testable import PEPCore

@Suite struct CacheInstantTests {
    static let conversions: [(Duration, Int64)] = [
        (.seconds(2), 2_000_000_000),
        (.milliseconds(-1500), -1_500_000_000),
        (Duration(secondsComponent: 0, attosecondsComponent: 1_999_999_999), 1),
        (.seconds(Int64.max), .max),
        (.seconds(-Int64.max), .min),
    ]

    /// Durations convert to whole nanoseconds, truncating toward zero and saturating at the Int64 range.
    @Test(arguments: CacheInstantTests.conversions)
    func convertsDurationsToNanoseconds(duration: Duration, nanoseconds: Int64) {
        #expect(CacheInstant.saturatingNanoseconds(duration) == nanoseconds)
    }

    /// Advancing saturates instead of trapping, in both directions.
    @Test func advancingSaturates() {
        #expect(CacheInstant(nanoseconds: .max - 5).advanced(by: .seconds(1)).nanoseconds == .max)
        #expect(CacheInstant(nanoseconds: .min + 5).advanced(by: .seconds(-1)).nanoseconds == .min)
        #expect(CacheInstant(seconds: .max).nanoseconds == .max)
        #expect(CacheInstant(seconds: 3).advanced(by: .milliseconds(250)).nanoseconds == 3_250_000_000)
    }

    /// The duration between two instants is exact even across the whole Int64 range.
    @Test func measuresDurations() {
        let start = CacheInstant(seconds: 10)
        #expect(start.duration(to: CacheInstant(seconds: 12)) == .seconds(2))
        #expect(CacheInstant(nanoseconds: .min).duration(to: CacheInstant(nanoseconds: .max)) > .seconds(1 << 33))
        #expect(start < CacheInstant(seconds: 11))
    }

    /// The manual clock moves only when told to.
    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualCacheClock(start: CacheInstant(seconds: 100))
        #expect(clock.now() == CacheInstant(seconds: 100))
        clock.advance(by: .milliseconds(1500))
        #expect(clock.now() == CacheInstant(nanoseconds: 101_500_000_000))
        clock.set(CacheInstant(seconds: 7))
        #expect(clock.now() == CacheInstant(seconds: 7))
    }
}
