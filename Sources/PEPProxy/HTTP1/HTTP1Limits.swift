/// Size limits of the HTTP/1.1 codec, one knob per limit (STYLE rule 11).
///
/// The same struct bounds client requests (`RequestHeadParser`, `ChunkedDecoder` on request bodies) and upstream
/// responses (`ResponseHeadParser`, `ChunkedDecoder` on response bodies). A rejection on a request answers the
/// client with the status named below and closes; a rejection on an upstream response answers the client `502`
/// and closes both connections. Every rejection is counted under its `HTTP1ParseError.detail` string.
public struct HTTP1Limits: Sendable, Hashable {
    /// Largest head in bytes, from the first byte (leading empty lines included) through the blank line that
    /// ends it. Default 16 384. Exceeded: `431` (`http1.headers_too_large`); incomplete with this many bytes
    /// buffered is the same rejection, so a slow client cannot make the proxy hold more.
    public var maxHeadBytes: Int
    /// Longest request line in bytes, CRLF excluded. Default 8 192. Exceeded: `414`
    /// (`http1.request_line_too_long`). Also bounds the status line of responses.
    public var maxRequestLineBytes: Int
    /// Most header field lines in one head. Default 100. Exceeded: `431` (`http1.too_many_headers`).
    public var maxHeadersCount: Int
    /// Longest chunk-size line in bytes (size digits, extensions and BWS, CRLF excluded). Default 256.
    /// Exceeded: `400` (`http1.chunk_extension_too_long`).
    public var maxChunkExtensionBytes: Int
    /// Largest trailer section of a chunked body in bytes, final CRLF included. Default 8 192.
    /// Exceeded: `431` (`http1.trailers_too_large`).
    public var maxTrailerBytes: Int
    /// Chunked framing overhead, in bytes, after which a body whose payload is under a quarter of what was read
    /// is rejected (picohttpparser's `_total_overhead` guard against one-byte chunks). Default 102 400;
    /// 0 disables. Exceeded: `400` (`http1.chunked_overhead`).
    public var maxChunkedOverheadBytes: Int

    /// Creates limits; every argument defaults to the documented default.
    public init(
        maxHeadBytes: Int = 16_384,
        maxRequestLineBytes: Int = 8_192,
        maxHeadersCount: Int = 100,
        maxChunkExtensionBytes: Int = 256,
        maxTrailerBytes: Int = 8_192,
        maxChunkedOverheadBytes: Int = 102_400
    ) {
        self.maxHeadBytes = maxHeadBytes
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeadersCount = maxHeadersCount
        self.maxChunkExtensionBytes = maxChunkExtensionBytes
        self.maxTrailerBytes = maxTrailerBytes
        self.maxChunkedOverheadBytes = maxChunkedOverheadBytes
    }

    /// The documented defaults.
    public static let `default` = HTTP1Limits()

    /// `maxHeadBytes` as the codec applies it: never negative, and below 2 GiB whatever the knob, since field
    /// offsets are stored in 32 bits (`HTTP1FieldRange`). A head must end (one past its blank line's LF) at or
    /// before this offset from the first byte.
    var headByteBound: Int { min(max(self.maxHeadBytes, 0), Int(Int32.max)) }

    /// `maxRequestLineBytes` as the codec applies it (never negative): the furthest offset from the start
    /// line's first byte that its CR may sit at.
    var startLineByteBound: Int { max(self.maxRequestLineBytes, 0) }
}
