/// Builds the response head sent to the client from an upstream response head: `HTTP/1.1`, the upstream's
/// status and reason, its fields minus hop-by-hop ones (RFC 9110 §7.6.1) and those its `Connection` nominates;
/// `Transfer-Encoding: chunked` and `Content-Length` pass through because bodies are relayed verbatim.
enum ResponseForwarder {
    static let dropped: [String] = ["connection", "keep-alive", "proxy-connection", "te", "upgrade"]

    /// The client-facing head bytes; `closeClient` adds `Connection: close`.
    static func build(_ head: ResponseHead, closeClient: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.headers.bytes.count + 64)
        out.append(contentsOf: "HTTP/1.1 \(head.status) ".utf8)
        out.append(contentsOf: head.reason.utf8)
        out.append(contentsOf: [0x0D, 0x0A])
        head.headers.withUnsafeBytes { bytes in
            for index in head.headers.indices {
                let name = UnsafeRawBufferPointer(rebasing: bytes[head.headers.nameRange(at: index)])
                if RequestForwarder.matches(name, Self.dropped) { continue }
                if head.known.connection != nil, Self.nominated(name, head, bytes) { continue }
                // The line range includes its CRLF.
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[head.headers.lineRange(at: index)]))
            }
        }
        if closeClient { out.append(contentsOf: "Connection: close\r\n".utf8) }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    private static func nominated(_ name: UnsafeRawBufferPointer, _ head: ResponseHead, _ bytes: UnsafeRawBufferPointer)
        -> Bool
    {
        head.headers.connectionLists(name, in: bytes)
    }
}
