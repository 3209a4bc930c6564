/// A whole HTTP/1.1 request as handed to a local responder (the development authorization server, the demo
/// upstream, the admin listener). The proxy path never builds one: it streams.
public struct HTTPRequestMessage: Sendable {
    /// The method token, case-sensitive (RFC 9110 §9.1).
    public var method: String
    /// The canonical path (SPEC A5), percent-encoding of reserved characters kept.
    public var path: String
    /// The raw query string without the `?`, or `nil` when the target had none.
    public var query: String?
    /// Header fields in arrival order; names as sent (compare case-insensitively).
    public var headers: [(name: String, value: String)]
    /// The whole request body (bounded by the server's `maxBodyBytes`).
    public var body: [UInt8]
    /// The peer address, `host:port`.
    public var remoteAddress: String

    /// Creates a request message.
    public init(
        method: String, path: String, query: String? = nil, headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The first value of header `name` (ASCII case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        for field in self.headers where field.name.caseInsensitiveEquals(name) {
            return field.value
        }
        return nil
    }
}

/// A whole HTTP/1.1 response produced by a local responder. `Content-Length` and `Connection` are added by the
/// server; do not set them.
public struct HTTPResponseMessage: Sendable {
    /// Status code (RFC 9110 §15).
    public var status: Int
    /// Header fields to send (validated before writing: names are tokens, values have no CR/LF/NUL).
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response message.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a JSON body and `Content-Type: application/json`.
    public static func json(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> Self {
        HTTPResponseMessage(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }
}

extension String {
    /// ASCII case-insensitive equality, without allocating (header names are ASCII tokens).
    @inlinable
    package func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = self.utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }
}
