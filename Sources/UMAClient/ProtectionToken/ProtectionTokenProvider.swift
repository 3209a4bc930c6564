import Foundation

/// Caches protection tokens (oxd access token, UMA 2.0 PAT) per `ProtectionTokenKey` and refreshes them
/// single-flight (SPEC A8, §2.8 with Appendix A rows 1 and 2, §5.2).
///
/// - Reuse while `now < expiresAt - expiryMarginSeconds` (Appendix A row 1: the reference's inverted check is fixed).
/// - When a token is missing or stale, exactly one fetch runs; concurrent callers queue behind it and all get its
///   outcome (no polling, no "pending operation timeout": the fetch itself is bounded by the call timeouts).
/// - A failed fetch drops the entry; the next caller fetches again.
/// - `withToken(from:…)` retries an operation once with a re-fetched token when the service rejects the token
///   (401/403 `invalid_access_token` and friends).
///
/// Thread rules: any thread may call; state is guarded by a lock that is never held while a callback runs. A cached
/// token is delivered synchronously on the caller's thread; a fetched one on the thread the issuer completes on
/// (the control-plane thread).
public final class ProtectionTokenProvider: Sendable {
    /// Seconds before expiry at which a token is no longer reused (SPEC §2.8 `EXPIRE_DELTA`).
    public static let expiryMarginSeconds: Double = 5

    /// What a `token(from:)` call does after looking at the cache.
    private enum FetchStep {
        case cached(ProtectionToken)
        case joined
        case fetch(previous: ProtectionToken?)
    }

    private struct Entry {
        var token: ProtectionToken?
        var fetching = false
        var waiters: [@Sendable (Result<ProtectionToken, ProtectionTokenError>) -> Void] = []
    }

    private let clock: @Sendable () -> Double
    private let defaultLifetimeSeconds: Int64
    private let entries = Locked([ProtectionTokenKey: Entry]())

    /// Creates an empty provider.
    /// - Parameters:
    ///   - defaultLifetimeSeconds: Lifetime assumed when the service sends no `expires_in` (default 60 s).
    ///   - clock: Monotonic seconds; injected by tests. Defaults to the system uptime.
    public init(
        defaultLifetimeSeconds: Int64 = 60,
        clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.defaultLifetimeSeconds = defaultLifetimeSeconds
        self.clock = clock
    }

    /// Delivers a usable token for `issuer`'s key: the cached one, or the outcome of the (shared) fetch.
    public func token(
        from issuer: some ProtectionTokenIssuer,
        completion: @escaping @Sendable (Result<ProtectionToken, ProtectionTokenError>) -> Void
    ) {
        let key = issuer.protectionTokenKey
        let now = self.clock()
        let step = self.entries.withLock { entries -> FetchStep in
            var entry = entries[key] ?? Entry()
            if let token = entry.token, now < token.expiresAt - ProtectionTokenProvider.expiryMarginSeconds {
                return .cached(token)
            }
            entry.waiters.append(completion)
            defer { entries[key] = entry }
            if entry.fetching { return .joined }
            entry.fetching = true
            return .fetch(previous: entry.token)
        }
        switch step {
        case .cached(let token):
            completion(.success(token))
        case .joined:
            break
        case .fetch(let previous):
            issuer.issueProtectionToken(previous: previous) { result in
                self.finishFetch(key: key, result: result)
            }
        }
    }

    /// Drops the cached token for `key` if it is still `accessToken` (a token the service just rejected).
    public func invalidate(_ key: ProtectionTokenKey, accessToken: String) {
        self.entries.withLock { entries in
            if entries[key]?.token?.accessToken == accessToken { entries[key]?.token = nil }
        }
    }

    /// The cached token for `key`, fresh or not (for tests and diagnostics).
    public func cachedToken(for key: ProtectionTokenKey) -> ProtectionToken? {
        self.entries.withLock { $0[key]?.token }
    }

    /// Runs `operation` with a token; if it fails with a rejection of that token (`isRejection`), drops the token,
    /// fetches a new one and runs `operation` once more (SPEC A8: "re-fetched once on a 401/403").
    /// - Parameters:
    ///   - issuer: Where tokens come from.
    ///   - isRejection: Whether a failure means "this token is not accepted".
    ///   - tokenFailure: Maps a token fetch failure into the operation's error type.
    ///   - operation: The protected call; receives the bearer token.
    ///   - completion: The final outcome.
    public func withToken<Success: Sendable, Failure: Error>(
        from issuer: some ProtectionTokenIssuer,
        isRejection: @escaping @Sendable (Failure) -> Bool,
        tokenFailure: @escaping @Sendable (ProtectionTokenError) -> Failure,
        operation: @escaping @Sendable (String, @escaping @Sendable (Result<Success, Failure>) -> Void) -> Void,
        completion: @escaping @Sendable (Result<Success, Failure>) -> Void
    ) {
        self.attempt(
            issuer: issuer, retriesLeft: 1, isRejection: isRejection, tokenFailure: tokenFailure,
            operation: operation, completion: completion)
    }

    private func attempt<Success: Sendable, Failure: Error>(
        issuer: some ProtectionTokenIssuer,
        retriesLeft: Int,
        isRejection: @escaping @Sendable (Failure) -> Bool,
        tokenFailure: @escaping @Sendable (ProtectionTokenError) -> Failure,
        operation: @escaping @Sendable (String, @escaping @Sendable (Result<Success, Failure>) -> Void) -> Void,
        completion: @escaping @Sendable (Result<Success, Failure>) -> Void
    ) {
        self.token(from: issuer) { tokenResult in
            switch tokenResult {
            case .failure(let error):
                completion(.failure(tokenFailure(error)))
            case .success(let token):
                operation(token.accessToken) { result in
                    if case .failure(let error) = result, retriesLeft > 0, isRejection(error) {
                        self.invalidate(issuer.protectionTokenKey, accessToken: token.accessToken)
                        self.attempt(
                            issuer: issuer, retriesLeft: retriesLeft - 1, isRejection: isRejection,
                            tokenFailure: tokenFailure, operation: operation, completion: completion)
                    } else {
                        completion(result)
                    }
                }
            }
        }
    }

    private func finishFetch(key: ProtectionTokenKey, result: Result<IssuedProtectionToken, ProtectionTokenError>) {
        let now = self.clock()
        let outcome: Result<ProtectionToken, ProtectionTokenError> = result.map { issued in
            let lifetime = issued.expiresInSeconds ?? self.defaultLifetimeSeconds
            return ProtectionToken(
                accessToken: issued.accessToken, refreshToken: issued.refreshToken,
                expiresAt: now + Double(lifetime))
        }
        let waiters = self.entries.withLock {
            entries -> [@Sendable (Result<ProtectionToken, ProtectionTokenError>) -> Void] in
            var entry = entries[key] ?? Entry()
            let waiters = entry.waiters
            entry.waiters = []
            entry.fetching = false
            switch outcome {
            case .success(let token): entry.token = token
            case .failure: entry.token = nil
            }
            entries[key] = entry
            return waiters
        }
        for waiter in waiters { waiter(outcome) }
    }
}
