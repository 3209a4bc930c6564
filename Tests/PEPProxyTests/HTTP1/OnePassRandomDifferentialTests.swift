import Testing

@testable import PEPProxy

/// Randomised differential check of the head parsers' one pass against the scanning path: heads built from a
/// vocabulary of framing-relevant lines, then mutated (bytes replaced, inserted, removed, the head cut or
/// followed by pipelined bytes or a long run of `tchar`s), parsed whole (one pass) and byte by byte (scanner),
/// under default and tight limits. Every result must be the same on both paths. Seeded, so a failure repeats.
@Suite struct OnePassRandomDifferentialTests {
    /// Seedable, the same sequence on every platform (the workers' trace-id generator).
    typealias Generator = TraceIDGenerator

    static let probes: [UInt8] = [
        0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x2C, 0x3A, 0x3B, 0x41, 0x61, 0x7E, 0x7F, 0x80, 0xC3,
        0xFF,
    ]

    static let requestLines = [
        "GET / HTTP/1.1", "GET /posts/1?x=1 HTTP/1.1", "POST /upload HTTP/1.1", "GET / HTTP/1.0",
        "OPTIONS * HTTP/1.1", "PROPFIND /a HTTP/1.1", "GET http://a.example/x HTTP/1.1", "GET /x HTTP/1.2",
        "GET /x HTTP/2.0", "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1",
    ]
    static let statusLines = [
        "HTTP/1.1 200 OK", "HTTP/1.1 204 No Content", "HTTP/1.0 200 OK", "HTTP/1.1 304 Not Modified",
        "HTTP/1.1 101 Switching Protocols", "HTTP/1.1 100 Continue", "HTTP/1.1 500", "HTTP/1.1 404 Not Found here",
    ]
    static let fieldLines = [
        "Host: a.example", "Host: a.example:8080", "Host: [::1]:80", "Host: a%2eb", "Host:", "Content-Length: 5",
        "Content-Length: 0", "Content-Length: 5, 5", "Content-Length: +5", "Content-Length: 18446744073709551616",
        "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: Chunked ",
        "Connection: close", "Connection: keep-alive", "Connection: Upgrade", "Connection: Content-Length",
        "Upgrade: websocket", "Upgrade: h2c", "Expect: 100-continue", "Authorization: Bearer abc.def",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "X-Long-Header-Name-For-Words: v",
        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "Accept: */*", "X-A:\tb\t",
        "X-Empty:", "Cookie: a=b; c=d", "Content-Type: application/json",
    ]

    static func randomHead(_ rng: inout Generator, startLines: [String]) -> [UInt8] {
        var text = startLines.randomElement(using: &rng)! + "\r\n"
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            text += Self.fieldLines.randomElement(using: &rng)! + "\r\n"
        }
        text += "\r\n"
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            let probe = Self.probes.randomElement(using: &rng)!
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[at] = probe
            case 1: bytes.insert(probe, at: at)
            case 2: bytes.remove(at: at)
            default: break
            }
        }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: bytes += Array("GET /next HTTP/1.1\r\nHost: b\r\n\r\n".utf8)
        case 1: bytes += [UInt8](repeating: UInt8(ascii: "a"), count: Int.random(in: 1...100, using: &rng))
        case 2: if bytes.count > 1 { bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng)) }
        case 3: bytes = Array("\r\n".utf8) + bytes
        default: break
        }
        return bytes
    }

    static func randomLimits(_ rng: inout Generator, size: Int) -> HTTP1Limits {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return .default
        case 1:
            return HTTP1Limits(
                maxHeadBytes: max(1, size + Int.random(in: -3...3, using: &rng)),
                maxRequestLineBytes: Int.random(in: 10...40, using: &rng),
                maxHeadersCount: Int.random(in: 0...6, using: &rng))
        default:
            return HTTP1Limits(maxHeadersCount: Int.random(in: 1...4, using: &rng))
        }
    }

    @Test func requestHeadsAgreeOnBothPaths() {
        var rng = Generator(seed: 0x5EED_0001)
        for round in 0..<6_000 {
            let raw = Self.randomHead(&rng, startLines: Self.requestLines)
            let limits = Self.randomLimits(&rng, size: raw.count)
            var whole = RequestHeadParser()
            let a = feed(raw, .whole) { whole.parse($0, limits: limits) }
            var bytewise = RequestHeadParser()
            let b = feed(raw, .byteByByte) { bytewise.parse($0, limits: limits) }
            #expect(a == b, "round \(round): \(raw) limits \(limits): whole \(a), byte by byte \(b)")
            if a != b { return }
        }
    }

    @Test func responseHeadsAgreeOnBothPaths() {
        var rng = Generator(seed: 0x5EED_0002)
        for round in 0..<6_000 {
            let raw = Self.randomHead(&rng, startLines: Self.statusLines)
            let limits = Self.randomLimits(&rng, size: raw.count)
            let method = ["GET", "HEAD", "CONNECT"].randomElement(using: &rng)!
            var whole = ResponseHeadParser()
            let a = feed(raw, .whole) { whole.parse($0, requestMethod: method, limits: limits) }
            var bytewise = ResponseHeadParser()
            let b = feed(raw, .byteByByte) { bytewise.parse($0, requestMethod: method, limits: limits) }
            #expect(a == b, "round \(round): \(raw) limits \(limits): whole \(a), byte by byte \(b)")
            if a != b { return }
        }
    }
}
