import Testing

@testable import PEPCore

@Suite struct SharedCacheHealthTests {
    static let ms: Int64 = 1_000_000

    /// 100 ms doubling per consecutive failure, capped at `maxBackoff` (and never below 100 ms).
    @Test(arguments: [
        (1, Duration.milliseconds(100)),
        (2, .milliseconds(200)),
        (3, .milliseconds(400)),
        (5, .milliseconds(1600)),
        (9, .milliseconds(25_600)),
        (10, .seconds(30)),
        (1000, .seconds(30)),
        (0, .milliseconds(100)),
    ])
    func backoff(failures: Int, expected: Duration) {
        #expect(SharedCacheHealth().backoff(afterFailures: failures) == expected)
    }

    @Test func smallMaxBackoffIsAtLeastTheFirstPause() {
        let health = SharedCacheHealth(maxBackoff: .milliseconds(10))
        #expect(health.maxBackoff == .milliseconds(100))
        #expect(health.backoff(afterFailures: 4) == .milliseconds(100))
    }

    /// The shell's timer: the retry time when down, the attempt's deadline when connecting, nothing when ready.
    @Test func nextTick() {
        var health = SharedCacheHealth(maxBackoff: .seconds(1), connectTimeout: .milliseconds(500))
        #expect(health.nextTick == 0)
        #expect(health.tick(now: 7 * Self.ms) == .connect)
        #expect(health.nextTick == 507 * Self.ms)
        #expect(health.tick(now: 507 * Self.ms) == .disconnect(retryAfter: .milliseconds(100)))
        #expect(health.nextTick == 607 * Self.ms)
        #expect(health.tick(now: 607 * Self.ms) == .connect)
        health.connected()
        #expect(health.nextTick == nil)
        var late = SharedCacheHealth(connectTimeout: .seconds(1))
        #expect(late.tick(now: Int64.max - 1) == .connect)
        #expect(late.nextTick == Int64.max)
    }

    /// The connection's life: connect at once, ready, lost, back off, reconnect, recover (backoff reset).
    @Test func lifecycle() {
        var health = SharedCacheHealth(maxBackoff: .seconds(1), connectTimeout: .milliseconds(500))
        #expect(!health.acceptsCommands)
        #expect(health.tick(now: 0) == .connect)
        #expect(health.state == .connecting(since: 0))
        #expect(health.tick(now: 10 * Self.ms) == .none)
        health.connected()
        #expect(health.acceptsCommands)
        #expect(health.tick(now: 20 * Self.ms) == .none)
        #expect(health.connectionLost(now: 30 * Self.ms) == .retry(after: .milliseconds(100)))
        #expect(!health.acceptsCommands)
        #expect(health.state == .down(retryAt: 130 * Self.ms))
        // The shell's own disconnect callback after it dropped the connection: not a second failure.
        #expect(health.connectionLost(now: 31 * Self.ms) == .none)
        #expect(health.tick(now: 129 * Self.ms) == .none)
        #expect(health.tick(now: 130 * Self.ms) == .connect)
        // Refused (connection refused): 200 ms now.
        #expect(health.connectionLost(now: 140 * Self.ms) == .retry(after: .milliseconds(200)))
        #expect(health.tick(now: 340 * Self.ms) == .connect)
        health.connected()
        #expect(health.consecutiveFailures == 0)
        #expect(health.connectionLost(now: 400 * Self.ms) == .retry(after: .milliseconds(100)))
    }

    /// An attempt that neither succeeds nor fails within `connect_timeout` (a silent server) is dropped.
    @Test func connectTimeout() {
        var health = SharedCacheHealth(connectTimeout: .milliseconds(200))
        #expect(health.tick(now: 0) == .connect)
        #expect(health.tick(now: 199 * Self.ms) == .none)
        #expect(health.tick(now: 200 * Self.ms) == .disconnect(retryAfter: .milliseconds(100)))
        #expect(health.state == .down(retryAt: 300 * Self.ms))
    }

    /// `timeoutsToDisconnect` timeouts in a row drop the connection; any answer in between resets the count.
    @Test func slowRedisIsDropped() {
        var health = SharedCacheHealth()
        _ = health.tick(now: 0)
        health.connected()
        #expect(health.commandTimedOut(now: 1) == .none)
        #expect(health.commandTimedOut(now: 2) == .none)
        health.commandAnswered()
        #expect(health.consecutiveTimeouts == 0)
        #expect(health.commandTimedOut(now: 3) == .none)
        #expect(health.commandTimedOut(now: 4) == .none)
        #expect(health.commandTimedOut(now: 5) == .disconnect(retryAfter: .milliseconds(100)))
        #expect(!health.acceptsCommands)
        // Late timeouts of the dropped connection change nothing.
        #expect(health.commandTimedOut(now: 6) == .none)
        #expect(health.consecutiveFailures == 1)
    }

    /// AUTH / SELECT refused: dropped and retried with backoff like any failure.
    @Test func handshakeRefused() {
        var health = SharedCacheHealth()
        _ = health.tick(now: 0)
        #expect(health.handshakeRefused(now: 0) == .disconnect(retryAfter: .milliseconds(100)))
        _ = health.tick(now: 100 * Self.ms)
        #expect(health.handshakeRefused(now: 100 * Self.ms) == .disconnect(retryAfter: .milliseconds(200)))
    }

    /// Saturating arithmetic: a clock near Int64.max never traps.
    @Test func saturates() {
        var health = SharedCacheHealth()
        _ = health.tick(now: Int64.max - 1)
        #expect(health.connectionLost(now: Int64.max - 1) == .retry(after: .milliseconds(100)))
        #expect(health.state == .down(retryAt: Int64.max))
        var connecting = SharedCacheHealth()
        #expect(connecting.tick(now: 0) == .connect)
        #expect(connecting.tick(now: Int64.max) == .disconnect(retryAfter: .milliseconds(100)))
    }
}
