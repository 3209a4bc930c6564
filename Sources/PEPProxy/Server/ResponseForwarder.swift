/// Builds the response head sent to the client from an upstream response head: `HTTP/1.1`, the upstream's
/// status and reason, its fields minus hop-by-hop ones (RFC 9110 §7.6.1) and those its `Connection` nominates;
/// `Transfer-Encoding: chunked` and `Content-Length` pass through because bodies are relayed verbatim.
enum ResponseForwarder {
    static let dropped: [String] = ["connection", "keep-alive", "proxy-connection", "te", "upgrade"]
    private static let droppedNames = HeaderNameSet(Self.dropped)
    private static let framingNames = HeaderNameSet(["content-length", "transfer-encoding"])

    /// The client-facing head bytes.
    /// - Parameters:
    ///   - closeClient: add `Connection: close`.
    ///   - keepAliveHeader: otherwise add `Connection: keep-alive` (an HTTP/1.0 client keeps a connection only
    ///     when told so, RFC 9112 §9.3).
    static func build(_ head: ResponseHead, closeClient: Bool, keepAliveHeader: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.headers.bytes.count + 64)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        Self.appendStatus(head.status, to: &out)
        out.append(0x20)
        out.append(contentsOf: head.reason.utf8)
        out.append(contentsOf: [0x0D, 0x0A])
        head.headers.withUnsafeBytes { bytes in
            let nominated = head.known.connectionNominatesOthers ? head.headers.connectionTokens(in: bytes) : []
            for index in head.headers.indices {
                let name = UnsafeRawBufferPointer(rebasing: bytes[head.headers.nameRange(at: index)])
                if Self.droppedNames.contains(name) { continue }
                // RFC 9110 §8.6: no Content-Length (nor Transfer-Encoding) on a 204; its body is dropped anyway.
                if head.status == 204, Self.framingNames.contains(name) { continue }
                if !nominated.isEmpty, HTTP1HeaderFields.lists(nominated, name, in: bytes) { continue }
                // The line range includes its CRLF.
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[head.headers.lineRange(at: index)]))
            }
        }
        if closeClient {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    /// Appends a status code's decimal digits (100–999 after parsing; any non-negative value is written).
    static func appendStatus(_ status: Int, to out: inout [UInt8]) {
        if status >= 100, status <= 999 {
            out.append(UInt8(ascii: "0") + UInt8(status / 100))
            out.append(UInt8(ascii: "0") + UInt8(status / 10 % 10))
            out.append(UInt8(ascii: "0") + UInt8(status % 10))
        } else {
            out.append(contentsOf: String(status).utf8)
        }
    }
}
