/// One header field of an outgoing call or a received response.
public struct HTTPField: Sendable, Equatable, Hashable {
    /// Field name as sent/received (compare case-insensitively, RFC 9110 §5.1).
    public var name: String
    /// Field value without surrounding whitespace.
    public var value: String

    /// Creates a field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// TLS settings of control-plane calls. Peer and host-name verification are ON unless explicitly disabled.
public struct TLSOptions: Sendable, Equatable, Hashable {
    /// PEM bundle of trusted CAs (`CURLOPT_CAINFO`); `nil` = the system trust store.
    public var caFile: String?
    /// Disables certificate and host-name verification (development only). The control plane logs a warning the
    /// first time a call uses it.
    public var insecureSkipVerify: Bool
    /// PEM client certificate for mutual TLS (`CURLOPT_SSLCERT`); `nil` = none.
    public var clientCertificatePath: String?
    /// PEM private key of `clientCertificatePath` (`CURLOPT_SSLKEY`).
    public var clientPrivateKeyPath: String?

    /// Creates TLS options; the defaults verify against the system trust store and send no client certificate.
    public init(
        caFile: String? = nil, insecureSkipVerify: Bool = false, clientCertificatePath: String? = nil,
        clientPrivateKeyPath: String? = nil
    ) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificatePath = clientCertificatePath
        self.clientPrivateKeyPath = clientPrivateKeyPath
    }
}

/// Limits and TLS settings shared by every call to one authorization server or oxd (SPEC A8).
public struct HTTPCallOptions: Sendable, Equatable, Hashable {
    /// Time allowed to establish the TCP (and TLS) connection. Default 1 s (SPEC A8). Exceeding it fails the call
    /// with `ControlPlaneError.timeout`.
    public var connectTimeout: Duration
    /// Time allowed for the whole call, connect included. Default 5 s (SPEC A8). Exceeding it fails the call with
    /// `ControlPlaneError.timeout`; the PEP answers 502, never hangs.
    public var totalTimeout: Duration
    /// Largest response body accepted, in bytes. Default 1 MiB; more fails with
    /// `ControlPlaneError.responseTooLarge`.
    public var maxResponseBodyBytes: Int
    /// TLS settings.
    public var tls: TLSOptions

    /// Creates options; every parameter defaults to the SPEC A8 value.
    public init(
        connectTimeout: Duration = .seconds(1), totalTimeout: Duration = .seconds(5),
        maxResponseBodyBytes: Int = 1 << 20, tls: TLSOptions = TLSOptions()
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.tls = tls
    }
}

/// One HTTP request the control plane performs with libcurl (HTTP/1.1 or HTTP/2 over TLS, keep-alive reused).
public struct HTTPCall: Sendable {
    /// Request method token, e.g. `GET`, `POST` (RFC 9110 §9).
    public var method: String
    /// Absolute `http://` or `https://` URL.
    public var url: String
    /// Request header fields (curl adds `Host`, `Content-Length` and `Accept: */*` itself).
    public var headers: [HTTPField]
    /// Request body bytes (sent with `Content-Length`; empty = no body for `GET`).
    public var body: [UInt8]
    /// Timeouts, size cap and TLS.
    public var options: HTTPCallOptions

    /// Creates a call.
    public init(
        method: String, url: String, headers: [HTTPField] = [], body: [UInt8] = [],
        options: HTTPCallOptions = HTTPCallOptions()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.options = options
    }
}

/// A complete HTTP response received by the control plane.
public struct HTTPResponse: Sendable, Equatable {
    /// Status code (RFC 9110 §15).
    public var status: Int
    /// Header fields of the final response, in received order.
    public var headers: [HTTPField]
    /// Body bytes (at most `HTTPCallOptions.maxResponseBodyBytes`).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTPField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return self.headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// The outcome of an `HTTPCall`: a response (any status) or a transport-level failure.
public enum HTTPResult: Sendable, Equatable {
    /// The server answered; the status may still be an error status.
    case response(HTTPResponse)
    /// No usable response (see `ControlPlaneError`).
    case failure(ControlPlaneError)
}

/// The W3C Trace Context of the proxied request on whose behalf control-plane calls are being made
/// (https://www.w3.org/TR/trace-context/). While `traceparent` is bound (`OutgoingTrace.$traceparent.withValue`),
/// every call ``ControlPlane/submit(_:completion:)`` queues carries it as a `traceparent` header, unless the call
/// set one itself. A call queued later from a completion (after a protection-token refresh, say) carries none.
public enum OutgoingTrace {
    /// A valid version-00 `traceparent` value, or `nil`.
    @TaskLocal public static var traceparent: String?
}
