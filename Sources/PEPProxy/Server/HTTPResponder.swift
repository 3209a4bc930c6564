/// Answers whole requests on a listener that serves locally (development authorization server, demo upstream,
/// admin endpoints) instead of proxying.
public protocol HTTPResponder: Sendable {
    /// Produces the response for `request`. Call `completion` exactly once, on any thread; calling it before
    /// returning (synchronously) is the fast path.
    func respond(to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void)
}

/// An `HTTPResponder` made from a synchronous function.
public struct SyncResponder: HTTPResponder {
    private let handler: @Sendable (HTTPRequestMessage) -> HTTPResponseMessage

    /// Wraps `handler`, which runs on the worker thread that read the request: keep it short and non-blocking.
    public init(_ handler: @escaping @Sendable (HTTPRequestMessage) -> HTTPResponseMessage) {
        self.handler = handler
    }

    /// Calls the handler and completes synchronously.
    public func respond(
        to request: HTTPRequestMessage, completion: @escaping @Sendable (HTTPResponseMessage) -> Void
    ) {
        completion(self.handler(request))
    }
}
