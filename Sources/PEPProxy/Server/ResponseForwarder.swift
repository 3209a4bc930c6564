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
        let out = HeadBuffer(capacity: head.headers.byteCount + 64)
        Self.build(head, closeClient: closeClient, keepAliveHeader: keepAliveHeader, into: out)
        return out.array
    }

    /// `build(_:closeClient:keepAliveHeader:)` into a buffer the worker reuses, replacing what it held (the hot
    /// path: no allocation per response).
    /// - Parameter switchingToWebSocket: a `101` that opens a WebSocket tunnel: `Connection: Upgrade` and
    ///   `Upgrade: websocket` are written (the upstream's own hop-by-hop fields are dropped as always).
    static func build(
        _ head: ResponseHead, closeClient: Bool, keepAliveHeader: Bool, switchingToWebSocket: Bool = false,
        into out: HeadBuffer
    ) {
        out.reset()
        out.append("HTTP/1.1 ")
        Self.appendStatus(head.status, to: out)
        out.append(0x20)
        head.headers.withUnsafeBytes { bytes in
            out.append(UnsafeRawBufferPointer(rebasing: bytes[Int(head.reasonStart)..<Int(head.reasonEnd)]))
            out.appendCRLF()
            let nominated = head.known.connectionNominatesOthers ? head.headers.connectionTokens(in: bytes) : []
            for index in head.headers.indices {
                let name = UnsafeRawBufferPointer(rebasing: bytes[head.headers.nameRange(at: index)])
                if Self.droppedNames.contains(name) { continue }
                // RFC 9110 §8.6: no Content-Length (nor Transfer-Encoding) on a 204; its body is dropped anyway.
                if head.status == 204, Self.framingNames.contains(name) { continue }
                if !nominated.isEmpty, HTTP1HeaderFields.lists(nominated, name, in: bytes) { continue }
                // The line range includes its CRLF.
                out.append(UnsafeRawBufferPointer(rebasing: bytes[head.headers.lineRange(at: index)]))
            }
        }
        if switchingToWebSocket {
            out.append("Connection: Upgrade\r\nUpgrade: websocket\r\n")
        } else if closeClient {
            out.append("Connection: close\r\n")
        } else if keepAliveHeader {
            out.append("Connection: keep-alive\r\n")
        }
        out.appendCRLF()
    }

    /// Appends a status code's decimal digits (100–999 after parsing; any non-negative value is written).
    static func appendStatus(_ status: Int, to out: HeadBuffer) {
        if status >= 100, status <= 999 {
            // One reservation and three stores (an append per digit checked the capacity each time).
            let digits = UInt32(truncatingIfNeeded: status)
            out.append(count: 3) { target in
                target.storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits / 100), as: UInt8.self)
                target.storeBytes(
                    of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits / 10 % 10), toByteOffset: 1,
                    as: UInt8.self)
                target.storeBytes(
                    of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits % 10), toByteOffset: 2, as: UInt8.self)
            }
        } else {
            out.appendDecimal(UInt64(max(0, status)))
        }
    }
}
