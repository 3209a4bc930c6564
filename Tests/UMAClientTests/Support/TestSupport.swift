import Foundation
import PEPCore

@testable import UMAClient

/// Awaits a completion-handler API.
func awaitResult<T: Sendable>(_ start: (@escaping @Sendable (T) -> Void) -> Void) async -> T {
    await withCheckedContinuation { continuation in start { continuation.resume(returning: $0) } }
}

/// A settable clock for `ProtectionTokenProvider` (seconds).
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double

    init(_ seconds: Double = 1000) {
        self.seconds = seconds
    }

    var now: Double {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.seconds
    }

    func advance(by delta: Double) {
        self.lock.lock()
        self.seconds += delta
        self.lock.unlock()
    }
}

/// A thread-safe counter/box for handlers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]

    /// Increments `key` and returns the new value.
    func next(_ key: String) -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.values[key, default: 0] += 1
        return self.values[key, default: 0]
    }

    func value(_ key: String) -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.values[key, default: 0]
    }
}

extension ScriptedHTTPServer.Request {
    /// The body parsed as JSON (`nil` when it is not JSON).
    var json: JSONValue? { try? JSONCodec.parse(self.body) }
}

/// A started control plane plus a token provider on an injected clock; stopped by `shutdown()`.
struct ControlPlaneFixture {
    let controlPlane: ControlPlane
    let tokens: ProtectionTokenProvider
    let clock: TestClock

    init() throws {
        self.controlPlane = ControlPlane()
        try self.controlPlane.start()
        let clock = TestClock()
        self.clock = clock
        self.tokens = ProtectionTokenProvider(clock: { clock.now })
    }

    func shutdown() {
        self.controlPlane.shutdown()
    }
}
