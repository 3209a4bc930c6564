/// Why the codec rejected a message head or body (RFC 9112, SPEC A6, SECURITY.md).
///
/// Each case has a stable `detail` string shared by the access log, the stats and the tests (STYLE rule 8), and
/// the `status` a client sees when the rejected message is its request. A rejected upstream response is always
/// answered `502` by the proxy, whatever `status` says. After any rejection the connection is closed: the
/// framing of whatever follows is unknown.
public enum HTTP1ParseError: Error, Sendable, Hashable {
    // Head size (RFC 9112 §2.3, RFC 6585 §5)
    /// The head did not end within `maxHeadBytes`. 431.
    case headersTooLarge
    /// More than `maxHeadersCount` field lines. 431.
    case tooManyHeaders
    /// The request line is longer than `maxRequestLineBytes`. 414 (RFC 9112 §3).
    case requestLineTooLong
    /// The request line is longer than `maxRequestLineBytes` and its method alone fills the limit: longer than
    /// any method. 501 (RFC 9112 §3: "SHOULD respond with a 501 (Not Implemented)").
    case methodTooLong

    // Lines and start line (RFC 9112 §2.2, §3, §4)
    /// A line ended with a bare LF (no CR before it). 400.
    case bareLineFeed
    /// The request line is not `method SP request-target SP HTTP-version` with single spaces. 400.
    case invalidRequestLine
    /// The method is not a token, or has lower-case letters while those are refused (SECURITY 35). 400.
    case invalidMethod
    /// The request-target has a control, space, DEL or non-ASCII byte. 400.
    case invalidTarget
    /// The request-target has a `#` (SECURITY 3; RFC 9110 §7.1: fragments are never sent). 400.
    case fragmentInTarget
    /// The version is not `HTTP/DIGIT.DIGIT`. 400.
    case invalidVersion
    /// A well-formed version other than HTTP/1.0 and HTTP/1.1. 505.
    case unsupportedVersion
    /// The status line is not `HTTP-version SP 3DIGIT SP reason-phrase` (responses only). 502.
    case invalidStatusLine

    // Field lines (RFC 9112 §5, RFC 9110 §5)
    /// A field line starts with SP or HTAB: obs-fold, or whitespace before the first field. 400.
    case obsFold
    /// Whitespace between a field name and its colon (RFC 9112 §5.1). 400.
    case whitespaceBeforeColon
    /// A field name is empty, has a non-token byte, or the line has no colon. 400.
    case invalidHeaderName
    /// A field value has a control byte other than HTAB (CR, LF, NUL, DEL, …). 400.
    case invalidHeaderValue

    // Semantics of specific fields (RFC 9110 §7.2, §10.1.1, §7.6.1; SECURITY 17)
    /// An HTTP/1.1 request has no Host. 400 (RFC 9112 §3.2).
    case missingHost
    /// More than one Host line. 400 (RFC 9112 §3.2, SECURITY 17).
    case duplicateHost
    /// Host is not `uri-host [ ":" port ]`. 400.
    case invalidHost
    /// More than one Authorization line (SECURITY 17). 400.
    case duplicateAuthorization
    /// Connection is not a comma list of tokens. 400.
    case invalidConnection
    /// Connection names Content-Length, a framing header a proxy must not drop (`Connection: Content-Length`
    /// smuggling). 400.
    case connectionNominatesContentLength
    /// Expect has a value other than `100-continue`. 417 (RFC 9110 §10.1.1).
    case unsupportedExpectation

    // Message framing (RFC 9112 §6, SPEC A6, SECURITY 13–14)
    /// Both Content-Length and Transfer-Encoding. 400.
    case transferEncodingWithContentLength
    /// More than one Content-Length line (requests), even with equal values. 400.
    case duplicateContentLength
    /// Content-Length is not `1*DIGIT` (a list, a sign, empty, or over 2^63 − 1). 400.
    case invalidContentLength
    /// Content-Length lines or list members with different values (responses). 502.
    case conflictingContentLength
    /// More than one Transfer-Encoding line (requests). 400.
    case duplicateTransferEncoding
    /// Transfer-Encoding is anything but a single final `chunked` (e.g. `gzip, chunked`, `identity`). 400.
    case invalidTransferEncoding
    /// Transfer-Encoding names a coding this proxy does not know (e.g. `xchunked`). 501 (RFC 9112 §6.1).
    case unsupportedTransferEncoding
    /// Transfer-Encoding in an HTTP/1.0 message: framing is faulty (RFC 9112 §6.1). 400.
    case transferEncodingInHTTP10

