private import CCurl
private import CLibevent
import Foundation
import Logging
import PEPCore

/// The control plane: one thread running its own libevent `event_base` and one libcurl multi handle driven by the
/// socket-action API, performing every call to oxd or the authorization server (DESIGN "Threads and state").
///
/// Thread rules (why `@unchecked Sendable` is sound):
/// - `submit`, `execute`, `start`, `shutdown` and `perform` may be called from any thread. They only touch
///   `shared` (under its lock) and `event_active` on the wake-up event, which libevent makes thread-safe after
///   `evthread_use_pthreads()`.
/// - Everything else (`multi`, `timer`, socket events, `transfers`) is touched only on the control-plane thread:
///   inside the libevent/libcurl callbacks it dispatches.
/// - Completion closures run **on the control-plane thread**. They must be cheap and thread-safe: hand the result
///   back to the caller's own loop (e.g. `event_active` on a worker's event) and return. They must not block, and
///   they must not call `shutdown()` expecting it to wait (from the control-plane thread it only requests the stop).
/// - After `shutdown()` (or before `start()`), `submit` completes at once with `.cancelled` **on the caller's
///   thread**, and `execute` runs its closure on the caller's thread.
///
/// Keep-alive: all calls share the multi handle's connection cache, so consecutive calls to the same host reuse
/// connections.
public final class ControlPlane: @unchecked Sendable {
    /// Lifecycle of the loop thread.
    enum Phase {
        case idle
        case starting
        case running
        case stopping
        case stopped
    }

    /// Work handed to the loop thread.
    enum Job {
        case call(HTTPCall, @Sendable (HTTPResult) -> Void)
        case execute(@Sendable () -> Void)
    }

    /// State shared with other threads (guarded by `shared`'s lock).
    struct Shared {
        var phase = Phase.idle
        var queue: [Job] = []
        var wakeEvent: OpaquePointer?
        var loopThread: Thread?
    }

    let logger: Logger
    /// The loop thread's nice value (0…19; 0 = the process's own).
    let nice: Int32
    let shared = Locked(Shared())
    private let finished = DispatchGroup()

    // Loop-thread state (see the thread rules above).
    var base: OpaquePointer?
    var multi: UnsafeMutableRawPointer?
    var timer: OpaquePointer?
    var wakeEvent: OpaquePointer?
    var transfers: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    var socketEvents: [Int32: OpaquePointer] = [:]
    var warnedInsecure = false

    /// Creates a stopped control plane; call `start()` before submitting work.
    /// - Parameters:
    ///   - logger: Where transport warnings go (never tokens or secrets).
    ///   - nice: The loop thread's nice value, 0…19 (`limits.control_plane_nice`; Linux nice values are per
    ///     thread, setpriority(2)): above 0, the workers get the CPU first when they and the authorization calls
    ///     compete for it. Clamped to 0…19; a value the system refuses is logged and ignored.
    public init(logger: Logger = Logger(label: "uma-pep.control-plane"), nice: Int = 0) {
        self.logger = logger
        self.nice = Int32(min(max(nice, 0), 19))
    }

    /// Creates the `event_base` and the multi handle and starts the loop thread. Calling it again is a no-op.
    /// - Throws: `ControlPlaneError.transport` when libevent or libcurl cannot be initialised.
    public func start() throws(ControlPlaneError) {
        guard ControlPlane.processSetup else { throw .transport("libevent/libcurl global initialisation failed") }
        let canStart = self.shared.withLock { shared -> Bool in
            guard shared.phase == .idle else { return false }
            shared.phase = .starting
            return true
        }
        guard canStart else { return }
        self.finished.enter()
        do {
            try self.createLoopObjects()
        } catch {
            self.destroyLoopObjects()
            self.shared.withLock { $0.phase = .stopped }
            self.finished.leave()
            throw error
        }
        self.shared.withLock { shared in
            shared.wakeEvent = self.wakeEvent
            if shared.phase == .starting { shared.phase = .running }
        }
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "uma-pep-control"
        thread.start()
        self.wake()
    }

    /// Stops the loop: queued and in-flight calls complete with `.cancelled`, connections are closed, and the loop
    /// thread exits. Waits for the thread to finish unless called on the control-plane thread itself.
    public func shutdown() {
        let mustWait = self.shared.withLock { shared -> Bool in
            switch shared.phase {
            case .idle:
                shared.phase = .stopped
                return false
            case .starting, .running:
                shared.phase = .stopping
                if let wake = shared.wakeEvent { event_active(wake, Int32(CLibevent_EV_READ()), 0) }
                return true
            case .stopping, .stopped:
                return true
            }
        }
        if mustWait, !self.isOnControlPlaneThread { self.finished.wait() }
    }

