/// How many times each known field appeared, and where the first one is.
struct FieldCounts {
    var host = 0
    var authorization = 0
    var connection = 0
    var expect = 0
    var contentLength = 0
    var transferEncoding = 0

    /// Counts field `index` named `name` and indexes the first of its kind in `known`.
    mutating func record(_ name: HTTP1KnownFieldName, at index: Int, into known: inout HTTP1KnownFields) {
        switch name {
        case .host:
            self.host += 1
            known.host = known.host ?? index
        case .authorization:
            self.authorization += 1
            known.authorization = known.authorization ?? index
        case .connection:
            self.connection += 1
            known.connection = known.connection ?? index
        case .upgrade:
            known.upgrade = known.upgrade ?? index
        case .expect:
            self.expect += 1
            known.expect = known.expect ?? index
        case .contentLength:
            self.contentLength += 1
            known.contentLength = known.contentLength ?? index
        case .transferEncoding:
            self.transferEncoding += 1
            known.transferEncoding = known.transferEncoding ?? index
        case .traceparent:
            if known.traceparent != nil { known.traceparentRepeated = true }
            known.traceparent = known.traceparent ?? index
        case .tracestate:
            if known.tracestate != nil { known.tracestateRepeated = true }
            known.tracestate = known.tracestate ?? index
        }
    }
}

/// The field-level rules for a request head whose lines already parsed (RFC 9112 §3.2, §6; RFC 9110 §7.2,
/// §7.6.1, §10.1.1; SPEC A6; SECURITY 13, 14, 17).
struct RequestSemantics {
    let buffer: UnsafeRawBufferPointer
    /// Offset of the head's first byte in `buffer` (field ranges are relative to it).
    let origin: Int
    /// The field offsets (the head storage being filled; alive while the semantics run).
    let ranges: UnsafeBufferPointer<HTTP1FieldRange>
    let version: HTTP1Version
    let counts: FieldCounts

    struct Outcome {
        var keepAlive: Bool
        var framing: RequestBodyFraming
        var expectsContinue: Bool
    }

    func evaluate(_ known: inout HTTP1KnownFields) -> Result<Outcome, HTTP1ParseError> {
        // Host: exactly one on HTTP/1.1, at most one on HTTP/1.0, always well-formed (RFC 9112 §3.2).
        if self.counts.host > 1 { return .failure(.duplicateHost) }
        if let host = known.host {
            guard HTTP1FieldValues.isValidHost(self.buffer, self.value(host)) else { return .failure(.invalidHost) }
        } else if self.version == .http11 {
            return .failure(.missingHost)
        }
        // One credential per request, so the token authorized is the token forwarded (SECURITY 17).
        if self.counts.authorization > 1 { return .failure(.duplicateAuthorization) }
        if let error = self.readConnection(&known) { return .failure(error) }
        let framing: RequestBodyFraming
        switch self.framing(known) {
        case .success(let value): framing = value
        case .failure(let error): return .failure(error)
        }
        // Expect: only 100-continue is defined (RFC 9110 §10.1.1); HTTP/1.0 servers ignore it.
        var expectsContinue = false
        if let expect = known.expect {
            guard self.counts.expect == 1, HTTP1FieldValues.equals(self.buffer, self.value(expect), "100-continue")
            else { return .failure(.unsupportedExpectation) }
            expectsContinue = self.version == .http11
        }
        let keepAlive =
            !known.connectionClose && (self.version == .http11 || known.connectionKeepAlive)
        return .success(Outcome(keepAlive: keepAlive, framing: framing, expectsContinue: expectsContinue))
    }

    /// Body framing, RFC 9112 §6.1–6.3 as tightened by SPEC A6: a single, exact `chunked`, or a single plain
    /// Content-Length, never both.
    private func framing(_ known: HTTP1KnownFields) -> Result<RequestBodyFraming, HTTP1ParseError> {
        if let transferEncoding = known.transferEncoding {
            if self.version == .http10 { return .failure(.transferEncodingInHTTP10) }
            if self.counts.contentLength > 0 { return .failure(.transferEncodingWithContentLength) }
            if self.counts.transferEncoding > 1 { return .failure(.duplicateTransferEncoding) }
            var reader = HTTP1FieldValues.TransferCodingReader()
            reader.read(self.buffer, self.value(transferEncoding))
            switch reader.codings {
            case .chunkedOnly: return .success(.chunked)
            case .unknownCoding: return .failure(.unsupportedTransferEncoding)
            case .chunkedLast, .notChunkedLast, .malformed: return .failure(.invalidTransferEncoding)
            }
        }
        if let contentLength = known.contentLength {
            // Even equal duplicates are refused: RFC 9110 §8.6 allows merging them, but a peer that takes the
            // first of differing values is exactly what smuggling needs (SECURITY 14).
            if self.counts.contentLength > 1 { return .failure(.duplicateContentLength) }
            guard let length = HTTP1FieldValues.contentLength(self.buffer, self.value(contentLength)) else {
                return .failure(.invalidContentLength)
            }
            return .success(.contentLength(length))
        }
        return .success(.none)
    }

    /// Connection options (RFC 9110 §7.6.1), strictly: every element a token, never `content-length`.
    private func readConnection(_ known: inout HTTP1KnownFields) -> HTTP1ParseError? {
        HTTP1FieldValues.readConnectionOptions(
            self.buffer, origin: self.origin, ranges: self.ranges, into: &known, strict: true)
    }

    /// The value of field `index` as offsets into `buffer`.
    private func value(_ index: Int) -> Range<Int> {
        let range = self.ranges[index]
        return (Int(range.valueStart) + self.origin)..<(Int(range.valueEnd) + self.origin)
    }
}
