/// Counts down a `Content-Length` body (RFC 9112 §6.2) as slices arrive, so exactly the declared bytes are
/// relayed and anything after them is treated as the next message, never as body (SECURITY 33 d).
public struct ContentLengthBody: Sendable, Hashable {
    /// Body bytes still expected.
    public private(set) var remaining: UInt64

    /// Starts a body of `length` bytes.
    public init(length: UInt64) {
        self.remaining = length
    }

    /// Whether every body byte has arrived.
    public var isComplete: Bool { self.remaining == 0 }

    /// Accounts for up to `available` newly arrived bytes.
    ///
    /// - Returns: how many of them (a prefix) belong to this body; the rest belong to the next message.
    public mutating func consume(available: Int) -> Int {
        let taken = Int(min(UInt64(max(available, 0)), self.remaining))
        self.remaining -= UInt64(taken)
        return taken
    }
}
