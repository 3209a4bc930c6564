/// Collects a (bounded) request body for a local responder into memory, then hands the whole request over.
final class LocalRequestBody {
    enum Outcome {
        case needMore
        case failed(status: Int, detail: String)
        case complete(HTTPRequestMessage)
    }

    private var request: HTTPRequestMessage
    private var length: ContentLengthBody?
    private var chunked: ChunkedDecoder?
    private let limit: Int
    let keepAlive: Bool
    let responder: any HTTPResponder

    init(
        request: HTTPRequestMessage, framing: RequestBodyFraming, keepAlive: Bool, limit: Int,
        responder: any HTTPResponder, limits: HTTP1Limits
    ) {
        self.request = request
        self.keepAlive = keepAlive
        self.limit = limit
        self.responder = responder
        switch framing {
        case .none: break
        case .contentLength(let n): self.length = ContentLengthBody(length: n)
        case .chunked: self.chunked = ChunkedDecoder(limits: limits)
        }
    }

    /// Takes what the socket has buffered.
    func consume(from socket: BufferedSocket) -> Outcome {
        if var length = self.length {
            let take = length.consume(available: socket.inputLength)
            self.request.body.append(contentsOf: socket.readInput(take))
            self.length = length
            return length.isComplete ? .complete(self.request) : .needMore
        }
        guard var decoder = self.chunked else { return .complete(self.request) }
        var consumed = 0
        var outcome = Outcome.needMore
        var body = self.request.body
        socket.forEachInputSegment(max: socket.inputLength) { segment in
            let progress = decoder.decode(segment) { range in
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: segment[range]))
            }
            switch progress {
            case .needMore:
                consumed += segment.count
                return true
            case .complete(let n):
                consumed += n
                outcome = .complete(self.request)
                return false
            case .rejected(let error):
                outcome = .failed(status: error.status, detail: error.detail)
                return false
            }
        }
        socket.drainInput(consumed)
        self.chunked = decoder
        if body.count > self.limit { return .failed(status: 413, detail: "http1.body_too_large") }
        self.request.body = body
        if case .complete = outcome { return .complete(self.request) }
        return outcome
    }
}
