/// How the body of a request is delimited (RFC 9112 §6.3).
public enum RequestBodyFraming: Sendable, Hashable {
    /// No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 §6.3 rule 7).
    case none
    /// A body of exactly this many bytes (`Content-Length`, which may be 0).
    case contentLength(UInt64)
    /// A chunked body (`Transfer-Encoding: chunked`); decode it with `ChunkedDecoder`.
    case chunked
}

/// Indexes of the header fields the proxy reads on every request, into `RequestHead.headers`.
public struct HTTP1KnownFields: Sendable, Hashable {
    // Stored as 32-bit slots (-1: absent) so a head stays small to copy: nine `Int?` took 144 bytes, these 36.
    // Field indexes are below `HTTP1Limits.maxHeadersCount`, far under `Int32.max`.
    private var hostSlot: Int32 = -1
    private var authorizationSlot: Int32 = -1
    private var connectionSlot: Int32 = -1
    private var upgradeSlot: Int32 = -1
    private var expectSlot: Int32 = -1
    private var contentLengthSlot: Int32 = -1
    private var transferEncodingSlot: Int32 = -1
    private var traceparentSlot: Int32 = -1
    private var tracestateSlot: Int32 = -1

    /// The Host line (at most one).
    public var host: Int? {
        get { Self.index(self.hostSlot) }
        set { self.hostSlot = Self.slot(newValue) }
    }
    /// The Authorization line (at most one, SECURITY 17).
    public var authorization: Int? {
        get { Self.index(self.authorizationSlot) }
        set { self.authorizationSlot = Self.slot(newValue) }
    }
    /// The first Connection line; more may follow (see `RequestHead.connectionNominates(_:)`).
    public var connection: Int? {
        get { Self.index(self.connectionSlot) }
        set { self.connectionSlot = Self.slot(newValue) }
    }
    /// The first Upgrade line.
    public var upgrade: Int? {
        get { Self.index(self.upgradeSlot) }
        set { self.upgradeSlot = Self.slot(newValue) }
    }
    /// The Expect line.
    public var expect: Int? {
        get { Self.index(self.expectSlot) }
        set { self.expectSlot = Self.slot(newValue) }
    }
    /// The Content-Length line (at most one on requests).
    public var contentLength: Int? {
        get { Self.index(self.contentLengthSlot) }
        set { self.contentLengthSlot = Self.slot(newValue) }
    }
    /// The Transfer-Encoding line (at most one on requests).
    public var transferEncoding: Int? {
        get { Self.index(self.transferEncodingSlot) }
        set { self.transferEncodingSlot = Self.slot(newValue) }
    }
    /// The first `traceparent` line (W3C Trace Context).
    public var traceparent: Int? {
        get { Self.index(self.traceparentSlot) }
        set { self.traceparentSlot = Self.slot(newValue) }
    }
    /// The first `tracestate` line.
    public var tracestate: Int? {
        get { Self.index(self.tracestateSlot) }
        set { self.tracestateSlot = Self.slot(newValue) }
    }
    /// `traceparent` came more than once: invalid, a new trace is started.
    public var traceparentRepeated = false
    /// `tracestate` came more than once: it is not forwarded.
    public var tracestateRepeated = false
    /// Connection lists `close`.
    public var connectionClose = false
    /// Connection lists `keep-alive`.
    public var connectionKeepAlive = false
    /// Connection lists `upgrade`.
    public var connectionUpgrade = false
    /// Connection lists a token other than `close`, `keep-alive` and `upgrade` (names of fields the forwarders
    /// drop anyway): only then must the forwarders collect the nominated names (`connectionTokens`).
    public var connectionNominatesOthers = false

    /// No known fields.
    public init() {}

    @inline(__always)
    private static func index(_ slot: Int32) -> Int? { slot < 0 ? nil : Int(slot) }

    @inline(__always)
    private static func slot(_ index: Int?) -> Int32 {
        guard let index else { return -1 }
        return Int32(truncatingIfNeeded: index)
    }
}

