import Synchronization

/// The current `TLSServerContext` of one TLS listener, shared by every worker's copy of that listener.
/// Accepting reads it once per connection; a certificate reload (SIGHUP) replaces it, so new connections get
/// the new certificates while open ones keep the context they started with.
final class TLSContextSlot: Sendable {
    private let context: Mutex<TLSServerContext>

    init(_ context: TLSServerContext) {
        self.context = Mutex(context)
    }

    /// The context for the next accepted connection.
    var current: TLSServerContext { self.context.withLock { $0 } }

    /// Makes `context` the one new connections use.
    func replace(with context: TLSServerContext) {
        self.context.withLock { $0 = context }
    }
}
