private import CCurl
private import CLibevent

/// The libevent ⇄ libcurl glue of the control plane (SPIKE (4)): `CURLMOPT_SOCKETFUNCTION` keeps one persistent
/// `event` per curl socket (stored with `curl_multi_assign`), `CURLMOPT_TIMERFUNCTION` arms one libevent timer, and
/// both event callbacks call `curl_multi_socket_action` and then drain finished transfers. All of it runs on the
/// control-plane thread.
extension ControlPlane {
    /// Creates the event base, the multi handle, the curl timer and the wake-up event.
    func createLoopObjects() throws(ControlPlaneError) {
        guard let base = event_base_new() else { throw .transport("event_base_new failed") }
        self.base = base
        guard let multi = curl_multi_init() else { throw .transport("curl_multi_init failed") }
        self.multi = multi
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard CCurl_multi_setopt_socketfn(multi, controlPlaneSocketThunk) == CURLM_OK,
            CCurl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, context) == CURLM_OK,
            CCurl_multi_setopt_timerfn(multi, controlPlaneTimerThunk) == CURLM_OK,
            CCurl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, context) == CURLM_OK
        else { throw .transport("curl_multi_setopt failed") }
        guard let timer = event_new(base, -1, 0, controlPlaneTimeoutThunk, context),
            let wake = event_new(base, -1, 0, controlPlaneWakeThunk, context)
        else { throw .transport("event_new failed") }
        self.timer = timer
        self.wakeEvent = wake
    }

    /// Frees everything `createLoopObjects` made, closing cached connections (loop thread, after the loop ended).
    func destroyLoopObjects() {
        if let multi = self.multi {
            // Cleared first: socket callbacks made during cleanup must not call back into the multi handle; the
            // events they would free are freed below.
            self.multi = nil
            curl_multi_cleanup(multi)
        }
        for (_, event) in self.socketEvents { event_free(event) }
        self.socketEvents.removeAll()
        if let timer = self.timer { event_free(timer) }
        self.timer = nil
        if let wake = self.wakeEvent { event_free(wake) }
        self.wakeEvent = nil
        if let base = self.base { event_base_free(base) }
        self.base = nil
    }

    /// `CURLMOPT_SOCKETFUNCTION`: start, change or stop watching `socket`.
    func socketChanged(_ socket: Int32, what: Int32, event existing: UnsafeMutableRawPointer?) {
        guard let multi = self.multi, let base = self.base else { return }
        if what == CURL_POLL_REMOVE {
            if let event = self.socketEvents.removeValue(forKey: socket) { event_free(event) }
            curl_multi_assign(multi, socket, nil)
            return
        }
        var kind = CLibevent_EV_PERSIST()
        if what & CURL_POLL_IN != 0 { kind |= CLibevent_EV_READ() }
        if what & CURL_POLL_OUT != 0 { kind |= CLibevent_EV_WRITE() }
        let context = Unmanaged.passUnretained(self).toOpaque()
        if let existing {
            let event = OpaquePointer(existing)
            event_del(event)
            event_assign(event, base, socket, kind, controlPlaneSocketEventThunk, context)
            event_add(event, nil)
        } else if let event = event_new(base, socket, kind, controlPlaneSocketEventThunk, context) {
            self.socketEvents[socket] = event
            curl_multi_assign(multi, socket, UnsafeMutableRawPointer(event))
            event_add(event, nil)
        }
    }

    /// `CURLMOPT_TIMERFUNCTION`: `-1` disarms, `0` means "as soon as possible", otherwise milliseconds.
    func timerChanged(milliseconds: Int) {
        guard let timer = self.timer else { return }
        if milliseconds < 0 {
            event_del(timer)
            return
        }
        var interval = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        event_add(timer, &interval)
    }

    /// A watched socket became readable/writable.
    func socketReady(_ socket: Int32, events: Int16) {
        guard let multi = self.multi else { return }
        var flags: Int32 = 0
        if events & CLibevent_EV_READ() != 0 { flags |= CURL_CSELECT_IN }
        if events & CLibevent_EV_WRITE() != 0 { flags |= CURL_CSELECT_OUT }
        var running: Int32 = 0
        curl_multi_socket_action(multi, socket, flags, &running)
        self.drainCompleted()
    }

    /// curl's timer expired.
    func timeoutFired() {
        guard let multi = self.multi else { return }
        var running: Int32 = 0
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
        self.drainCompleted()
    }
}

private func controlPlaneSocketThunk(
    _ easy: UnsafeMutableRawPointer?, _ socket: Int32, _ what: Int32, _ context: UnsafeMutableRawPointer?,
    _ socketContext: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return -1 }
    Unmanaged<ControlPlane>.fromOpaque(context).takeUnretainedValue()
        .socketChanged(socket, what: what, event: socketContext)
    return 0
}

private func controlPlaneTimerThunk(
    _ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context else { return -1 }
    Unmanaged<ControlPlane>.fromOpaque(context).takeUnretainedValue().timerChanged(milliseconds: milliseconds)
    return 0
}

private func controlPlaneSocketEventThunk(_ socket: Int32, _ events: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<ControlPlane>.fromOpaque(context).takeUnretainedValue().socketReady(socket, events: events)
}

private func controlPlaneTimeoutThunk(_ socket: Int32, _ events: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<ControlPlane>.fromOpaque(context).takeUnretainedValue().timeoutFired()
}

private func controlPlaneWakeThunk(_ socket: Int32, _ events: Int16, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<ControlPlane>.fromOpaque(context).takeUnretainedValue().drainQueue()
}
