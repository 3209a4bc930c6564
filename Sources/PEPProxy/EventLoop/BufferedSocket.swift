private import CLibevent
private import COpenSSL
import Foundation

/// Events a `BufferedSocket` reports to its owner.
protocol BufferedSocketDelegate: AnyObject {
    /// New bytes are in the input buffer.
    func socketReadable(_ socket: BufferedSocket)
    /// The output buffer drained to its low-water mark (0 unless set).
    func socketWritable(_ socket: BufferedSocket)
    /// The peer closed, an error or a timeout happened, or an outgoing connect finished.
    func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event)
}

/// The single Swift owner of one libevent `bufferevent` over a TCP socket, plain or TLS (STYLE rule 3).
///
/// Thread rules: created, used and freed on one `EventLoop` thread. Callbacks are thunks that recover `self`
/// from the `void *` argument (unretained: the owner keeps the socket alive while it is open) and call the
/// delegate. `close()` frees the bufferevent (and the fd); libevent defers the actual free if a callback of
/// this bufferevent is on the stack.
///
/// TLS (`bufferevent_openssl_socket_new`): the bufferevent owns the `SSL` (freed with it, CLOSE_ON_FREE) and
/// this object keeps the `TLSServerContext` / `TLSClientContext` it came from alive. Reads and writes carry
/// plaintext, as for plain sockets. A server-side socket reports nothing for the finished handshake (its owner
/// already waits for a request); a client-side one reports `.connected` only once the handshake and the peer
/// verification succeeded, so nothing is written to an upstream whose certificate was refused.
///
/// Direct writes (plain sockets): when the output buffer is empty, `write` and `moveInput` hand the bytes to the
/// kernel at once (`send` / `evbuffer_write_atmost`) and only what the kernel did not take goes into the output
/// buffer. A request or response that fits the socket buffer then costs one `writev` and no `epoll_ctl` (the
/// bufferevent would otherwise add its write event, wait a loop turn, write and delete the event again). The
/// write callback fires only for bytes that went through the output buffer: owners check `outputLength` after
/// writing, as they did for a buffer that drained at once.
final class BufferedSocket {
    /// What happened on the socket.
    enum Event: Equatable {
        case connected
        /// The peer closed its sending side; writing may go on (plain sockets only: see `handleEvent`).
        case eof
        case error(Int32)
        case readTimeout
        case writeTimeout
    }

    private var bev: OpaquePointer?
    /// Who hears the socket's events. A strong reference, dropped by `close()`: a weak one gave every delegate
    /// (a proxy exchange per request) a side table, and every retain and release of it the slow path.
    var delegate: BufferedSocketDelegate?
    /// The TLS context this socket was made from (kept alive while the socket's `SSL` may use it).
    private var tlsServer: TLSServerContext?
    private var tlsClient: TLSClientContext?
    private var tlsHandshakeDone = false
    /// Plain and connected: bytes may go straight to the fd while the output buffer is empty.
    private var directWrites = false
    /// The send timeout: the longest the output may wait without any byte accepted by the peer before
    /// `.writeTimeout` is reported. Applied by every `setTimeouts` call whose `write` is nil. Nil = none.
    ///
    /// libevent's write timeout measures time without a *write*, and a kernel send buffer of megabytes only
    /// becomes writable again in large steps: a slow reader that keeps taking bytes would look stalled. So an
    /// expired write timeout asks how many bytes the peer has taken in all: the bytes handed out (written
    /// directly or queued) minus those still queued minus the kernel's unacknowledged ones (`TIOCOUTQ`). If that
    /// grew since the previous expiry (or this is the first), the peer is reading and the timeout is re-armed.
    /// A peer that takes nothing is cut after one to two timeouts.
    var sendTimeout: Duration?
    /// Plain sockets read through their own persistent read event (`recv` / `readv` straight into the input buffer, no
    /// `ioctl(FIONREAD)` per read as the bufferevent read path does): `nil` for TLS sockets, and for outgoing
    /// ones until they are connected.
    private var readEvent: OpaquePointer?
    private var base: OpaquePointer?
    /// Whether the read event is added (reading on), and the read timeout it carries.
    private var readEventAdded = false
    /// Whether the read event carries a timeout. libevent keeps a persistent event's timeout (`ev_io_timeout`)
    /// through `event_del` and re-arms it whenever the callback runs, so clearing it takes `event_assign`.
    private var readEventTimed = false
    private var readWanted = true
    private var readTimeout: Duration?
    /// The timeouts last given to libevent (`setTimeouts` skips a call that would not change them).
    private var currentTimeouts: (read: Duration?, write: Duration?) = (nil, nil)
    private var timeoutsSet = false
    /// Every byte given to the kernel directly or put into the output buffer, since the socket was created.
    private var bytesHandedOut: UInt64 = 0
    /// Bytes the peer had taken at the previous expired write timeout (nil until one expires).
    private var takenAtLastTimeout: Int64?
    /// Staged input (see `directRead`): bytes read into the thread's read buffer and not yet consumed,
    /// `staged + stagedStart ..< staged + stagedEnd`, only while the delegate's `socketReadable` runs. While
    /// bytes are staged the input evbuffer is empty, and every input accessor reads the staged bytes instead.
    private var staged: UnsafeMutableRawPointer?
    private var stagedStart = 0
    private var stagedEnd = 0
    /// Bytes `writeDeferred` held back: they leave with the next `write`, `moveInput` into this socket or
    /// `flushDeferred`, in one system call with what follows them.
    private var deferred: [UInt8] = []
    /// The verified client certificate's subject (RFC 2253) on a server-side socket of a listener that requires
    /// client certificates, once the handshake finished.
    private(set) var tlsPeerSubject: String?
    /// Why the TLS handshake or a TLS record failed (OpenSSL's reasons), set just before `.error` is reported.
    private(set) var tlsFailure: String?
    /// Called once when a server-side handshake fails (before the delegate hears `.error`); logging only.
    var onTLSHandshakeFailure: ((String) -> Void)?

