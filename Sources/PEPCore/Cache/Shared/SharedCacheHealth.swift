/// The connection state of the shared cache on Redis and its reconnection backoff (pure; the shell
/// `UMAClient.SharedCacheClient` feeds it events and does what it answers). Docs: docs/operations.md "Several
/// instances: the Redis cache".
///
/// Requests consult Redis only while it is `ready`; otherwise they go straight to the authorization server, so a
/// Redis that is down costs nothing. A failed connection attempt, a lost connection, or `timeoutsToDisconnect`
/// command timeouts in a row (a Redis too slow to help) drop the connection and back off: 100 ms, doubling per
/// consecutive failure, at most `maxBackoff`; the first success resets it.
public struct SharedCacheHealth: Sendable, Equatable {
    /// Where the connection stands.
    public enum State: Sendable, Equatable {
        /// No connection and none being made; `retryAt` (monotonic nanoseconds) is when to try again.
        case down(retryAt: Int64)
        /// A connection attempt (TCP, `AUTH`, `SELECT`) is under way since `since` (monotonic nanoseconds).
        case connecting(since: Int64)
        /// Connected and authenticated: commands may be sent.
        case ready
    }

    /// What the shell should do after an event.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Open a connection now.
        case connect
        /// Drop the connection; try again after `retryAfter`.
        case disconnect(retryAfter: Duration)
        /// Try again after `retryAfter` (the connection is already gone).
        case retry(after: Duration)
    }

    /// The first pause after a failure.
    public static let initialBackoff: Duration = .milliseconds(100)
    /// Command timeouts in a row that count as Redis being down.
    public static let timeoutsToDisconnect = 3

    /// The current state; starts `down` with an immediate retry.
    public private(set) var state: State = .down(retryAt: 0)
    /// Failures since the last success (sets the backoff).
    public private(set) var consecutiveFailures = 0
    /// Command timeouts in a row on the current connection.
    public private(set) var consecutiveTimeouts = 0
    /// The longest pause between attempts (`cache.redis.max_backoff`).
    public let maxBackoff: Duration
    /// How long a connection attempt may take (`cache.redis.connect_timeout`).
    public let connectTimeout: Duration

    /// Starts `down`, due for a connection attempt at once.
    public init(maxBackoff: Duration = .seconds(30), connectTimeout: Duration = .seconds(1)) {
        self.maxBackoff = max(maxBackoff, Self.initialBackoff)
        self.connectTimeout = connectTimeout
    }

    /// Whether a request may send a command now.
    public var acceptsCommands: Bool { self.state == .ready }

    /// When ``tick(now:)`` next has something to do, in monotonic nanoseconds (the shell's timer): the retry time
    /// when `down`, the attempt's deadline (`since + connectTimeout`, saturating) when `connecting`; `nil` when
    /// `ready`.
    public var nextTick: Int64? {
        switch self.state {
        case .down(let retryAt):
            return retryAt
        case .connecting(let since):
            let (deadline, overflow) = since.addingReportingOverflow(
                CacheInstant.saturatingNanoseconds(self.connectTimeout))
            return overflow ? Int64.max : deadline
        case .ready:
            return nil
        }
    }

    /// The pause after `failures` consecutive failures: 100 ms × 2^(failures − 1), at most `maxBackoff`.
    public func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return Self.initialBackoff }
        var pause = Self.initialBackoff
        for _ in 1..<min(failures, 32) {
            pause = pause * 2
            if pause >= self.maxBackoff { return self.maxBackoff }
        }
        return min(pause, self.maxBackoff)
    }

    /// A tick of the shell's retry timer (or startup) at `now`: connect when down and due; give up on an attempt
    /// older than `connectTimeout`.
    public mutating func tick(now: Int64) -> Action {
        switch self.state {
        case .down(let retryAt):
            guard now >= retryAt else { return .none }
            self.state = .connecting(since: now)
            return .connect
        case .connecting(let since):
            let (elapsed, overflow) = now.subtractingReportingOverflow(since)
            guard overflow || elapsed >= CacheInstant.saturatingNanoseconds(self.connectTimeout) else { return .none }
            return self.fail(now: now, disconnect: true)
        case .ready:
            return .none
        }
    }

    /// The connection is up and `AUTH` / `SELECT` succeeded.
    public mutating func connected() {
        self.state = .ready
        self.consecutiveFailures = 0
        self.consecutiveTimeouts = 0
    }

    /// The connection attempt failed, or an established connection was lost (the shell's connection is gone).
    /// Nothing when already `down` (the shell dropped the connection itself).
    public mutating func connectionLost(now: Int64) -> Action {
        if case .down = self.state { return .none }
        return self.fail(now: now, disconnect: false)
    }

    /// `AUTH` or `SELECT` was refused: a configuration error, retried with backoff like any failure.
    public mutating func handshakeRefused(now: Int64) -> Action {
        self.fail(now: now, disconnect: true)
    }

    /// A command got an answer (any answer, even a miss or an undecodable value: Redis is responsive).
    public mutating func commandAnswered() {
        self.consecutiveTimeouts = 0
    }

    /// A command's answer did not come within `cache.redis.timeout`.
    public mutating func commandTimedOut(now: Int64) -> Action {
        guard self.state == .ready else { return .none }
        self.consecutiveTimeouts += 1
        guard self.consecutiveTimeouts >= Self.timeoutsToDisconnect else { return .none }
        return self.fail(now: now, disconnect: true)
    }

    private mutating func fail(now: Int64, disconnect: Bool) -> Action {
        self.consecutiveFailures += 1
        self.consecutiveTimeouts = 0
        let pause = self.backoff(afterFailures: self.consecutiveFailures)
        let (retryAt, overflow) = now.addingReportingOverflow(CacheInstant.saturatingNanoseconds(pause))
        self.state = .down(retryAt: overflow ? Int64.max : retryAt)
        return disconnect ? .disconnect(retryAfter: pause) : .retry(after: pause)
    }
}
