private import CLibevent
import Foundation
import Synchronization

/// One libevent `event_base` and the thread that runs it (DESIGN.md "Threads and state").
///
/// Thread rules: everything that touches libevent objects created on this loop runs on the loop's thread.
/// Other threads hand work over with `execute(_:)`, which is thread-safe and wakes the loop with
/// `event_active` on a user event (libevent's pthreads locking is enabled once per process).
public final class EventLoop: @unchecked Sendable {
    /// The underlying `struct event_base *` (only for the shells in this module).
    let base: OpaquePointer
    private let wakeEvent: OpaquePointer
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let threadID = Mutex<pthread_t?>(nil)

    /// Creates a loop with its own `event_base`.
    ///
    /// - Throws: `EventLoopError.baseCreationFailed` when libevent cannot create the base (out of fds).
    public init() throws {
        EventLoop.enableThreadingOnce
        guard let config = event_config_new() else { throw EventLoopError.baseCreationFailed }
        defer { event_config_free(config) }
        // No EVENT_BASE_FLAG_PRECISE_TIMER: its timerfd costs a timerfd_settime per loop turn, and every timeout
        // here (idle, header, upstream read, drain) is whole milliseconds or more, which epoll_wait's own timeout
        // keeps.
        guard let base = event_base_new_with_config(config) else { throw EventLoopError.baseCreationFailed }
        self.base = base
        // The user event's callback argument is set once `self` is complete (event_assign before event_add).
        guard let wake = event_new(base, -1, CLibevent_EV_PERSIST(), eventLoopWakeCallback, nil) else {
            event_base_free(base)
            throw EventLoopError.baseCreationFailed
        }
        self.wakeEvent = wake
        event_assign(
            wake, base, -1, CLibevent_EV_PERSIST(), eventLoopWakeCallback, Unmanaged.passUnretained(self).toOpaque())
        event_add(wake, nil)
    }

    deinit {
        event_free(self.wakeEvent)
        event_base_free(self.base)
    }

    private static let enableThreadingOnce: Void = {
        evthread_use_pthreads()
        signal(SIGPIPE, SIG_IGN)
    }()

    /// Whether the caller runs on this loop's thread.
    public var inLoop: Bool {
        self.threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `task` on the loop's thread, soon. Thread-safe; never runs `task` inline.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        self.pending.withLock { $0.append(task) }
        event_active(self.wakeEvent, Int32(CLibevent_EV_READ()), 0)
    }

    fileprivate func runPending() {
        let tasks = self.pending.withLock { queue -> [@Sendable () -> Void] in
            let tasks = queue
            queue.removeAll(keepingCapacity: true)
            return tasks
        }
        for task in tasks { task() }
    }

    /// Runs the loop on the calling thread until `stop()`; returns afterwards.
    public func run() {
        self.threadID.withLock { $0 = pthread_self() }
        event_base_loop(self.base, EVLOOP_NO_EXIT_ON_EMPTY)
        // Drain work submitted during shutdown so completions are not lost silently.
        self.runPending()
        self.threadID.withLock { $0 = nil }
    }

    /// Asks the loop to return from `run()` after the current callbacks. Thread-safe.
    public func stop() {
        self.execute { [base = UncheckedPointer(self.base)] in
            event_base_loopbreak(base.pointer)
        }
    }

    /// Starts a dedicated thread named `name` that runs this loop; returns at once.
    @discardableResult
    public func startThread(name: String) -> Thread {
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
        return thread
    }
}

/// Errors of the event-loop layer.
public enum EventLoopError: Error, CustomStringConvertible {
    /// `event_base_new` failed.
    case baseCreationFailed

    /// A human-readable message.
    public var description: String {
        switch self {
        case .baseCreationFailed: return "cannot create a libevent event_base (file descriptors exhausted?)"
        }
    }
}

/// A C pointer that crosses into a `@Sendable` closure which runs on the pointer's own loop thread.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

private func eventLoopWakeCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<EventLoop>.fromOpaque(arg).takeUnretainedValue().runPending()
}
