/// Streams one message body from one socket's input to another's output, moving evbuffer chains
/// (`evbuffer_remove_buffer`) and never copying payload into Swift (DESIGN.md "HTTP/1.1 codec").
///
/// Chunked bodies are validated by `ChunkedDecoder` as they pass and relayed verbatim (framing included), so the
/// receiver sees exactly the chunks that were checked; the decoder also finds where the message ends, so bytes
/// after it (a pipelined request, or a smuggling attempt) are never relayed.
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

    /// The relay for a request body.
    init(request framing: RequestBodyFraming, limits: HTTP1Limits = .default) {
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
        case .chunked(var decoder):
            var scanned = 0
            var finished = false
            var failure: HTTP1ParseError?
            source.forEachInputSegment(max: source.inputLength) { segment in
                switch decoder.decode(segment, onPayload: { _ in }) {
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
}
