import Foundation

/// The pure decisions about protocol upgrades (RFC 9110 §7.8, RFC 6455 §4): which requests carrying `Upgrade`
/// may become a WebSocket tunnel, and which upstream `101 Switching Protocols` answers may open one. No I/O: the
/// shell (`ProxyExchange`) acts on the verdicts, and the tables in `WebSocketUpgradeTests` pin them.
enum WebSocketUpgrade {
    /// What to do with a request that has an `Upgrade` field.
    enum RequestVerdict: Equatable {
        /// An RFC 6455 §4.1 opening handshake: authorize it like any `GET`, then forward it with
        /// `Connection: Upgrade` and `Upgrade: websocket`.
        case webSocket
        /// Another protocol (`h2c`, `TLS/1.0`, …), or WebSocket tunnels are off (`max_websocket_tunnels: 0`):
        /// `501` before authorization, as for any upgrade uma-pep does not speak.
        case unsupported
        /// `Upgrade: websocket` that is no valid opening handshake: `400` before authorization, with this stable
        /// detail string.
        case invalid(String)
    }

    /// Classifies a request whose head has an `Upgrade` field (RFC 6455 §4.1 items 1–2, 5–6, 9).
    ///
    /// A WebSocket handshake is: `GET`, HTTP/1.1, exactly one `Upgrade` line whose value is the single token
    /// `websocket` (case-insensitive), `Connection` listing `upgrade`, no body framing, and exactly one
    /// `Sec-WebSocket-Key` and one `Sec-WebSocket-Version` (their values are the upstream's to check: it answers
    /// `400` or `426`, which is relayed). Anything else naming `websocket` is `invalid`; any other protocol is
    /// `unsupported`.
    /// - Parameter enabled: `false` when `limits.max_websocket_tunnels` is 0 (every upgrade is `unsupported`).
    static func classify(_ head: RequestHead, enabled: Bool) -> RequestVerdict {
        let upgrades = head.headers.values(named: "upgrade")
        let namesWebSocket = upgrades.contains { value in
            value.split(separator: ",").contains { Self.isWebSocketToken($0) }
        }
        guard enabled, namesWebSocket else { return .unsupported }
        guard upgrades.count == 1, Self.isWebSocketToken(Substring(upgrades[0])) else {
            return .invalid("proxy.websocket_upgrade_not_alone")
        }
        guard head.method == "GET" else { return .invalid("proxy.websocket_method_not_get") }
        guard head.version == .http11 else { return .invalid("proxy.websocket_not_http11") }
        guard head.known.connectionUpgrade else { return .invalid("proxy.websocket_connection_without_upgrade") }
        guard head.framing == .none else { return .invalid("proxy.websocket_request_body") }
        guard head.headers.values(named: "sec-websocket-key").count == 1 else {
            return .invalid("proxy.websocket_key_missing")
        }
        guard head.headers.values(named: "sec-websocket-version").count == 1 else {
            return .invalid("proxy.websocket_version_missing")
        }
        return .webSocket
    }

    /// What to do with an upstream `101 Switching Protocols`.
    enum SwitchVerdict: Equatable {
        /// The handshake succeeded: relay the head, then tunnel bytes both ways.
        case tunnel
        /// The client asked for no upgrade (or for one uma-pep refused): `502`, the upstream connection closed.
        case unsolicited
        /// The client asked for WebSocket but the `101` does not switch to it (`Upgrade` is not `websocket` or
        /// `Connection` does not list `upgrade`, RFC 6455 §4.1 client items 2–3), or is not a valid `101` (not
        /// HTTP/1.1, or with `Content-Length` / `Transfer-Encoding`, which no 1xx may carry: RFC 9110 §8.6,
        /// RFC 9112 §6.1; relayed, a front proxy could read the tunnel's first bytes as a body): `502`.
        case mismatched
    }

    /// Judges a `101` answer (RFC 9110 §15.2.2: a server switches only to a protocol the client listed).
    /// - Parameter requestedWebSocket: the request was classified `.webSocket` and forwarded as such.
    static func judgeSwitch(_ response: ResponseHead, requestedWebSocket: Bool) -> SwitchVerdict {
        guard requestedWebSocket else { return .unsolicited }
        let upgrades = response.headers.values(named: "upgrade")
        guard upgrades.count == 1, Self.isWebSocketToken(Substring(upgrades[0])), response.known.connectionUpgrade
        else { return .mismatched }
        guard response.version == .http11, response.known.contentLength == nil, response.known.transferEncoding == nil
        else { return .mismatched }
        return .tunnel
    }

    /// `websocket`, case-insensitive, optional whitespace around it (RFC 6455 §4.2.1 item 3).
    private static func isWebSocketToken(_ text: Substring) -> Bool {
        text.trimmingCharacters(in: .whitespaces).lowercased() == "websocket"
    }
}
