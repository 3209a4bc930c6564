/// An incremental, strict decoder of the chunked transfer coding (RFC 9112 §7.1):
///
///     chunked-body   = *chunk last-chunk trailer-section CRLF
///     chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
///     chunk-size     = 1*HEXDIG
///     last-chunk     = 1*("0") [ chunk-ext ] CRLF
///     chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
///     trailer-section = *( field-line CRLF )
///
/// Feed it the body bytes as they arrive, in slices of any size; for each slice it reports which byte ranges are
/// payload (so the proxy can re-frame them) and whether the message ended, and where (so the proxy can relay
/// the slice verbatim up to that point once validated, and parse the rest as the next message). It keeps no
/// bytes and never allocates.
///
/// Strictness: hex sizes only, at most 16 digits and below 2^63; every line ends in exactly CRLF (no bare LF or
/// CR, the "funky chunks" smuggling class); extensions start with `;`, hold no control bytes, and the size line
/// is bounded (`maxChunkExtensionBytes`); trailer lines follow the field-line grammar and are bounded
/// (`maxTrailerBytes`); and framing overhead may not dominate the payload (`maxChunkedOverheadBytes`,
/// picohttpparser's `_total_overhead`), which stops one-byte-chunk floods.
public struct ChunkedDecoder: Sendable, Hashable {
    /// What one call to `decode(_:onPayload:)` found.
    public enum Progress: Sendable, Hashable {
        /// All of the input was consumed; the body goes on.
        case needMore
        /// The body (trailers and final CRLF included) ended after `consumed` bytes of this input; later bytes
        /// belong to the next message.
        case complete(consumed: Int)
        /// The body is malformed or over a limit; close the connection.
        case rejected(HTTP1ParseError)
    }

    private enum State: Hashable {
        case sizeStart
        case size
        case extensionWhitespace
        case extensionBody
        case sizeLineFeed
        case data
        case dataCarriageReturn
        case dataLineFeed
        case trailerLineStart
        case trailerName
        case trailerValue
        case trailerLineFeed
        case finalLineFeed
        case done
        case failed(HTTP1ParseError)
    }

    private let limits: HTTP1Limits
    private var state = State.sizeStart
    private var chunkSize: UInt64 = 0
    private var sizeDigits = 0
    private var sizeLineBytes = 0
    private var trailerBytes = 0
    private var totalRead: UInt64 = 0
    /// Payload bytes decoded so far (for a body-size limit, which is the caller's: 413).
    public private(set) var payloadBytes: UInt64 = 0

    /// Creates a decoder for one chunked body.
    public init(limits: HTTP1Limits = .default) {
        self.limits = limits
    }

    /// Whether the whole body, trailers included, has been decoded.
    public var isComplete: Bool { self.state == .done }

    /// Decodes the next slice of the body.
    ///
    /// - Parameters:
    ///   - input: the next bytes after those given to the previous call.
    ///   - onPayload: called, in order, with each range of `input` that is chunk data.
    /// - Returns: `.needMore`, `.complete(consumed:)`, or `.rejected(error)` (also on every call after one).
    public mutating func decode(
        _ input: UnsafeRawBufferPointer, onPayload: (Range<Int>) -> Void
    ) -> Progress {
        var index = 0
        defer { self.totalRead &+= UInt64(index) }
        while index < input.count {
            if self.state == .data {
                let take = Int(min(UInt64(input.count - index), self.chunkSize))
                onPayload(index..<(index + take))
                index += take
                self.chunkSize -= UInt64(take)
                self.payloadBytes &+= UInt64(take)
                if self.chunkSize == 0 { self.state = .dataCarriageReturn }
                continue
            }
            let byte = input[index]
            index += 1
            if let error = self.step(byte, readSoFar: self.totalRead &+ UInt64(index)) {
                self.state = .failed(error)
                return .rejected(error)
            }
            if self.state == .done { return .complete(consumed: index) }
        }
        switch self.state {
        case .failed(let error): return .rejected(error)
        case .done: return .complete(consumed: 0)
        default: return .needMore
        }
    }

