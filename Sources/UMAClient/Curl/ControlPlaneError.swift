/// Why a control-plane call produced no usable response. Every case maps to `502` in the PEP (SPEC A8, §2.9).
public enum ControlPlaneError: Error, Sendable, Equatable {
    /// The connection could not be established (refused, unreachable, name not resolved). Carries curl's message.
    case connect(String)
    /// The connect timeout or total timeout elapsed (`HTTPCallOptions`).
    case timeout
    /// TLS handshake or certificate verification failed. Carries curl's message.
    case tls(String)
    /// Any other transport failure (connection reset, malformed response, …). Carries curl's message.
    case transport(String)
    /// The response body exceeded `HTTPCallOptions.maxResponseBodyBytes` (the limit, in bytes).
    case responseTooLarge(limitBytes: Int)
    /// The call itself is malformed (bad method, URL or header bytes); nothing was sent.
    case invalidRequest(String)
    /// The control plane shut down (or was never started) before the call completed.
    case cancelled

    /// A stable identifier for logs, stats and tests.
    public var detail: String {
        switch self {
        case .connect: return "control_plane.connect"
        case .timeout: return "control_plane.timeout"
        case .tls: return "control_plane.tls"
        case .transport: return "control_plane.transport"
        case .responseTooLarge: return "control_plane.response_too_large"
        case .invalidRequest: return "control_plane.invalid_request"
        case .cancelled: return "control_plane.cancelled"
        }
    }
}
