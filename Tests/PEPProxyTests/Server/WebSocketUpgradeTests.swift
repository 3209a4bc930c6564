import Testing

@testable import PEPProxy

/// `WebSocketUpgrade`'s two decisions as tables: which requests with `Upgrade` are WebSocket handshakes (RFC 6455
/// §4.1), and which upstream `101` answers may open a tunnel; plus the heads the forwarders write for them.
@Suite struct WebSocketUpgradeTests {
    struct RequestCase: CustomTestStringConvertible, Sendable {
        var label: String
        /// The head, LF for CRLF.
        var head: String
        var verdict: WebSocketUpgrade.RequestVerdict
        var enabled = true
        var testDescription: String { self.label }
    }

    static let handshake =
        "Host: api.test\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
        + "Sec-WebSocket-Version: 13\n"

    static let requests: [RequestCase] = [
        .init(label: "RFC 6455 handshake", head: "GET /ws HTTP/1.1\n" + handshake, verdict: .webSocket),
        .init(
            label: "case and spacing",
            head:
                "GET /ws HTTP/1.1\nHost: a\nconnection: keep-alive, UPGRADE\nupgrade:  WebSocket \n"
                + "sec-websocket-key: k\nsec-websocket-version: 13\n",
            verdict: .webSocket),
        .init(
            label: "turned off (max_websocket_tunnels: 0)", head: "GET /ws HTTP/1.1\n" + handshake,
            verdict: .unsupported, enabled: false),
        .init(
            label: "h2c",
            head: "GET / HTTP/1.1\nHost: a\nConnection: Upgrade, HTTP2-Settings\nUpgrade: h2c\nHTTP2-Settings: AA\n",
            verdict: .unsupported),
        .init(
            label: "TLS upgrade", head: "GET / HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: TLS/1.2\n",
            verdict: .unsupported),
        .init(
            label: "websocket listed with h2c",
            head: "GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket, h2c\n"
                + "Sec-WebSocket-Key: k\nSec-WebSocket-Version: 13\n",
            verdict: .invalid("proxy.websocket_upgrade_not_alone")),
        .init(
            label: "two Upgrade lines",
            head: "GET /ws HTTP/1.1\nUpgrade: h2c\n" + handshake,
            verdict: .invalid("proxy.websocket_upgrade_not_alone")),
        .init(
            label: "POST", head: "POST /ws HTTP/1.1\n" + handshake,
            verdict: .invalid("proxy.websocket_method_not_get")),
        .init(
            label: "HTTP/1.0", head: "GET /ws HTTP/1.0\n" + handshake, verdict: .invalid("proxy.websocket_not_http11")),
        .init(
            label: "Connection without upgrade",
            head: "GET /ws HTTP/1.1\nHost: a\nUpgrade: websocket\nSec-WebSocket-Key: k\nSec-WebSocket-Version: 13\n",
            verdict: .invalid("proxy.websocket_connection_without_upgrade")),
        .init(
            label: "with a body", head: "GET /ws HTTP/1.1\nContent-Length: 0\n" + handshake,
            verdict: .invalid("proxy.websocket_request_body")),
        .init(
            label: "no key",
            head: "GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Version: 13\n",
            verdict: .invalid("proxy.websocket_key_missing")),
        .init(
            label: "two keys", head: "GET /ws HTTP/1.1\nSec-WebSocket-Key: b\n" + handshake,
            verdict: .invalid("proxy.websocket_key_missing")),
        .init(
            label: "no version",
            head: "GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Key: k\n",
            verdict: .invalid("proxy.websocket_version_missing")),
    ]

    @Test(arguments: Self.requests)
    func classifiesUpgradeRequests(_ item: RequestCase) throws {
        let parsed = try #require(RequestHeadParserTests.accept(item.head + "\n"))
        #expect(WebSocketUpgrade.classify(parsed.head, enabled: item.enabled) == item.verdict)
    }

    struct SwitchCase: CustomTestStringConvertible, Sendable {
        var label: String
        var head: String
        var requested: Bool
        var verdict: WebSocketUpgrade.SwitchVerdict
        var testDescription: String { self.label }
    }

    static let switches: [SwitchCase] = [
        .init(
            label: "websocket 101",
            head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            requested: true, verdict: .tunnel),
        .init(
            label: "case and other Connection tokens",
            head: "HTTP/1.1 101 OK\r\nupgrade: WEBSOCKET\r\nconnection: keep-alive, upgrade\r\n\r\n", requested: true,
            verdict: .tunnel),
        .init(
            label: "unsolicited 101",
            head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            requested: false, verdict: .unsolicited),
        .init(
            label: "h2c 101 to a websocket request",
            head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", requested: true,
            verdict: .mismatched),
        .init(
            label: "no Upgrade", head: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
            requested: true, verdict: .mismatched),
        .init(
            label: "no Connection: upgrade", head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            requested: true, verdict: .mismatched),
        .init(
            label: "101 with Content-Length",
            head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Content-Length: 5\r\n\r\n", requested: true, verdict: .mismatched),
        .init(
            label: "101 with Transfer-Encoding",
            head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", requested: true, verdict: .mismatched),
        .init(
            label: "HTTP/1.0 101",
            head: "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            requested: true, verdict: .mismatched),
    ]

    static func response(_ text: String) -> ResponseHead? {
        var parser = ResponseHeadParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0, requestMethod: "GET", limits: .default) }
        guard case .complete(let head, _) = result else { return nil }
        return head
    }

    @Test(arguments: Self.switches)
    func judgesSwitchingProtocols(_ item: SwitchCase) throws {
        let head = try #require(Self.response(item.head))
        #expect(WebSocketUpgrade.judgeSwitch(head, requestedWebSocket: item.requested) == item.verdict)
    }

    /// The client-facing 101 keeps end-to-end fields (`Sec-WebSocket-Accept`) and carries uma-pep's own
    /// `Connection: Upgrade` and `Upgrade: websocket`, never the upstream's hop-by-hop ones.
    @Test func switchingResponseHeadNamesTheUpgrade() throws {
        let head = try #require(
            Self.response(
                "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: Upgrade, X-Hop\r\nX-Hop: 1\r\n"
                    + "Sec-WebSocket-Accept: abc\r\n\r\n"))
        let out = HeadBuffer()
        ResponseForwarder.build(head, closeClient: false, keepAliveHeader: false, switchingToWebSocket: true, into: out)
        #expect(
            String(decoding: out.array, as: UTF8.self)
                == "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\n\r\n")
    }
}
