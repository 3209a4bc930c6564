/// Why forwarding to the upstream failed, the `kind` label of `uma_pep_upstream_errors_total` (SPEC A10).
public enum UpstreamErrorKind: String, Sendable, Equatable, CaseIterable {
    /// The TCP (or TLS) connection could not be established.
    case connect
    /// A connect, write or response timeout fired.
    case timeout
    /// The upstream's response head or framing was invalid (RFC 9112 §6).
    case invalidResponse = "invalid_response"
    /// The upstream closed or reset the connection before the response was complete.
    case reset
    /// The TLS handshake with the upstream or its certificate check failed.
    case tls

    /// A dense index for series keys.
    var ordinal: Int {
        switch self {
        case .connect: 0
        case .timeout: 1
        case .invalidResponse: 2
        case .reset: 3
        case .tls: 4
        }
    }
}
