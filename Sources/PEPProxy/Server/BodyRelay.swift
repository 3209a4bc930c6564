/// Streams one message body from one socket's input to another's output, moving evbuffer chains
/// (`evbuffer_remove_buffer`) and never copying payload into Swift (DESIGN.md "HTTP/1.1 codec").
///
/// Chunked bodies are validated by `ChunkedDecoder` as they pass; the decoder also finds where the message ends,
/// so bytes after it (a pipelined request, or a smuggling attempt) are never relayed. Request bodies are
/// re-framed: each chunk's payload is moved with a fresh `<size>CRLF … CRLF` frame, and chunk extensions and the
/// trailer section are dropped — trailer fields would otherwise carry headers (`Authorization`, identity headers,
/// `Host`) past the header filtering. Response bodies from the upstream are relayed verbatim.
struct BodyRelay {
    enum Kind {
        case length(remaining: UInt64)
        case chunked(ChunkedDecoder)
        case untilClose
        case done
    }

    /// What one relay step did.
    enum Outcome {
        case progress
        case failed(HTTP1ParseError)
    }

    private(set) var kind: Kind
    /// Bytes relayed so far (framing included for chunked bodies).
    private(set) var bytesRelayed: UInt64 = 0
    /// Re-frame chunked bodies (requests) instead of relaying their framing verbatim.
    private var reframe = false

    /// The relay for a request body.
    init(request framing: RequestBodyFraming, limits: HTTP1Limits = .default) {
        self.reframe = true
        switch framing {
        case .none: self.kind = .done
        case .contentLength(let n): self.kind = n == 0 ? .done : .length(remaining: n)
        case .chunked: self.kind = .chunked(ChunkedDecoder(limits: limits))
        }
    }

    /// The relay for a response body.
    init(response framing: ResponseBodyFraming, limits: HTTP1Limits = .default) {
        switch framing {
        case .none: self.kind = .done
        case .contentLength(let n): self.kind = n == 0 ? .done : .length(remaining: n)
        case .chunked: self.kind = .chunked(ChunkedDecoder(limits: limits))
        case .untilClose: self.kind = .untilClose
        }
    }

    /// Whether the whole body has been relayed.
    var isDone: Bool {
        if case .done = self.kind { return true }
        return false
    }

    /// Whether the body ends when the sender closes (responses without framing).
    var isUntilClose: Bool {
        if case .untilClose = self.kind { return true }
        return false
    }

    /// Why the request body bytes already buffered in `source` cannot be relayed, checked before anything is
    /// forwarded (nothing is consumed): a chunked framing error (`400`, the decoder's detail) or more chunk
    /// payload than `maxBodyBytes` (`413 http1.body_too_large`). `nil` when what arrived so far is valid (or there
    /// is nothing to check: no body, a Content-Length body, nothing buffered yet).
    ///
    /// So a body whose framing breaks in the bytes that came with the head never reaches the upstream at all;
    /// a break found later, once part of the body went upstream, ends that connection with a reset instead
    /// (`ExchangeStateMachine` decides it).
    func preflightError(in source: BufferedSocket, maxBodyBytes: Int) -> (status: Int, detail: String)? {
        guard case .chunked(var decoder) = self.kind, source.inputLength > 0 else { return nil }
        let (_, _, failure) = Self.scanChunks(&decoder, in: source) { _ in }
        if let failure { return (failure.status, failure.detail) }
        if decoder.payloadBytes > UInt64(max(0, maxBodyBytes)) { return (413, "http1.body_too_large") }
        return nil
    }