    /// Wraps an accepted socket fd (closed when this object is closed); with `tls`, the TLS server handshake
    /// starts at once.
    init(base: OpaquePointer, fd: Int32, tls: TLSServerContext? = nil) throws {
        let options = Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)
        let created: OpaquePointer?
        if let tls {
            let options = options | Self.tlsExtraOptions
            guard let ssl = tls.makeSSL() else {
                Foundation.close(fd)
                OpenSSLErrorQueue.clear()
                throw BufferedSocketError.creationFailed
            }
            created = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, options)
            if created == nil { SSL_free(ssl) }
            self.tlsServer = tls
        } else {
            created = bufferevent_socket_new(base, fd, options)
        }
        guard let bev = created else {
            Foundation.close(fd)
            throw BufferedSocketError.creationFailed
        }
        self.bev = bev
        self.base = base
        // Many clients close without close_notify; that is an end of stream, not an error, on the server side.
        if tls != nil { bufferevent_openssl_set_allow_dirty_shutdown(bev, 1) }
        self.directWrites = tls == nil
        Self.setNoDelay(fd)
        self.installCallbacks()
        if tls == nil { self.startDirectReads(fd: fd) }
    }

    /// Starts a non-blocking connect to `address`; `.connected` or `.error` is reported to the delegate. With
    /// `tls`, `.connected` comes after the TLS handshake with `serverName` (SNI and the name verified) succeeded.
    init(
        base: OpaquePointer, connectingTo address: SocketAddress, tls: TLSClientContext? = nil, serverName: String = ""
    ) throws {
        let options = Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)
        let created: OpaquePointer?
        if let tls {
            let options = options | Self.tlsExtraOptions
            guard let ssl = tls.makeSSL(serverName: serverName) else {
                throw BufferedSocketError.creationFailed
            }
            created = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, options)
            if created == nil { SSL_free(ssl) }
            self.tlsClient = tls
        } else {
            created = bufferevent_socket_new(base, -1, options)
        }
        guard let bev = created else { throw BufferedSocketError.creationFailed }
        self.bev = bev
        self.base = base
        self.installCallbacks()
        let result = address.withSockAddr { bufferevent_socket_connect(bev, $0, Int32($1)) }
        if result != 0 {
            bufferevent_free(bev)
            self.bev = nil
            throw BufferedSocketError.connectFailed(errno)
        }
        Self.setNoDelay(bufferevent_getfd(bev))
    }

    deinit {
        if let event = self.readEvent { event_free(event) }
        if let bev = self.bev { bufferevent_free(bev) }
    }

    /// Moves a plain socket's reading off the bufferevent onto a persistent read event of its own.
    private func startDirectReads(fd: Int32) {
        guard let bev = self.bev, let base = self.base, fd >= 0, self.readEvent == nil else { return }
        let wanted = Int32(bufferevent_get_enabled(bev)) & Int32(CLibevent_EV_READ()) != 0
        bufferevent_disable(bev, CLibevent_EV_READ())
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard
            let event = event_new(
                base, fd, CLibevent_EV_READ() | CLibevent_EV_PERSIST(), bufferedSocketDirectReadCallback, me)
        else {
            bufferevent_enable(bev, CLibevent_EV_READ())
            return
        }
        self.readEvent = event
        self.readEventAdded = false
        self.readWanted = wanted
        self.updateReadEvent()
    }

    /// Adds (with the read timeout) or deletes the read event to match `readWanted`.
    private func updateReadEvent() {
        guard let event = self.readEvent else { return }
        if self.readWanted {
            if let timeout = self.readTimeout {
                var tv = timeval(timeout)
                event_add(event, &tv)
                self.readEventTimed = true
            } else {
                if self.readEventTimed { self.resetReadEvent(event) }
                event_add(event, nil)
            }
            self.readEventAdded = true
        } else if self.readEventAdded {
            event_del(event)
            self.readEventAdded = false
        }
    }

    /// Clears the read event's remembered timeout (deletes it and assigns it again).
    private func resetReadEvent(_ event: OpaquePointer) {
        guard let bev = self.bev, let base = self.base else { return }
        event_del(event)
        let me = Unmanaged.passUnretained(self).toOpaque()
        event_assign(
            event, base, bufferevent_getfd(bev), CLibevent_EV_READ() | CLibevent_EV_PERSIST(),
            bufferedSocketDirectReadCallback, me)
        self.readEventTimed = false
    }

    /// Bytes reserved in the input buffer for each read into it (see `directRead`): a new chain of this much plus
    /// libevent's chain header stays within 1 KiB.
    private static let smallRead = 896

    /// The fd is readable (or the read timeout passed): read once and report.
    ///
    /// With the input buffer empty (a kept-alive connection between requests, an upstream awaiting its response)
    /// the bytes go into the thread's read buffer and are *staged*: the delegate reads, parses and moves them in
    /// place during `socketReadable`, and only what it leaves is copied into the input buffer afterwards. A
    /// request or response consumed at once then costs no evbuffer chain (callgrind: a `malloc` and a `free`
    /// per read, about 350 instructions with the reserve, commit and drain calls).
    fileprivate func directRead(_ what: Int16) {
        guard let bev = self.bev else { return }
        if Int32(what) & Int32(CLibevent_EV_TIMEOUT()) != 0 {
            // As the bufferevent did: a read timeout stops reading; the owner decides what comes next.
            self.readWanted = false
            self.updateReadEvent()
            self.delegate?.socketEvent(self, .readTimeout)
            return
        }
        let input = bufferevent_get_input(bev)
        let fd = bufferevent_getfd(bev)
        let received: Int
        let code: Int32
        if evbuffer_get_length(input) == 0, let buffer = CLibevent_read_buffer_take() {
            // `recv`, not `read`: a socket read through the VFS (`vfs_read`, `fdget_pos`, `sock_read_iter`) cost
            // the kernel about 1.4 % more CPU per proxied request (perf, loopback).
            received = CLibevent_recv(fd, buffer, Int(CLIBEVENT_READ_BUFFER_BYTES))
            code = errno
            if received > 0 {
                self.staged = UnsafeMutableRawPointer(buffer)
                self.stagedStart = 0
                self.stagedEnd = received
                self.delegate?.socketReadable(self)
                self.unstage()
                CLibevent_read_buffer_give_back()
                return
            }
            CLibevent_read_buffer_give_back()
        } else {
            (received, code) = self.readIntoInput(input, fd: fd)
            if received > 0 {
                self.delegate?.socketReadable(self)
                return
            }
        }
        if received < 0, code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return }
        self.readWanted = false
        self.updateReadEvent()
        self.delegate?.socketEvent(self, received == 0 ? .eof : .error(code))
    }

    /// Reads once into the input buffer (bytes already wait there, or the thread's read buffer is taken): a small
    /// reservation, and the thread's read buffer (when free) as the overflow, copied in after.
    /// - Returns: what `readv` returned, and `errno`.
    private func readIntoInput(_ input: OpaquePointer?, fd: Int32) -> (Int, Int32) {
        // A bufferevent keeps the end of its input frozen (only its own read path may add); thaw it while reading,
        // as that path does, and freeze it again before any callback (which may close and free the socket).
        evbuffer_unfreeze(input, 0)
        defer { evbuffer_freeze(input, 0) }
        // libevent's `evbuffer_iovec` is `struct iovec` where the platform has one.
        var vectors = (iovec(), iovec())
        let reserved = withUnsafeMutablePointer(to: &vectors) {
            $0.withMemoryRebound(to: iovec.self, capacity: 1) { evbuffer_reserve_space(input, Self.smallRead, $0, 1) }
        }
        guard reserved == 1 else { return (-1, EAGAIN) }
        let overflow = CLibevent_read_buffer_take()
        defer { if overflow != nil { CLibevent_read_buffer_give_back() } }
        if let overflow { vectors.1 = iovec(iov_base: overflow, iov_len: Int(CLIBEVENT_READ_BUFFER_BYTES)) }
        let received = withUnsafeMutablePointer(to: &vectors) {
            $0.withMemoryRebound(to: iovec.self, capacity: 2) { CLibevent_readv(fd, $0, overflow == nil ? 1 : 2) }
        }
        let code = errno
        if received > 0 {
            let first = min(received, vectors.0.iov_len)
            vectors.0.iov_len = first
            withUnsafeMutablePointer(to: &vectors) {
                $0.withMemoryRebound(to: iovec.self, capacity: 1) { _ = evbuffer_commit_space(input, $0, 1) }
            }
            if received > first, let overflow { evbuffer_add(input, overflow, received - first) }
        }
        return (received, code)
    }

    /// Copies what the delegate left of the staged bytes into the input buffer (pipelined bytes, a partial head,
    /// a body waiting for backpressure to clear) and ends staging. Nothing is copied once the socket is closed.
    private func unstage() {
        defer { self.staged = nil }
        guard let staged = self.staged, self.stagedEnd > self.stagedStart, let bev = self.bev else { return }
        let input = bufferevent_get_input(bev)
        evbuffer_unfreeze(input, 0)
        evbuffer_add(input, staged + self.stagedStart, self.stagedEnd - self.stagedStart)
        evbuffer_freeze(input, 0)
    }

    /// An OpenSSL bufferevent writes (`SSL_write`) as soon as bytes are added to its output and then runs the
    /// write callback on the caller's stack; deferred callbacks keep every delegate call on the loop, as with
    /// plain sockets, so `write` and `moveInput` never re-enter their caller.
    private static let tlsExtraOptions = Int32(BEV_OPT_DEFER_CALLBACKS.rawValue)

    private func installCallbacks() {
        guard let bev = self.bev else { return }
        let me = Unmanaged.passUnretained(self).toOpaque()
        bufferevent_setcb(bev, bufferedSocketReadCallback, bufferedSocketWriteCallback, bufferedSocketEventCallback, me)
        bufferevent_enable(bev, Int16(CLibevent_EV_READ() | CLibevent_EV_WRITE()))
    }

    private static func setNoDelay(_ fd: Int32) {
        guard fd >= 0 else { return }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Whether the socket is still open.
    var isOpen: Bool { self.bev != nil }

    /// Whether this socket speaks TLS.
    var isTLS: Bool { self.tlsServer != nil || self.tlsClient != nil }

    /// Closes with a TCP reset instead of a FIN (`SO_LINGER` 0): for an upstream that received part of a request
    /// whose body then turned out malformed, so it can never take the truncated bytes for a complete request.
    func closeWithReset() {
        if let bev = self.bev {
            let fd = bufferevent_getfd(bev)
            if fd >= 0 {
                var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
            }
        }
        self.close()
    }

    /// Half-closes a plain socket (`shutdown(SHUT_WR)`: the peer reads an end of stream, reading goes on): a
    /// tunnel passing one side's FIN to the other. The owner calls it once the output buffer is empty. Returns
    /// `false` for a TLS socket (an OpenSSL bufferevent cannot half-close: the owner closes instead) or a closed
    /// one.
    func shutdownWrite() -> Bool {
        guard let bev = self.bev, !self.isTLS else { return false }
        self.flushDeferred()
        let fd = bufferevent_getfd(bev)
        guard fd >= 0 else { return false }
        return Foundation.shutdown(fd, Int32(SHUT_WR)) == 0
    }

    /// Frees the bufferevent and closes the fd. Idempotent. Pending output is discarded. A TLS socket whose
    /// handshake finished sends its close_notify alert first (RFC 8446 §6.1), best effort.
    func close() {
        self.delegate = nil
        // Staged bytes are dropped with the socket (its input would be freed with the bufferevent).
        self.staged = nil
        if let event = self.readEvent {
            event_free(event)
            self.readEvent = nil
        }
        guard let bev = self.bev else { return }
        self.bev = nil
        self.deferred = []
        bufferevent_setcb(bev, nil, nil, nil, nil)
        if self.tlsHandshakeDone, let ssl = bufferevent_openssl_get_ssl(bev) {
            _ = SSL_shutdown(ssl)
            OpenSSLErrorQueue.clear()
        }
        bufferevent_free(bev)
    }

    // MARK: input

    /// Bytes waiting in the input buffer (staged bytes included).
    var inputLength: Int {
        if self.staged != nil { return self.stagedEnd - self.stagedStart }
        guard let bev = self.bev else { return 0 }
        return evbuffer_get_length(bufferevent_get_input(bev))
    }

    /// The staged bytes not yet consumed, or `nil` when nothing is staged.
    private var stagedBytes: UnsafeRawBufferPointer? {
        guard let staged = self.staged else { return nil }
        return UnsafeRawBufferPointer(start: staged + self.stagedStart, count: self.stagedEnd - self.stagedStart)
    }

    /// Calls `body` with the first `min(max, inputLength)` input bytes made contiguous (`evbuffer_pullup`; staged
    /// bytes are contiguous already).
    func withInput<R>(upTo max: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let bytes = self.stagedBytes {
            return body(UnsafeRawBufferPointer(rebasing: bytes.prefix(max)))
        }
        guard let bev = self.bev else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let input = bufferevent_get_input(bev)
        let count = min(max, evbuffer_get_length(input))
        guard count > 0, let start = evbuffer_pullup(input, count) else {
            return body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return body(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Visits the input buffer's contiguous segments in order, without copying (`evbuffer_peek`), until `body`
    /// returns false or `max` bytes were visited.
    func forEachInputSegment(max: Int, _ body: (UnsafeRawBufferPointer) -> Bool) {
        if let bytes = self.stagedBytes {
            if !bytes.isEmpty, max > 0 { _ = body(UnsafeRawBufferPointer(rebasing: bytes.prefix(max))) }
            return
        }
        guard let bev = self.bev else { return }
        let input = bufferevent_get_input(bev)
        let length = min(max, evbuffer_get_length(input))
        guard length > 0 else { return }
        let count = Int(evbuffer_peek(input, length, nil, nil, 0))
        guard count > 0 else { return }
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            let filled = Int(evbuffer_peek(input, length, nil, vectors.baseAddress, Int32(count)))
            var remaining = length
            for vector in vectors.prefix(filled) where remaining > 0 {
                let n = min(remaining, vector.iov_len)
                remaining -= n
                if !body(UnsafeRawBufferPointer(start: vector.iov_base, count: n)) { return }
            }
        }
    }

    /// Discards `count` bytes from the front of the input buffer.
    func drainInput(_ count: Int) {
        guard count > 0 else { return }
        if self.staged != nil {
            self.stagedStart = min(self.stagedEnd, self.stagedStart + count)
            return
        }
        guard let bev = self.bev else { return }
        evbuffer_drain(bufferevent_get_input(bev), count)
    }

    /// Copies and removes up to `count` input bytes into a Swift array (local responders only, bounded bodies).
    func readInput(_ count: Int) -> [UInt8] {
        if let bytes = self.stagedBytes {
            let taken = [UInt8](bytes.prefix(max(0, count)))
            self.stagedStart += taken.count
            return taken
        }
        guard let bev = self.bev, count > 0 else { return [] }
        let input = bufferevent_get_input(bev)
        let n = min(count, evbuffer_get_length(input))
        var bytes = [UInt8](repeating: 0, count: n)
        let got = bytes.withUnsafeMutableBytes { evbuffer_remove(input, $0.baseAddress, n) }
        if got < n { bytes.removeLast(n - max(0, Int(got))) }
        return bytes
    }

    /// Moves up to `count` input bytes to `other`, without copying payload: straight to `other`'s fd when it
    /// allows direct writes and its output buffer is empty (with any deferred bytes first, in one `writev`),
    /// the rest (all of it on EAGAIN or an error, which the bufferevent then reports as an event) into its
    /// output buffer (`evbuffer_remove_buffer`; staged bytes are handed to `other.write`).
    ///
    /// - Returns: the number of bytes moved.
    @discardableResult
    func moveInput(to other: BufferedSocket, count: Int) -> Int {
        guard let bev = self.bev, let dst = other.bev, count > 0 else {
            other.flushDeferred()
            return 0
        }
        if let staged = self.stagedBytes {
            // All of them are handed out: `write` queues what the kernel does not take.
            let bytes = UnsafeRawBufferPointer(rebasing: staged.prefix(count))
            guard !bytes.isEmpty else {
                other.flushDeferred()
                return 0
            }
            other.write(bytes)
            self.stagedStart += bytes.count
            return bytes.count
        }
        let input = bufferevent_get_input(bev)
        let output = bufferevent_get_output(dst)
        var written = 0
        if other.tlsHandshakeDone, !other.deferred.isEmpty || evbuffer_get_length(output) == 0 {
            // TLS: the deferred bytes and the first part of the body in one `SSL_write` (one record), assembled in
            // a temporary buffer (the deferred array keeps only a head's capacity between responses).
            let length = min(count, Self.tlsDirectWriteBytes, evbuffer_get_length(input))
            other.bytesHandedOut += UInt64(other.deferred.count)
            written = other.tlsWriteAfterDeferred(upTo: length) {
                max(0, Int(evbuffer_remove(input, $0.baseAddress, $0.count)))
            }
        } else if !other.deferred.isEmpty {
            written = other.writeDeferredWith(input, count: count)
        } else if other.directWrites, evbuffer_get_length(output) == 0 {
            written = max(0, Int(evbuffer_write_atmost(input, bufferevent_getfd(dst), count)))
        }
        other.bytesHandedOut += UInt64(written)
        if written >= count || evbuffer_get_length(input) == 0 { return written }
        let moved = max(0, Int(evbuffer_remove_buffer(input, output, count - written)))
        other.bytesHandedOut += UInt64(moved)
        return written + moved
    }

    /// One `writev` of the deferred bytes and `bytes`; queues the deferred bytes the kernel did not take (the
    /// caller queues the rest of `bytes`). Returns the bytes of `bytes` written.
    private func writeDeferredWith(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let bev = self.bev else { return 0 }
        return self.takingDeferred { head in
            let sent = head.withUnsafeBytes { headBytes -> Int in
                var vectors = (
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress), iov_len: head.count),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                )
                return withUnsafeMutablePointer(to: &vectors) {
                    $0.withMemoryRebound(to: iovec.self, capacity: 2) {
                        max(0, CLibevent_writev(bufferevent_getfd(bev), $0, 2))
                    }
                }
            }
            self.bytesHandedOut += UInt64(head.count)
            if sent < head.count {
                _ = head.withUnsafeBytes { bufferevent_write(bev, $0.baseAddress! + sent, head.count - sent) }
                return 0
            }
            return sent - head.count
        }
    }

    /// Calls `body` with the deferred bytes taken out (not copied), then gives their array back emptied, so its
    /// capacity serves the next response (unless `body` deferred new bytes meanwhile).
    @inline(__always)
    private func takingDeferred<Result>(_ body: ([UInt8]) -> Result) -> Result {
        var head: [UInt8] = []
        swap(&head, &self.deferred)
        defer {
            head.removeAll(keepingCapacity: true)
            if self.deferred.isEmpty { swap(&head, &self.deferred) }
        }
        return body(head)
    }

    /// One `writev` of the deferred bytes and up to `count` bytes of `input` (at most 16 segments); drains from
    /// `input` what went out and queues the deferred bytes the kernel did not take. Returns the `input` bytes
    /// written.
    private func writeDeferredWith(_ input: OpaquePointer?, count: Int) -> Int {
        guard let bev = self.bev else { return 0 }
        return self.takingDeferred { head in
            let length = min(count, evbuffer_get_length(input))
            let fd = bufferevent_getfd(bev)
            // The head and up to 16 input segments, in a stack-allocated iovec array.
            let sent = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 17) { vectors in
                let segments = length > 0 ? Int(evbuffer_peek(input, length, nil, vectors.baseAddress! + 1, 16)) : 0
                return head.withUnsafeBytes { headBytes in
                    vectors[0] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress), iov_len: head.count)
                    var remaining = length
                    var used = 1
                    for index in 1..<(1 + min(segments, 16)) where remaining > 0 {
                        vectors[index].iov_len = min(vectors[index].iov_len, remaining)
                        remaining -= vectors[index].iov_len
                        used += 1
                    }
                    return max(0, CLibevent_writev(fd, vectors.baseAddress, Int32(used)))
                }
            }
            // Every head byte is handed out now (sent, or queued below); body bytes are counted by `moveInput`.
            self.bytesHandedOut += UInt64(head.count)
            if sent < head.count {
                _ = head.withUnsafeBytes { bufferevent_write(bev, $0.baseAddress! + sent, head.count - sent) }
                return 0
            }
            let bodyBytes = sent - head.count
            evbuffer_drain(input, bodyBytes)
            return bodyBytes
        }
    }

    // MARK: output

    /// Bytes still waiting in the output buffer (deferred bytes included).
    var outputLength: Int {
        guard let bev = self.bev else { return 0 }
        return evbuffer_get_length(bufferevent_get_output(bev)) + self.deferred.count
    }

    /// Holds `bytes` back so that they leave together with what is written or moved into this socket next (a
    /// response head and the first part of its body: one `writev` instead of two). The owner must follow with
    /// `write`, `moveInput(to: self)` or `flushDeferred()` before it returns to the loop. Without direct writes
    /// (a connection not yet established, or bytes already queued) this is `write`.
    func writeDeferred(_ bytes: UnsafeRawBufferPointer) {
        guard let bev = self.bev, !bytes.isEmpty else { return }
        guard self.directWrites || self.tlsHandshakeDone, evbuffer_get_length(bufferevent_get_output(bev)) == 0
        else {
            return self.write(bytes)
        }
        // Copied into the socket's own buffer, whose capacity is kept from one response to the next.
        self.deferred.append(contentsOf: bytes)
    }

    /// The most body bytes `moveInput` hands to one direct `SSL_write` with the response head (one TLS record
    /// holds 16 KiB); the rest goes through the output buffer.
    static let tlsDirectWriteBytes = 16_384 - 1_024

    /// TLS, nothing queued: `bytes` go to one `SSL_write` now, instead of through the bufferevent's output buffer
    /// (which adds the write event, waits a loop turn for it and removes it: two `epoll_ctl` and an `epoll_wait`
    /// per response). When OpenSSL cannot finish (the kernel's buffer is full: `SSL_ERROR_WANT_WRITE`; or an
    /// error), the same bytes are queued as one chunk of the output buffer, so the bufferevent retries
    /// `SSL_write` with the same length (OpenSSL requires it after WANT_WRITE; libevent sets
    /// `SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER`) and reports an error as it would have.
    private func tlsWriteNow(_ bytes: UnsafeRawBufferPointer) {
        guard let bev = self.bev, let base = bytes.baseAddress, !bytes.isEmpty,
            let ssl = bufferevent_openssl_get_ssl(bev)
        else { return }
        let written = Int(SSL_write(ssl, base, Int32(bytes.count)))
        if written == bytes.count { return }
        let output = bufferevent_get_output(bev)
        if written > 0 {
            // A partial write (SSL_MODE_ENABLE_PARTIAL_WRITE): the rest is new data to OpenSSL.
            evbuffer_add(output, base + written, bytes.count - written)
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        copy.copyMemory(from: base, byteCount: bytes.count)
        if evbuffer_add_reference(
            output, copy, bytes.count,
            { data, _, _ in
                UnsafeMutableRawPointer(mutating: data)?.deallocate()
            }, nil) != 0
        {
            copy.deallocate()
        }
    }

    /// TLS: the deferred bytes followed by up to `count` bytes that `fill` puts in the buffer it is given
    /// (returning how many), in one `tlsWriteNow`. Assembled in a temporary buffer, so the deferred array keeps
    /// only a head's capacity between responses. Returns what `fill` returned.
    private func tlsWriteAfterDeferred(upTo count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        let head = self.deferred.count
        return withUnsafeTemporaryAllocation(byteCount: head + count, alignment: 1) { buffer in
            self.deferred.withUnsafeBytes { buffer.copyMemory(from: $0) }
            self.deferred.removeAll(keepingCapacity: true)
            let filled = count == 0 ? 0 : fill(UnsafeMutableRawBufferPointer(rebasing: buffer[head...]))
            self.tlsWriteNow(UnsafeRawBufferPointer(rebasing: buffer[..<(head + filled)]))
            return filled
        }
    }

    /// Writes the bytes `writeDeferred` held back, if any.
    func flushDeferred() {
        guard !self.deferred.isEmpty else { return }
        var bytes: [UInt8] = []
        swap(&bytes, &self.deferred)
        bytes.withUnsafeBytes { self.write($0) }
        bytes.removeAll(keepingCapacity: true)
        if self.deferred.isEmpty { swap(&bytes, &self.deferred) }
    }

    /// Writes bytes: after the deferred bytes in one `writev` when some are held back, else straight to the fd
    /// when direct writes are allowed and nothing is queued; the rest (all of it on EAGAIN or an error, which the
    /// bufferevent then reports as an event) copied into the output evbuffer.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard let bev = self.bev, let base = bytes.baseAddress, bytes.count > 0 else { return }
        if self.tlsHandshakeDone, !self.deferred.isEmpty || evbuffer_get_length(bufferevent_get_output(bev)) == 0 {
            // TLS: the deferred bytes and these in one `SSL_write` when they fit a record; else the deferred bytes
            // first.
            self.bytesHandedOut += UInt64(self.deferred.count + bytes.count)
            guard !self.deferred.isEmpty else { return self.tlsWriteNow(bytes) }
            if self.deferred.count + bytes.count <= Self.tlsDirectWriteBytes {
                _ = self.tlsWriteAfterDeferred(upTo: bytes.count) { buffer in
                    buffer.copyMemory(from: bytes)
                    return bytes.count
                }
                return
            }
            _ = self.tlsWriteAfterDeferred(upTo: 0) { _ in 0 }
            if evbuffer_get_length(bufferevent_get_output(bev)) == 0 { return self.tlsWriteNow(bytes) }
            bufferevent_write(bev, base, bytes.count)
            return
        }
        var sent = 0
        if !self.deferred.isEmpty {
            sent = self.writeDeferredWith(bytes)
        } else if self.directWrites, evbuffer_get_length(bufferevent_get_output(bev)) == 0 {
            sent = max(0, CLibevent_send(bufferevent_getfd(bev), base, bytes.count, Int32(MSG_NOSIGNAL)))
        }
        self.bytesHandedOut += UInt64(bytes.count)
        if sent == bytes.count { return }
        bufferevent_write(bev, base + sent, bytes.count - sent)
    }

    /// Queues a byte array for writing.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.write($0) }
    }

    // MARK: flow control and timeouts

    /// Starts or stops reading from the socket (backpressure). Nothing is done when reading is already in that
    /// state (libevent would re-add the event: an `event_add` per call).
    func setReading(_ on: Bool) {
        guard let bev = self.bev else { return }
        if self.readEvent != nil {
            guard on != self.readWanted else { return }
            self.readWanted = on
            return self.updateReadEvent()
        }
        let enabled = Int32(bufferevent_get_enabled(bev)) & Int32(CLibevent_EV_READ()) != 0
        if enabled == on { return }
        if on {
            bufferevent_enable(bev, CLibevent_EV_READ())
        } else {
            bufferevent_disable(bev, CLibevent_EV_READ())
        }
    }

    /// Sets the write low-water mark: `socketWritable` fires when the output drains to `bytes` or below.
    func setWriteLowWatermark(_ bytes: Int) {
        guard let bev = self.bev else { return }
        bufferevent_setwatermark(bev, CLibevent_EV_WRITE(), bytes, 0)
    }

    /// What "no read timeout" is on the bufferevent path (see `setTimeouts`).
    static let noReadTimeout: Duration = .seconds(86_400)

    /// Starts the read timeout over from now (a pooled connection keeps its timeout armed between requests, so the
    /// wait for a new response must not inherit the time it spent idle).
    func restartReadTimeout() {
        guard let bev = self.bev, let read = self.currentTimeouts.read else { return }
        if self.readEvent != nil {
            if self.readWanted { self.updateReadEvent() }
            return
        }
        var r = timeval(read)
        var w = timeval(self.currentTimeouts.write ?? .zero)
        let hasWrite = self.currentTimeouts.write != nil
        withUnsafePointer(to: &r) { rp in
            withUnsafePointer(to: &w) { wp in _ = bufferevent_set_timeouts(bev, rp, hasWrite ? wp : nil) }
        }
    }

    /// Sets read and write inactivity timeouts; `nil` disables the read one, and makes the write one
    /// `sendTimeout`. libevent restarts them on each I/O; the write timeout only runs while output is queued.
    func setTimeouts(read: Duration?, write: Duration?) {
        guard let bev = self.bev else { return }
        let write = write ?? self.sendTimeout
        // Unchanged timeouts are not set again: libevent re-adds both events for every call.
        if self.timeoutsSet, self.currentTimeouts.read == read, self.currentTimeouts.write == write { return }
        self.timeoutsSet = true
        let readChanged = self.currentTimeouts.read != read
        self.currentTimeouts = (read, write)
        if self.readEvent != nil {
            // The read timeout lives on the read event; the bufferevent keeps only the write one.
            self.readTimeout = read
            if readChanged, self.readWanted { self.updateReadEvent() }
            var w = timeval(write ?? .zero)
            withUnsafePointer(to: &w) { wp in _ = bufferevent_set_timeouts(bev, nil, write == nil ? nil : wp) }
            return
        }
        // "No read timeout" is a day: with NULL, libevent keeps the old timeout on its persistent read event
        // (`ev_io_timeout`) and re-arms it at the next read.
        var r = timeval(read ?? Self.noReadTimeout)
        var w = timeval(write ?? .zero)
        withUnsafePointer(to: &r) { rp in
            withUnsafePointer(to: &w) { wp in
                _ = bufferevent_set_timeouts(bev, rp, write == nil ? nil : wp)
            }
        }
    }

    fileprivate func handleRead() { self.delegate?.socketReadable(self) }
    fileprivate func handleWrite() { self.delegate?.socketWritable(self) }
    fileprivate func handleEvent(_ what: Int16) {
        let flags = Int32(what)
        let event: Event
        if flags & Int32(BEV_EVENT_CONNECTED) != 0 {
            if self.isTLS {
                self.tlsHandshakeFinished()
                // The server side's owner is already waiting for a request: nothing to report.
                if self.tlsServer != nil { return }
            } else {
                self.directWrites = true
                if let bev = self.bev { self.startDirectReads(fd: bufferevent_getfd(bev)) }
            }
            event = .connected
        } else if flags & Int32(BEV_EVENT_TIMEOUT) != 0 {
            if flags & Int32(BEV_EVENT_READING) == 0, self.peerTookBytesSinceLastTimeout() {
                // Progress: re-arm the write event (the timeout disabled it) and its timeout.
                if let bev = self.bev { bufferevent_enable(bev, CLibevent_EV_WRITE()) }
                return
            }
            event = flags & Int32(BEV_EVENT_READING) != 0 ? .readTimeout : .writeTimeout
        } else if flags & Int32(BEV_EVENT_EOF) != 0 {
            // An OpenSSL bufferevent stops writing as well as reading when the peer closes (its `conn_closed`),
            // so a TLS client's close cannot be a half-close: queued output would never leave. Report it as the
            // end of the connection.
            event = self.tlsServer != nil ? .error(0) : .eof
        } else {
            let code = errno
            if self.isTLS { self.recordTLSFailure() }
            event = .error(code)
        }
        // A timeout disables the direction; the owner decides what happens next.
        self.delegate?.socketEvent(self, event)
    }
}

