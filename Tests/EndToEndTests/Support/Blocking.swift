import Dispatch
import Foundation

/// A task executor on its own serial dispatch queue: end-to-end tests block for seconds at a time (processes,
/// sockets, bounded waits), and must not hold one of Swift's cooperative threads meanwhile — on a 2-core
/// machine that would stall every async test of the other targets running in parallel.
final class DispatchTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        self.queue.async {
            unowned.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// Runs a test body (synchronous, blocking) off the cooperative pool, keeping the test's task (so `#expect`
/// and `Issue.record` still belong to the test).
func offPool<T>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(DispatchTaskExecutor(label: "uma-pep.e2e")) {
        try body()
    }
}