    /// Queues `call`; `completion` runs once on the control-plane thread with the response or failure.
    public func submit(_ call: HTTPCall, completion: @escaping @Sendable (HTTPResult) -> Void) {
        var call = call
        if let traceparent = OutgoingTrace.traceparent,
            !call.headers.contains(where: { $0.name.lowercased() == "traceparent" })
        {
            call.headers.append(HTTPField(name: "traceparent", value: traceparent))
        }
        if !self.enqueue(.call(call, completion)) { completion(.failure(.cancelled)) }
    }

    /// Runs `work` on the control-plane thread (on the caller's thread once the control plane has stopped).
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if !self.enqueue(.execute(work)) { work() }
    }

    /// `submit(_:completion:)` for async callers (the `rp` command, tests).
    public func perform(_ call: HTTPCall) async -> HTTPResult {
        await withCheckedContinuation { continuation in
            self.submit(call) { continuation.resume(returning: $0) }
        }
    }

    /// Whether the current thread is the control-plane thread.
    public var isOnControlPlaneThread: Bool {
        guard let loopThread = self.shared.withLock({ $0.loopThread }) else { return false }
        return loopThread === Thread.current
    }

    /// Appends a job and wakes the loop; `false` when the loop is not accepting work.
    private func enqueue(_ job: Job) -> Bool {
        self.shared.withLock { shared -> Bool in
            guard shared.phase == .running, let wake = shared.wakeEvent else { return false }
            let wasEmpty = shared.queue.isEmpty
            shared.queue.append(job)
            // Under the lock: the wake event is freed only after `phase` left `.running`.
            if wasEmpty { event_active(wake, Int32(CLibevent_EV_READ()), 0) }
            return true
        }
    }

    private func wake() {
        self.shared.withLock { shared in
            if let wake = shared.wakeEvent { event_active(wake, Int32(CLibevent_EV_READ()), 0) }
        }
    }

    /// `evthread_use_pthreads()` and `curl_global_init` exactly once per process (Swift `static let` is lazy and
    /// thread-safe).
    private static let processSetup: Bool = {
        guard evthread_use_pthreads() == 0 else { return false }
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    // MARK: Loop thread

    private func runLoop() {
        ThreadName.setCurrent("uma-pep-control")
        self.shared.withLock { $0.loopThread = Thread.current }
        // PRIO_PROCESS with 0 is the calling thread on Linux (a thread's nice value is its own).
        if self.nice > 0, setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, self.nice) != 0 {
            self.logger.warning(
                "cannot lower the control-plane thread's priority",
                metadata: ["nice": "\(self.nice)", "errno": "\(errno)"])
        }
        if let base = self.base {
            _ = event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
        }
        self.cancelEverything()
        self.destroyLoopObjects()
        self.shared.withLock { shared in
            shared.phase = .stopped
            shared.loopThread = nil
        }
        self.finished.leave()
    }

    /// Called on the loop thread when the wake event fires: starts queued calls, runs queued closures, or stops.
    func drainQueue() {
        let (jobs, phase) = self.shared.withLock { shared -> ([Job], Phase) in
            let jobs = shared.queue
            shared.queue.removeAll()
            return (jobs, shared.phase)
        }
        for job in jobs {
            switch job {
            case .call(let call, let completion):
                if phase == .running {
                    self.startTransfer(call, completion: completion)
                } else {
                    completion(.failure(.cancelled))
                }
            case .execute(let work):
                work()
            }
        }
        if phase != .running, let base = self.base {
            event_base_loopbreak(base)
        }
    }

    private func startTransfer(_ call: HTTPCall, completion: @escaping @Sendable (HTTPResult) -> Void) {
        if call.options.tls.insecureSkipVerify, !self.warnedInsecure {
            self.warnedInsecure = true
            self.logger.warning("TLS verification disabled for control-plane calls (insecure_skip_verify)")
        }
        let transfer: CurlTransfer
        do {
            transfer = try CurlTransfer(call: call, completion: completion)
        } catch {
            completion(.failure(error))
            return
        }
        guard let multi = self.multi, curl_multi_add_handle(multi, transfer.easy) == CURLM_OK else {
            completion(.failure(.transport("curl_multi_add_handle failed")))
            return
        }
        self.transfers[transfer.easy] = transfer
    }

    /// Completes every finished transfer (`curl_multi_info_read`), after a `curl_multi_socket_action` returned.
    func drainCompleted() {
        guard let multi = self.multi else { return }
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = self.transfers.removeValue(forKey: easy) else { continue }
            transfer.completion(transfer.result(forCode: code.rawValue))
        }
    }

    /// Fails every in-flight and queued call with `.cancelled` (loop thread, after the loop stopped).
    private func cancelEverything() {
        self.drainQueue()
        let inFlight = self.transfers
        self.transfers.removeAll()
        for (easy, transfer) in inFlight {
            if let multi = self.multi { curl_multi_remove_handle(multi, easy) }
            transfer.completion(.failure(.cancelled))
        }
        // Jobs queued by the completions above (a retry, say) are cancelled too.
        self.drainQueue()
    }
}