extension BufferedSocket {
    /// Whether the peer took bytes since the previous expired write timeout (true at the first one, which only
    /// records the count); see `sendTimeout`.
    fileprivate func peerTookBytesSinceLastTimeout() -> Bool {
        guard let taken = self.bytesTakenByPeer else { return false }
        defer { self.takenAtLastTimeout = taken }
        guard let previous = self.takenAtLastTimeout else { return true }
        return taken > previous
    }

    /// The bytes handed to this socket for sending that have left both its output buffer and the kernel's send
    /// queue (`TIOCOUTQ`): what the peer has taken. `nil` when closed or when the kernel cannot tell. Grows while
    /// a slow reader drains a full queue, when no new byte can be handed out (the kernel wakes writers only once
    /// a good part of its send buffer is free).
    var bytesTakenByPeer: Int64? {
        guard let bev = self.bev else { return nil }
        var unsent: Int32 = 0
        guard ioctl(bufferevent_getfd(bev), UInt(TIOCOUTQ), &unsent) == 0 else { return nil }
        let queued = evbuffer_get_length(bufferevent_get_output(bev))
        return Int64(self.bytesHandedOut) - Int64(queued) - Int64(unsent)
    }

    fileprivate func tlsHandshakeFinished() {
        guard let bev = self.bev, let ssl = bufferevent_openssl_get_ssl(bev) else { return }
        self.tlsHandshakeDone = true
        if let client = self.tlsClient { client.noteHandshake(ssl) }
        if let server = self.tlsServer, server.requiresClientCertificate {
            self.tlsPeerSubject = tlsVerifiedPeerSubject(ssl)
        }
    }

