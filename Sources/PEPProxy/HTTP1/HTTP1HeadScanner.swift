#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the end of a message head incrementally, enforcing the line-level rules and size limits on the way.
///
/// The scanner remembers how far it got (picohttpparser's `last_len`), so feeding a head one byte at a time
/// costs O(n) in total, not O(n²): a slow client cannot make the proxy rescan what it already looked at.
/// It only stores offsets, never pointers, so the caller may hand over the growing prefix at a new address
/// each time (an evbuffer pulled up again), as long as it starts at the same byte.
///
/// Rules applied while scanning, in byte order, so the result does not depend on how the input was sliced:
/// - leading empty lines (CRLF) before the start line are skipped (RFC 9112 §2.2);
/// - every LF must follow a CR: bare LF is rejected (RFC 9112 §2.2 allows it, SPEC A6 does not);
/// - the start line must end within `maxRequestLineBytes` (414);
/// - at most `maxHeadersCount` field lines (431);
/// - the blank line must end within the first `maxHeadBytes` bytes (431).
struct HTTP1HeadScanner: Sendable, Hashable {
    /// Offset of the first byte of the start line (after skipped empty lines).
    private(set) var start = 0
    /// Offset of the next byte not yet scanned.
    private var position = 0
    /// Offset of the CR that ends the start line, or -1 while it has not been seen.
    private(set) var startLineEnd = -1
    /// Field lines seen so far.
    private var fieldLines = 0
    /// Whether the scanner is still skipping empty lines before the start line.
    private var skippingEmptyLines = true

    /// Whether no byte has been looked at yet (at most a lone CR that may open an empty line).
    var isFresh: Bool { self.skippingEmptyLines && self.start == 0 }

    enum Outcome: Equatable {
        /// The head is `buffer[start..<end]`; `end` is one past the blank line's LF.
        case complete(end: Int)
        case incomplete
        case rejected(HTTP1ParseError)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// Scans `buffer` from where the last call stopped.
    mutating func scan(_ buffer: UnsafeRawBufferPointer, limits: HTTP1Limits) -> Outcome {
        let count = buffer.count
        let maxHeadBytes = limits.headByteBound
        let limitEnd = min(count, maxHeadBytes)
        if self.skippingEmptyLines {
            // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
            while self.start < limitEnd {
                let byte = buffer[self.start]
                if byte == Self.lf { return .rejected(.bareLineFeed) }
                if byte != Self.cr {
                    self.skippingEmptyLines = false
                    break
                }
                guard self.start + 1 < limitEnd else { break }
                guard buffer[self.start + 1] == Self.lf else {
                    // A bare CR opens the start line, which the line parser then rejects.
                    self.skippingEmptyLines = false
                    break
                }
                self.start += 2
            }
            self.position = self.start
            if self.skippingEmptyLines {
                return count >= maxHeadBytes ? .rejected(.headersTooLarge) : .incomplete
            }
        }
        let requestLineWindowEnd = self.start + limits.startLineByteBound + 2
        var cursor = self.position
        while true {
            let windowEnd = self.startLineEnd < 0 ? min(limitEnd, requestLineWindowEnd) : limitEnd
            guard cursor < windowEnd, let base = buffer.baseAddress else { break }
            guard let found = memchr(base + cursor, Int32(Self.lf), windowEnd - cursor) else {
                cursor = windowEnd
                break
            }
            let lineFeed = UnsafeRawPointer(found) - base
            cursor = lineFeed + 1
            guard lineFeed > self.start, buffer[lineFeed - 1] == Self.cr else { return .rejected(.bareLineFeed) }
            if self.startLineEnd < 0 {
                self.startLineEnd = lineFeed - 1
            } else if buffer[lineFeed - 2] == Self.lf {
                return .complete(end: lineFeed + 1)
            } else {
                self.fieldLines += 1
                if self.fieldLines > limits.maxHeadersCount { return .rejected(.tooManyHeaders) }
            }
        }
        self.position = cursor
        if self.startLineEnd < 0 && cursor >= requestLineWindowEnd { return .rejected(.requestLineTooLong) }
        if count >= maxHeadBytes { return .rejected(.headersTooLarge) }
        return .incomplete
    }
}
