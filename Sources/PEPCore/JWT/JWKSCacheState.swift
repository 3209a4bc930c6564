/// The JWK Set cache of one authorization server and its refetch policy, as a pure decision (Part B §2.3 step 3,
/// improved): keys are kept with their lifetimes; a `kid` that is not in the cache (or whose key expired) fetches
/// the set again, but at most once per `refetchInterval`, and every miss while a fetch is running waits for that
/// fetch. A flood of tokens with random `kid`s therefore makes at most one JWKS call per interval.
///
/// Instants are milliseconds on a monotonic clock; key `exp` is compared with epoch seconds.
public struct JWKSCacheState: Sendable, Equatable {
    /// What to do for one token's `kid`.
    public enum Decision: Sendable, Equatable {
        /// The key is cached: verify with it.
        case key(JWK)
        /// Fetch the set now (the caller leads; the state records the fetch as running).
        case fetch
        /// A fetch is running: wait for it, then `afterFetch`.
        case join
        /// The set was fetched less than `refetchInterval` ago and lacks the `kid`.
        case unknownKid
        /// The last fetch, less than `refetchInterval` ago, failed with this error (the request fails with 502).
        case failed(AuthorizationServerError)
    }

    /// The least time between two fetches caused by misses, milliseconds (default 30 s).
    public let refetchIntervalMilliseconds: Int64
    /// The cached keys by `kid`.
    public private(set) var keys: [String: JWK] = [:]
    /// When the last fetch started (monotonic milliseconds); `nil` before the first.
    public private(set) var lastFetchStartedAt: Int64?
    /// Whether a fetch is running.
    public private(set) var fetching = false
    /// The last fetch's error, cleared by a successful fetch.
    public private(set) var lastFailure: AuthorizationServerError?

    /// Creates an empty cache.
    /// - Parameter refetchIntervalMilliseconds: see `refetchIntervalMilliseconds`.
    public init(refetchIntervalMilliseconds: Int64 = 30_000) {
        self.refetchIntervalMilliseconds = refetchIntervalMilliseconds
    }

    /// Decides for one `kid`; `.fetch` marks a fetch as running.
    /// - Parameters:
    ///   - kid: the header's `kid`.
    ///   - instant: monotonic milliseconds.
    ///   - epochSeconds: wall-clock seconds (key `exp`).
    /// - Returns: the decision.
    public mutating func lookup(kid: String, instant: Int64, epochSeconds: Int64) -> Decision {
        if let key = self.keys[kid], key.expiresAt.map({ $0 > epochSeconds }) ?? true { return .key(key) }
        if self.fetching { return .join }
        if let last = self.lastFetchStartedAt, instant - last < self.refetchIntervalMilliseconds {
            if let failure = self.lastFailure { return .failed(failure) }
            return .unknownKid
        }
        self.fetching = true
        self.lastFetchStartedAt = instant
        return .fetch
    }

    /// The decision of a request that waited for a fetch: the key, or why not (never another fetch).
    /// - Parameters:
    ///   - kid: the header's `kid`.
    ///   - epochSeconds: wall-clock seconds.
    /// - Returns: `.key`, `.unknownKid` or `.failed`.
    public func afterFetch(kid: String, epochSeconds: Int64) -> Decision {
        if let key = self.keys[kid], key.expiresAt.map({ $0 > epochSeconds }) ?? true { return .key(key) }
        if let failure = self.lastFailure { return .failed(failure) }
        return .unknownKid
    }

    /// Records a fetched set: the cache is replaced by its usable keys (`JWK.usableKeys`).
    public mutating func fetched(_ keys: [String: JWK]) {
        self.keys = keys
        self.fetching = false
        self.lastFailure = nil
    }

    /// Records a failed fetch; the cached keys are kept (a key rotation is rare, an outage is not).
    public mutating func fetchFailed(_ error: AuthorizationServerError) {
        self.fetching = false
        self.lastFailure = error
    }
}
