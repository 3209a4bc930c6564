import Synchronization

/// What ``CacheMissRateLimiter/admit(address:now:)`` decided for one cache miss.
public enum CacheMissAdmission: Sendable, Equatable {
    /// Within the address's rate: go on to the authorization server.
    case admitted
    /// Over the address's rate: answer `429` with `Retry-After: retryAfterSeconds` (≥ 1, whole seconds as
    /// RFC 9110 §10.2.3 requires), the time until the address's bucket holds a token again, rounded up.
    case refused(retryAfterSeconds: Int)
}

/// A per-client-address token bucket for requests that miss the caches (`limits.cache_misses_per_ip_per_second`,
/// docs/security.md "Authorization-server call amplification").
///
/// Each address gets `ratePerSecond` misses a second with a burst of one second's worth (`ratePerSecond`
/// tokens; a full bucket for an address not seen before). Only requests that would need an authorization-server
/// call are counted: cached grants never reach the limiter.
///
/// Memory is bounded: the addresses live in a fixed table of `capacity` entries (a power of two, 4-way
/// set-associative by the address's hash). When an address's set is full the entry updated longest ago is
/// evicted; an evicted address starts again with a full bucket when it comes back, so the table remembers the
/// most recently active addresses and a flood from many addresses cannot grow it.
///
/// Time is a parameter (monotonic nanoseconds): the decisions are pure and table-tested. Safe to share across
/// threads (one lock, taken only on cache misses).
public final class CacheMissRateLimiter: Sendable {
    /// Misses per second allowed to one address (1…10⁹); also the bucket's size.
    public let ratePerSecond: Int
    /// Entries in the address table (a power of two, ≥ 4).
    public let capacity: Int

    private static let ways = 4
    /// One token, in the bucket's fixed-point unit (a billionth of a token: one nanosecond at one token a
    /// second), so refills are exact integer arithmetic.
    private static let token: Int64 = 1_000_000_000

    private struct Entry {
        var address: String
        /// Tokens × ``CacheMissRateLimiter/token``.
        var credit: Int64
        var updated: Int64
    }

    private let table: Mutex<[Entry?]>
    private let seed: Int

    /// A limiter of `ratePerSecond` misses per address per second (values below 1 count as 1) over an address
    /// table of `capacity` entries (rounded up to a power of two, at least 4).
    public init(ratePerSecond: Int, capacity: Int = 4096) {
        self.ratePerSecond = min(max(1, ratePerSecond), 1_000_000_000)
        var size = Self.ways
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.table = Mutex([Entry?](repeating: nil, count: size))
        self.seed = Int.random(in: Int.min...Int.max)
    }

    /// Takes one token from `address`'s bucket at `now` (monotonic nanoseconds), or refuses when it is empty.
    /// A refusal takes nothing: a client that keeps trying while refused is not pushed further back.
    public func admit(address: String, now: Int64) -> CacheMissAdmission {
        var hasher = Hasher()
        hasher.combine(self.seed)
        hasher.combine(address)
        let sets = self.capacity / Self.ways
        let base = Int(UInt(bitPattern: hasher.finalize()) % UInt(sets)) * Self.ways
        let rate = Int64(self.ratePerSecond)
        let burst = rate * Self.token
        return self.table.withLock { table in
            var victim = base
            var victimUpdated = Int64.max
            var index = -1
            for way in base..<(base + Self.ways) {
                guard let entry = table[way] else {
                    if victimUpdated != Int64.min {
                        victim = way
                        victimUpdated = Int64.min
                    }
                    continue
                }
                if entry.address == address {
                    index = way
                    break
                }
                if entry.updated < victimUpdated {
                    victim = way
                    victimUpdated = entry.updated
                }
            }
            var entry: Entry
            if index >= 0, let existing = table[index] {
                entry = existing
                // A second refills the whole bucket: longer idle times need not be multiplied (no overflow).
                let elapsed = min(max(0, now &- entry.updated), Self.token)
                entry.credit = min(burst, entry.credit + elapsed * rate)
                entry.updated = max(entry.updated, now)
            } else {
                index = victim
                entry = Entry(address: address, credit: burst, updated: now)
            }
            let admission: CacheMissAdmission
            if entry.credit >= Self.token {
                entry.credit -= Self.token
                admission = .admitted
            } else {
                // Nanoseconds until one token at `rate` tokens a second, in whole seconds rounded up.
                let wait = (Self.token - entry.credit + rate - 1) / rate
                admission = .refused(retryAfterSeconds: max(1, Int((wait + Self.token - 1) / Self.token)))
            }
            table[index] = entry
            return admission
        }
    }

    /// Addresses in the table now (at most `capacity`).
    public var trackedAddresses: Int {
        self.table.withLock { table in table.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    }
}