    /// Collects OpenSSL's reasons for the failure (the bufferevent's saved errors, the thread's queue, and the
    /// certificate verification result when it is the cause).
    fileprivate func recordTLSFailure() {
        guard let bev = self.bev else { return }
        var codes: [UInt] = []
        while true {
            let code = bufferevent_get_openssl_error(bev)
            if code == 0 { break }
            codes.append(code)
        }
        var reasons: [String] = []
        let saved = OpenSSLErrorQueue.describe(codes, fallback: "")
        if !saved.isEmpty { reasons.append(saved) }
        let queued = OpenSSLErrorQueue.drain(fallback: "")
        if !queued.isEmpty { reasons.append(queued) }
        if let ssl = bufferevent_openssl_get_ssl(bev), !self.tlsHandshakeDone {
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
                reasons.append(String(cString: text))
            }
        }
        guard !reasons.isEmpty else { return }
        let reason = reasons.joined(separator: "; ")
        self.tlsFailure = reason
        if !self.tlsHandshakeDone, self.tlsServer != nil { self.onTLSHandshakeFailure?(reason) }
    }
}

/// Errors creating a `BufferedSocket`.
enum BufferedSocketError: Error {
    case creationFailed
    case connectFailed(Int32)
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

private func bufferedSocketDirectReadCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<BufferedSocket>.fromOpaque(arg).takeUnretainedValue().directRead(what)
}

private func bufferedSocketReadCallback(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<BufferedSocket>.fromOpaque(arg).takeUnretainedValue().handleRead()
}

private func bufferedSocketWriteCallback(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<BufferedSocket>.fromOpaque(arg).takeUnretainedValue().handleWrite()
}

private func bufferedSocketEventCallback(_ bev: OpaquePointer?, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    guard let arg else { return }
    Unmanaged<BufferedSocket>.fromOpaque(arg).takeUnretainedValue().handleEvent(what)
}