    /// Advances over one framing byte; returns the error that rejects the body, if any.
    private mutating func step(_ byte: UInt8, readSoFar: UInt64) -> HTTP1ParseError? {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        switch self.state {
        case .sizeStart:
            guard let digit = HTTP1Grammar.hexValue(byte) else { return .invalidChunkSize }
            self.chunkSize = UInt64(digit)
            self.sizeDigits = 1
            self.sizeLineBytes = 1
            self.state = .size
        case .size, .extensionWhitespace, .extensionBody:
            if byte != cr {
                self.sizeLineBytes += 1
                if self.sizeLineBytes > self.limits.maxChunkExtensionBytes { return .chunkExtensionTooLong }
            }
            return self.sizeLine(byte)
        case .sizeLineFeed:
            guard byte == lf else { return .invalidChunkSize }
            let overhead = readSoFar - self.payloadBytes
            if self.limits.maxChunkedOverheadBytes > 0, overhead >= UInt64(self.limits.maxChunkedOverheadBytes),
                self.payloadBytes < readSoFar / 4
            {
                return .chunkedOverhead
            }
            self.state = self.chunkSize == 0 ? .trailerLineStart : .data
        case .data:
            break
        case .dataCarriageReturn:
            guard byte == cr else { return .invalidChunkTerminator }
            self.state = .dataLineFeed
        case .dataLineFeed:
            guard byte == lf else { return .invalidChunkTerminator }
            self.state = .sizeStart
        case .trailerLineStart, .trailerName, .trailerValue, .trailerLineFeed, .finalLineFeed:
            self.trailerBytes += 1
            if self.trailerBytes > self.limits.maxTrailerBytes { return .trailersTooLarge }
            return self.trailer(byte)
        case .done, .failed:
            break
        }
        return nil
    }

    /// `chunk-size [ chunk-ext ] CR`: hex digits, then `;`-led extensions after optional BWS.
    private mutating func sizeLine(_ byte: UInt8) -> HTTP1ParseError? {
        switch self.state {
        case .size:
            if let digit = HTTP1Grammar.hexValue(byte) {
                self.sizeDigits += 1
                guard self.sizeDigits <= 16 else { return .chunkSizeTooLarge }
                self.chunkSize = self.chunkSize << 4 | UInt64(digit)
                guard self.chunkSize <= UInt64(Int64.max) else { return .chunkSizeTooLarge }
            } else if byte == UInt8(ascii: "\r") {
                self.state = .sizeLineFeed
            } else if byte == UInt8(ascii: ";") {
                self.state = .extensionBody
            } else if HTTP1Grammar.isWhitespace(byte) {
                self.state = .extensionWhitespace
            } else {
                return .invalidChunkSize
            }
        case .extensionWhitespace:
            if byte == UInt8(ascii: ";") {
                self.state = .extensionBody
            } else if !HTTP1Grammar.isWhitespace(byte) {
                // Whitespace after the size is only allowed as BWS before an extension.
                return .invalidChunkExtension
            }
        default:
            if byte == UInt8(ascii: "\r") {
                self.state = .sizeLineFeed
            } else if !HTTP1Grammar.isFieldValueChar(byte) {
                return .invalidChunkExtension
            }
        }
        return nil
    }

    /// `trailer-section CRLF`, each line `field-name ":" OWS field-value OWS CRLF` (no obs-fold).
    private mutating func trailer(_ byte: UInt8) -> HTTP1ParseError? {
        switch self.state {
        case .trailerLineStart:
            if byte == UInt8(ascii: "\r") {
                self.state = .finalLineFeed
            } else if HTTP1Grammar.isTokenChar(byte) {
                self.state = .trailerName
            } else {
                return .invalidTrailer
            }
        case .trailerName:
            if byte == UInt8(ascii: ":") {
                self.state = .trailerValue
            } else if !HTTP1Grammar.isTokenChar(byte) {
                return .invalidTrailer
            }
        case .trailerValue:
            if byte == UInt8(ascii: "\r") {
                self.state = .trailerLineFeed
            } else if !HTTP1Grammar.isFieldValueChar(byte) {
                return .invalidTrailer
            }
        case .trailerLineFeed:
            guard byte == UInt8(ascii: "\n") else { return .invalidTrailer }
            self.state = .trailerLineStart
        default:
            guard byte == UInt8(ascii: "\n") else { return .invalidTrailer }
            self.state = .done
        }
        return nil
    }
}
