import Foundation

/// A value guarded by a lock, shared between the control-plane thread and caller threads.
///
/// Thread rules: `state` is only touched inside `withLock`; the closure must not call back into code that takes the
/// same lock (no completion handlers run while it is held).
final class Locked<State>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    /// Creates the guarded value.
    init(_ state: State) {
        self.state = state
    }

    /// Runs `body` with exclusive access to the state.
    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.state)
    }
}