    // Chunked bodies (RFC 9112 §7.1)
    /// The chunk size is missing or not hexadecimal, or is followed by junk other than an extension. 400.
    case invalidChunkSize
    /// The chunk size has more than 16 hex digits or exceeds 2^63 − 1. 400.
    case chunkSizeTooLarge
    /// The chunk-size line is longer than `maxChunkExtensionBytes`. 400.
    case chunkExtensionTooLong
    /// A chunk extension has a control byte or does not start with `;`. 400.
    case invalidChunkExtension
    /// Chunk data is not followed by exactly CRLF. 400.
    case invalidChunkTerminator
    /// The trailer section is larger than `maxTrailerBytes`. 431.
    case trailersTooLarge
    /// A trailer field line is malformed (same grammar as header field lines). 400.
    case invalidTrailer
    /// Framing overhead dominates the payload (`maxChunkedOverheadBytes`). 400.
    case chunkedOverhead

    /// The stable machine string for logs, stats and tests, e.g. `http1.te_with_cl`.
    public var detail: String {
        switch self {
        case .headersTooLarge: "http1.headers_too_large"
        case .tooManyHeaders: "http1.too_many_headers"
        case .requestLineTooLong: "http1.request_line_too_long"
        case .methodTooLong: "http1.method_too_long"
        case .bareLineFeed: "http1.bare_lf"
        case .invalidRequestLine: "http1.invalid_request_line"
        case .invalidMethod: "http1.invalid_method"
        case .invalidTarget: "http1.invalid_target"
        case .fragmentInTarget: "http1.fragment_in_target"
        case .invalidVersion: "http1.invalid_version"
        case .unsupportedVersion: "http1.unsupported_version"
        case .invalidStatusLine: "http1.invalid_status_line"
        case .obsFold: "http1.obs_fold"
        case .whitespaceBeforeColon: "http1.space_before_colon"
        case .invalidHeaderName: "http1.invalid_header_name"
        case .invalidHeaderValue: "http1.invalid_header_value"
        case .missingHost: "http1.missing_host"
        case .duplicateHost: "http1.duplicate_host"
        case .invalidHost: "http1.invalid_host"
        case .duplicateAuthorization: "http1.duplicate_authorization"
        case .invalidConnection: "http1.invalid_connection"
        case .connectionNominatesContentLength: "http1.connection_content_length"
        case .unsupportedExpectation: "http1.unsupported_expect"
        case .transferEncodingWithContentLength: "http1.te_with_cl"
        case .duplicateContentLength: "http1.duplicate_content_length"
        case .invalidContentLength: "http1.invalid_content_length"
        case .conflictingContentLength: "http1.conflicting_content_length"
        case .duplicateTransferEncoding: "http1.duplicate_transfer_encoding"
        case .invalidTransferEncoding: "http1.invalid_transfer_encoding"
        case .unsupportedTransferEncoding: "http1.unsupported_transfer_encoding"
        case .transferEncodingInHTTP10: "http1.te_in_http10"
        case .invalidChunkSize: "http1.invalid_chunk_size"
        case .chunkSizeTooLarge: "http1.chunk_size_too_large"
        case .chunkExtensionTooLong: "http1.chunk_extension_too_long"
        case .invalidChunkExtension: "http1.invalid_chunk_extension"
        case .invalidChunkTerminator: "http1.invalid_chunk_terminator"
        case .trailersTooLarge: "http1.trailers_too_large"
        case .invalidTrailer: "http1.invalid_trailer"
        case .chunkedOverhead: "http1.chunked_overhead"
        }
    }

    /// The status a client sees when its request is rejected for this reason (400, 414, 417, 431, 501, 505;
    /// 502 for the response-only cases).
    public var status: Int {
        switch self {
        case .headersTooLarge, .tooManyHeaders, .trailersTooLarge: 431
        case .requestLineTooLong: 414
        case .unsupportedVersion: 505
        case .unsupportedTransferEncoding, .methodTooLong: 501
        case .unsupportedExpectation: 417
        case .invalidStatusLine, .conflictingContentLength: 502
        default: 400
        }
    }
}

extension HTTP1ParseError: CustomStringConvertible {
    /// The detail string.
    public var description: String { self.detail }
}
