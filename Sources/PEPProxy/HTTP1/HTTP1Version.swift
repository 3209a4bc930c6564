/// The HTTP/1.x versions the codec speaks (RFC 9112 §2.3). Anything else is rejected: `505` on requests.
public enum HTTP1Version: Sendable, Hashable {
    /// `HTTP/1.0`: no Host required, keep-alive only when asked for, no Transfer-Encoding.
    case http10
    /// `HTTP/1.1`.
    case http11

    /// The protocol string as it appears on the wire (`HTTP/1.0`, `HTTP/1.1`).
    public var text: String {
        switch self {
        case .http10: "HTTP/1.0"
        case .http11: "HTTP/1.1"
        }
    }
}