    /// Relays what is available now from `source`'s input to `destination`'s output.
    mutating func relay(from source: BufferedSocket, to destination: BufferedSocket, limits: HTTP1Limits) -> Outcome {
        switch self.kind {
        case .done:
            return .progress
        case .length(let remaining):
            let available = UInt64(source.inputLength)
            let take = Int(min(available, remaining))
            let moved = source.moveInput(to: destination, count: take)
            self.bytesRelayed += UInt64(moved)
            let left = remaining - UInt64(moved)
            self.kind = left == 0 ? .done : .length(remaining: left)
            return .progress
        case .untilClose:
            let moved = source.moveInput(to: destination, count: source.inputLength)
            self.bytesRelayed += UInt64(moved)
            return .progress
        case .chunked(var decoder) where self.reframe:
            return self.reframeChunks(&decoder, from: source, to: destination)
        case .chunked(var decoder):
            let (scanned, finished, failure) = Self.scanChunks(&decoder, in: source) { _ in }
            if let failure {
                self.kind = .done
                return .failed(failure)
            }
            let moved = source.moveInput(to: destination, count: scanned)
            self.bytesRelayed += UInt64(moved)
            self.kind = finished ? .done : .chunked(decoder)
            return .progress
        }
    }

    /// One re-framing step: validates what is buffered, then moves each payload run with its own chunk frame
    /// and drops the original framing, extensions and trailers.
    private mutating func reframeChunks(
        _ decoder: inout ChunkedDecoder, from source: BufferedSocket, to destination: BufferedSocket
    ) -> Outcome {
        var runs: [(offset: Int, length: Int)] = []
        let (scanned, finished, failure) = Self.scanChunks(&decoder, in: source) { range in
            if let last = runs.last, last.offset + last.length == range.lowerBound {
                runs[runs.count - 1].length += range.count
            } else {
                runs.append((range.lowerBound, range.count))
            }
        }
        if let failure {
            self.kind = .done
            return .failed(failure)
        }
        // Each frame's size line (and the CRLF that ends the frame before it) is held back (`writeDeferred`) so
        // that it leaves with the payload: one `writev`, or one `SSL_write`, per chunk instead of three.
        var cursor = 0
        for run in runs where run.length > 0 {
            source.drainInput(run.offset - cursor)
            Self.writeChunkSizeLine(run.length, to: destination)
            let moved = source.moveInput(to: destination, count: run.length)
            Self.crlf.withUnsafeBytes { destination.writeDeferred($0) }
            self.bytesRelayed += UInt64(moved)
            cursor = run.offset + run.length
        }
        source.drainInput(scanned - cursor)
        if finished {
            destination.write(Self.lastChunk)
            self.kind = .done
        } else {
            destination.flushDeferred()
            self.kind = .chunked(decoder)
        }
        return .progress
    }

    /// The zero-size chunk and the empty trailer section that end a re-framed body.
    private static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    /// The end of a chunk's payload.
    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// Runs `decoder` over everything buffered in `source`. Returns the bytes it consumed, whether the body
    /// ended, and the framing error if any; `onPayload` gets each payload byte range as offsets into the
    /// buffered input (not into a segment).
    private static func scanChunks(
        _ decoder: inout ChunkedDecoder, in source: BufferedSocket, onPayload: (Range<Int>) -> Void
    ) -> (scanned: Int, finished: Bool, failure: HTTP1ParseError?) {
        var base = 0
        var scanned = 0
        var finished = false
        var failure: HTTP1ParseError?
        source.forEachInputSegment(max: source.inputLength) { segment in
            let progress = decoder.decode(segment) { range in
                onPayload((base + range.lowerBound)..<(base + range.upperBound))
            }
            base += segment.count
            switch progress {
            case .needMore:
                scanned += segment.count
                return true
            case .complete(let consumed):
                scanned += consumed
                finished = true
                return false
            case .rejected(let error):
                failure = error
                return false
            }
        }
        return (scanned, finished, failure)
    }

    /// Writes `<hex length>\r\n` without building a `String` (one stack buffer).
    private static func writeChunkSizeLine(_ length: Int, to destination: BufferedSocket) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 18) { buffer in
            var digits = 0
            var value = length
            repeat {
                digits += 1
                value >>= 4
            } while value > 0
            value = length
            for index in stride(from: digits - 1, through: 0, by: -1) {
                buffer[index] = Self.hexDigits[value & 0xF]
                value >>= 4
            }
            buffer[digits] = 0x0D
            buffer[digits + 1] = 0x0A
            destination.writeDeferred(
                UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<(digits + 2)])))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
