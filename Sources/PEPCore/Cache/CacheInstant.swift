/// A point in time on the caches' clock, in nanoseconds since an origin the caller chooses.
///
/// The caches never read a clock (`PEPCore` is pure): every operation takes `now` from the caller. The shell
/// passes its event loop's cached monotonic time (for example libevent's `event_base_gettimeofday_cached`
/// or `CLOCK_MONOTONIC`); tests pass a ``ManualCacheClock``. Any origin works as long as one cache always sees
/// instants from the same clock. Expiries are absolute instants on that clock (SPEC A7).
///
/// All arithmetic saturates at `Int64.min` / `Int64.max`, so a TTL derived from an authorization server's `exp`
/// can never trap.
public struct CacheInstant: Sendable, Hashable, Comparable {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    /// An instant `nanoseconds` after the clock's origin.
    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// An instant `seconds` after the clock's origin (saturating), e.g. seconds since the Unix epoch.
    @inlinable
    public init(seconds: Int64) {
        self.nanoseconds = CacheInstant.saturatingNanoseconds(seconds: seconds)
    }

    /// This instant moved by `duration` (saturating; sub-nanosecond parts are truncated toward zero).
    @inlinable
    public func advanced(by duration: Duration) -> CacheInstant {
        let delta = CacheInstant.saturatingNanoseconds(duration)
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(delta)
        if overflow { return CacheInstant(nanoseconds: delta > 0 ? .max : .min) }
        return CacheInstant(nanoseconds: sum)
    }

    /// The duration from this instant to `other` (negative when `other` is earlier).
    @inlinable
    public func duration(to other: CacheInstant) -> Duration {
        // Int64 - Int64 can overflow; Duration's 128-bit representation cannot.
        .nanoseconds(other.nanoseconds) - .nanoseconds(self.nanoseconds)
    }

    /// Orders instants by their nanosecond value.
    @inlinable
    public static func < (lhs: CacheInstant, rhs: CacheInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// `duration` in whole nanoseconds, clamped to `Int64` (truncated toward zero).
    @inlinable
    public static func saturatingNanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .max : .min }
        let (total, overflow2) = wholeNanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return wholeNanos > 0 ? .max : .min }
        return total
    }

    @inlinable
    static func saturatingNanoseconds(seconds: Int64) -> Int64 {
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .max : .min }
        return nanos
    }
}

/// A source of ``CacheInstant``s, injected into the shell (never read inside `PEPCore`'s caches).
///
/// The shell implements it over its event loop's cached time; tests use ``ManualCacheClock``.
public protocol CacheClock: Sendable {
    /// The current instant. Must not go backwards for one clock.
    func now() -> CacheInstant
}
