private import CLibevent

/// A restartable one-shot timer on an `EventLoop` (owns one libevent `event`; STYLE rule 3).
///
/// Thread rules: create, arm, cancel and release on the loop's thread. The action runs on that thread.
final class LoopTimer {
    private let event: OpaquePointer
    private let action: () -> Void
    /// Kept so the `event_base` outlives the event: a timer released after its loop's owner (a worker whose
    /// listener failed to bind, torn down field by field) would otherwise free its event on a freed base.
    private let loop: EventLoop

    /// Creates a disarmed timer that calls `action` when it fires.
    init?(loop: EventLoop, action: @escaping () -> Void) {
        self.action = action
        self.loop = loop
        guard let event = event_new(loop.base, -1, 0, loopTimerCallback, nil) else { return nil }
        self.event = event
        event_assign(event, loop.base, -1, 0, loopTimerCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        event_free(self.event)
    }

    /// Arms (or re-arms) the timer to fire once after `delay`.
    func schedule(after delay: Duration) {
        var tv = timeval(delay)
        event_add(self.event, &tv)
    }

    /// Disarms the timer. Idempotent.
    func cancel() {
        event_del(self.event)
    }

    /// Whether the timer is armed.
    var isArmed: Bool {
        event_pending(self.event, CLibevent_EV_TIMEOUT(), nil) != 0
    }

    fileprivate func fire() { self.action() }
}

private func loopTimerCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<LoopTimer>.fromOpaque(arg).takeUnretainedValue().fire()
}
