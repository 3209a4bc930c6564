/// How the body of an upstream response is delimited (RFC 9112 §6.3).
public enum ResponseBodyFraming: Sendable, Hashable {
    /// No body: a response to HEAD, or status 1xx, 204 or 304 (RFC 9112 §6.3 rules 1–2).
    case none
    /// Exactly this many bytes (`Content-Length`, duplicates with one value collapsed).
    case contentLength(UInt64)
    /// Chunked (`chunked` is the final transfer coding); decode with `ChunkedDecoder`.
    case chunked
    /// Everything until the upstream closes (no length, or a final coding other than `chunked`).
    case untilClose
}

/// A parsed, validated upstream response head (RFC 9112 §4, §5, §6), produced by `ResponseHeadParser`.
///
/// Same storage and allocation budget as `RequestHead`: one copy of the head bytes and one array of offsets.
public struct ResponseHead: Sendable, Equatable {
    /// The protocol version.
    public let version: HTTP1Version
    /// The status code, 100…999.
    public let status: Int
    /// Whether the upstream connection may be reused after this response's body: false for `untilClose`,
    /// `Connection: close`, or HTTP/1.0 without `keep-alive` (RFC 9112 §9.3).
    public let keepAlive: Bool
    /// How the body is delimited, given the request method.
    public let framing: ResponseBodyFraming
    /// Every field line in order, duplicates kept. Names never include whitespace received before the colon.
    public let headers: HTTP1HeaderFields
    /// Where Connection, Upgrade, Content-Length and Transfer-Encoding are (first of each).
    public let known: HTTP1KnownFields
    /// Offsets of the reason phrase in the head bytes.
    let reasonStart: Int32
    let reasonEnd: Int32

    init(
        version: HTTP1Version, status: Int, reason: Range<Int>, keepAlive: Bool, framing: ResponseBodyFraming,
        headers: HTTP1HeaderFields, known: HTTP1KnownFields
    ) {
        self.version = version
        self.status = status
        self.reasonStart = Int32(truncatingIfNeeded: reason.lowerBound)
        self.reasonEnd = Int32(truncatingIfNeeded: reason.upperBound)
        self.keepAlive = keepAlive
        self.framing = framing
        self.headers = headers
        self.known = known
    }

    /// The reason phrase (possibly empty; RFC 9112 §4 says to ignore it).
    public var reason: String {
        self.headers.string(at: Int(self.reasonStart)..<Int(self.reasonEnd))
    }

    /// A 1xx interim response: the final response follows on the same connection (RFC 9110 §15.2).
    public var isInformational: Bool { self.status >= 100 && self.status < 200 }
}