/// A parsed, validated request head (RFC 9112 §3, §5, §6), produced by `RequestHeadParser`.
///
/// Allocation budget: one copy of the head bytes and one array of field offsets (`HTTP1HeaderFields`); `method`
/// is a small string (no allocation up to 15 bytes). `target` and header strings are built on access; the hot
/// path reads bytes in place instead (`withUnsafeTargetBytes(_:)`, `headers.nameEquals(at:_:)`).
public struct RequestHead: Sendable, Equatable {
    /// The method, case preserved and validated as an RFC 9110 §9.1 token (SECURITY 35: never folded).
    public let method: String
    /// The protocol version.
    public let version: HTTP1Version
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    public let keepAlive: Bool
    /// How the body is delimited.
    public let framing: RequestBodyFraming
    /// HTTP/1.1 with `Expect: 100-continue` (RFC 9110 §10.1.1; ignored on HTTP/1.0).
    public let expectsContinue: Bool
    /// Every field line in order, duplicates kept.
    public let headers: HTTP1HeaderFields
    /// Where Host, Authorization, Connection, Upgrade, Expect, Content-Length and Transfer-Encoding are.
    public let known: HTTP1KnownFields
    /// Offsets of the request-target in the head bytes.
    let targetStart: Int32
    let targetEnd: Int32

    init(
        method: String, version: HTTP1Version, keepAlive: Bool, framing: RequestBodyFraming,
        expectsContinue: Bool, headers: HTTP1HeaderFields, known: HTTP1KnownFields, target: Range<Int>
    ) {
        self.method = method
        self.version = version
        self.keepAlive = keepAlive
        self.framing = framing
        self.expectsContinue = expectsContinue
        self.headers = headers
        self.known = known
        self.targetStart = Int32(truncatingIfNeeded: target.lowerBound)
        self.targetEnd = Int32(truncatingIfNeeded: target.upperBound)
    }

    /// The raw request-target as received (visible ASCII, no `#`; canonicalize with `CanonicalTarget`).
    public var target: String {
        self.headers.string(at: Int(self.targetStart)..<Int(self.targetEnd))
    }

    /// Calls `body` with the raw request-target bytes, without allocating.
    public func withUnsafeTargetBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try self.headers.withUnsafeBytes { head in
            try body(UnsafeRawBufferPointer(rebasing: head[Int(self.targetStart)..<Int(self.targetEnd)]))
        }
    }

    /// Calls `body` with the method and the space after it, as received: the request line's first bytes, up to
    /// the target (the parser allows exactly one SP there).
    func withUnsafeMethodAndSpaceBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        self.headers.withUnsafeBytes { head in body(UnsafeRawBufferPointer(rebasing: head[0..<Int(self.targetStart)])) }
    }

    /// The Host value, or nil when absent (HTTP/1.0 only).
    public var host: String? { self.known.host.map { self.headers.value(at: $0) } }

    /// Calls `body` with the `Host` value's bytes in place (empty when there is no `Host` line).
    func withHostBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        self.headers.withUnsafeBytes { bytes in
            guard let index = self.known.host else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return body(UnsafeRawBufferPointer(rebasing: bytes[self.headers.valueRange(at: index)]))
        }
    }

    /// The Authorization value, or nil.
    public var authorization: String? { self.known.authorization.map { self.headers.value(at: $0) } }

    /// The Upgrade value of the first Upgrade line, or nil.
    public var upgrade: String? { self.known.upgrade.map { self.headers.value(at: $0) } }

    /// Every token listed by the Connection lines, in order, as received (RFC 9110 §7.6.1).
    public var connectionTokens: [String] {
        var tokens: [String] = []
        self.forEachConnectionToken { token in
            tokens.append(String(decoding: token, as: UTF8.self))
            return true
        }
        return tokens
    }

    /// Whether a Connection line lists `fieldName` (ASCII case-insensitive), making that field hop-by-hop.
    public func connectionNominates(_ fieldName: String) -> Bool {
        var found = false
        self.forEachConnectionToken { token in
            found =
                token.count == fieldName.utf8.count
                && zip(token, fieldName.utf8).allSatisfy {
                    HTTP1Grammar.lowercased($0) == HTTP1Grammar.lowercased($1)
                }
            return !found
        }
        return found
    }

    private func forEachConnectionToken(_ body: (UnsafeRawBufferPointer) -> Bool) {
        guard let first = self.known.connection else { return }
        self.headers.withUnsafeBytes { bytes in
            for index in first..<self.headers.count where self.headers.nameEquals(at: index, "connection") {
                let keepGoing = HTTP1FieldValues.forEachListElement(bytes, self.headers.valueRange(at: index)) {
                    body(UnsafeRawBufferPointer(rebasing: bytes[$0]))
                }
                if !keepGoing { return }
            }
        }
    }
}
