private import CLibevent
import Foundation

/// Accepts connections on one listening socket for one worker loop (`evconnlistener`).
///
/// Thread rules: created and freed on its loop's thread; `onAccept` runs there with the new fd and peer address.
final class Listener {
    private var listener: OpaquePointer?
    /// The address actually bound (real port when 0 was asked for).
    let boundAddress: SocketAddress
    private let onAccept: (Int32, SocketAddress?) -> Void

    /// Opens a `SO_REUSEPORT` socket on `address` and starts accepting on `loop`.
    ///
    /// - Throws: `SocketAddressError.bindFailed` when the socket cannot be bound.
    init(
        loop: EventLoop, address: SocketAddress, exclusive: Bool = false,
        onAccept: @escaping (Int32, SocketAddress?) -> Void
    ) throws {
        let (fd, bound) = try ListeningSocket.open(address, exclusive: exclusive)
        self.boundAddress = bound
        self.onAccept = onAccept
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE) | UInt32(LEV_OPT_CLOSE_ON_EXEC)
        guard let listener = evconnlistener_new(loop.base, nil, nil, flags, 0, fd) else {
            Foundation.close(fd)
            throw SocketAddressError.bindFailed(address.description, "evconnlistener_new failed")
        }
        self.listener = listener
        evconnlistener_set_cb(listener, listenerAcceptCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if let listener = self.listener { evconnlistener_free(listener) }
    }

    /// Stops accepting and closes the listening socket (graceful shutdown). Idempotent.
    func close() {
        guard let listener = self.listener else { return }
        self.listener = nil
        evconnlistener_free(listener)
    }

    /// Pauses or resumes accepting (connection cap reached / freed).
    func setAccepting(_ on: Bool) {
        guard let listener = self.listener else { return }
        if on { evconnlistener_enable(listener) } else { evconnlistener_disable(listener) }
    }

    fileprivate func accept(fd: Int32, address: UnsafeMutablePointer<sockaddr>?) {
        let peer = address.flatMap { SocketAddress.from(UnsafePointer($0)) }
        self.onAccept(fd, peer)
    }
}

private func listenerAcceptCallback(
    _ listener: OpaquePointer?, _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: Int32,
    _ arg: UnsafeMutableRawPointer?
) {
    guard let arg else {
        close(fd)
        return
    }
    Unmanaged<Listener>.fromOpaque(arg).takeUnretainedValue().accept(fd: fd, address: address)
}
