import Foundation
import Testing

extension EndToEnd {
    /// WebSocket after authorization (RFC 6455; docs/configuration.md "WebSocket", docs/security.md): a real
    /// `websockets` client and upstream (Python, from PyPI) through `uma-pep serve`. The handshake is authorized
    /// like any GET; a granted one becomes a byte tunnel, a denied one never reaches the upstream.
    @Suite struct WebSocket {
        static let chat = DevASProcess.Permission(path: "/ws/??", method: "GET", scopes: ["chat"])
        /// A permission of the same service that does not cover the WebSocket path.
        static let admin = DevASProcess.Permission(path: "/admin/??", method: "GET", scopes: ["admin"])

        /// Service `ws` (hosts `ws.test` and `localhost`) on the WebSocket upstream, GET `/ws/??` needs `chat` (and
        /// `/admin/??` needs `admin`); service `raw` (host `raw.test`, plain: no token check) on the upstream that answers everything with `101`.
        static func config(workers: Int = 1, limits: String = "", listen: String = #"listen: ["127.0.0.1:0"]"#)
            -> String
        {
            """
            \(listen)
            admin: {listen: "127.0.0.1:0"}
            workers: \(workers)
            limits: {upstream_read_timeout: 5s\(limits)}
            authorization_servers:
              dev:
                mode: oxd
                oxd_url: ${OXD_URL}
                op_url: ${OXD_URL}
                oxd_id: demo-oxd-id
                client_id: demo-client
                client_secret: demo-secret
                register_resources: true
            services:
              - name: ws
                url: ${WS_URL}
                hosts: [ws.test, localhost]
                deny_by_default: true
                uma_scope_expression:
                  - path: /ws/??
                    conditions:
                      - httpMethods: [GET]
                        scopes: [chat]
                  - path: /admin/??
                    conditions:
                      - httpMethods: [GET]
                        scopes: [admin]
              - name: raw
                url: ${RAW_URL}
                hosts: [raw.test]
            """
        }

        /// The environment with the WebSocket upstream in `${WS_URL}` / `${RAW_URL}`.
        static func environment(_ config: String) throws -> (E2EEnvironment, WebSocketPeer.Upstream) {
            let upstream = try WebSocketPeer.Upstream()
            let env = try E2EEnvironment(
                config: config, environment: ["WS_URL": upstream.url, "RAW_URL": upstream.rawURL])
            return (env, upstream)
        }

        /// A fresh environment (`limits` added to its configuration) and one client that runs `scenario` on
        /// `ws://ws.test` + `path` with a token holding `chat`: the environment, the upstream, what the client printed.
        static func tunnel(_ path: String, scenario: String, limits: String = "") throws
            -> (env: E2EEnvironment, upstream: WebSocketPeer.Upstream, result: [String: Any])
        {
            let (env, upstream) = try Self.environment(Self.config(limits: limits))
            let token = try env.devAS.mintToken([Self.chat])
            let result = try WebSocketPeer.client(
                url: "ws://ws.test\(path)", port: env.pep.proxyPort, token: token, scenario: scenario)
            return (env, upstream, result)
        }

        /// The access-log lines (stderr) of tunnels that closed.
        static func tunnelLines(_ env: E2EEnvironment) -> [String] {
            env.pep.process.stderr.split(separator: "\n").filter { $0.contains("status=101") }.map(String.init)
        }

        /// Text and a 3 MiB binary message echo back whole, 50 small ones in order; the client starts the closing
        /// handshake, and the upstream ends the TCP connection first as RFC 6455 §7.1.1 asks (`upstream_closed`:
        /// the detail names the side whose FIN came first). A client that ends its TCP connection without a close
        /// frame is `client_closed`. Both closes are logged (bytes each way) and counted; the token never appears
        /// in the log.
        @Test func echoesBothWaysWithLargeFrames() async throws {
            try await offPool {
                let (env, upstream) = try Self.environment(Self.config())
                let token = try env.devAS.mintToken([Self.chat])
                let result = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, scenario: "echo")
                #expect(result["status"] as? Int == 101, "\(result)\n\(env.diagnostics())")
                #expect(result["text"] as? String == "hello through the PEP")
                #expect(result["large_equal"] as? Bool == true)
                #expect(result["large_length"] as? Int == 3 * 1024 * 1024 + 7)
                #expect(result["ordered"] as? Bool == true)
                #expect(result["close_code"] as? Int == 1000)
                #expect(eventually(5) { Self.tunnelLines(env).count == 1 }, "\(env.diagnostics())")
                let line = Self.tunnelLines(env).first ?? ""
                #expect(line.contains("decision=websocket.upstream_closed"), "\(line)")
                #expect(line.contains("service=ws") && line.contains("path=/ws/echo") && line.contains("method=GET"))
                for field in ["bytes_in", "bytes_out"] {
                    let value = line.split(separator: " ").first { $0.hasPrefix("\(field)=") }
                        .flatMap { Int($0.dropFirst(field.count + 1)) }
                    #expect((value ?? 0) > 3 * 1024 * 1024, "\(field) in \(line)")
                }
                let finFirst = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, scenario: "client-fin")
                #expect(finFirst["text"] as? String == "last words", "\(finFirst)")
                #expect(eventually(5) { Self.tunnelLines(env).count == 2 }, "\(env.diagnostics())")
                #expect(Self.tunnelLines(env).last?.contains("decision=websocket.client_closed") == true)
                #expect(!env.pep.process.stderr.contains(token))
                let metrics = try env.pep.metrics()
                #expect(metrics.value("uma_pep_websocket_tunnels_total") == 2)
                #expect(metrics.value("uma_pep_websocket_tunnels_open") == 0)
                #expect(upstream.handshakes == ["/ws/echo", "/ws/echo"])
                #expect(metrics.value("uma_pep_websocket_bytes_total", ["direction": "client_to_upstream"]) > 3_145_728)
                #expect(metrics.value("uma_pep_websocket_bytes_total", ["direction": "upstream_to_client"]) > 3_145_728)
                #expect(
                    metrics.value(
                        "uma_pep_requests_total", ["service": "ws", "decision": "granted", "status_class": "1xx"]) == 2)
            }
        }

        /// The upstream closes first (close frame, then its FIN): the client sees the close frame with its code
        /// and reason, the end of stream follows, and the tunnel is logged as closed by the upstream.
        @Test func upstreamClosesFirst() async throws {
            try await offPool {
                let (env, upstream, result) = try Self.tunnel("/ws/close-first", scenario: "upstream-close")
                #expect(result["text"] as? String == "bye", "\(result)")
                #expect(result["closed"] as? Bool == true)
                #expect(result["close_code"] as? Int == 1000)
                #expect(result["close_reason"] as? String == "upstream done")
                #expect(eventually(5) { Self.tunnelLines(env).count == 1 }, "\(env.diagnostics())")
                #expect(Self.tunnelLines(env).first?.contains("decision=websocket.upstream_closed") == true)
                #expect(eventually(5) { (try? env.pep.metrics().value("uma_pep_websocket_tunnels_open")) == 0 })
                #expect(upstream.handshakes == ["/ws/close-first"])
            }
        }

        /// `limits.websocket_idle_timeout`: a tunnel without a byte either way is closed after it (the client
        /// sees the connection end), and logged as `websocket.idle_timeout`.
        @Test func idleTunnelIsClosed() async throws {
            try await offPool {
                let (env, upstream, result) = try Self.tunnel(
                    "/ws/echo", scenario: "idle", limits: ", websocket_idle_timeout: 1s")
                #expect(result["closed"] as? Bool == true, "\(result)")
                let seconds = result["seconds"] as? Double ?? 0
                #expect(seconds >= 0.9 && seconds < 10, "\(seconds)")
                #expect(eventually(5) { Self.tunnelLines(env).count == 1 })
                #expect(Self.tunnelLines(env).first?.contains("decision=websocket.idle_timeout") == true)
                #expect(upstream.handshakes == ["/ws/echo"])
            }
        }

        /// A slow reader is not idle: the client reads a 6 MiB stream at about 640 KiB/s through a small receive
        /// window, so the proxy's queue towards it stays full and nothing is pumped for seconds at a time while
        /// bytes still leave. With `websocket_idle_timeout: 2s` the tunnel must carry the whole stream and close
        /// when the client does, not as `websocket.idle_timeout`.
        @Test func slowReaderIsNotIdle() async throws {
            try await offPool {
                let (env, upstream, result) = try Self.tunnel(
                    "/ws/stream", scenario: "slow-read", limits: ", websocket_idle_timeout: 2s")
                #expect(result["done"] as? Bool == true, "\(result)\n\(env.diagnostics())")
                #expect(result["received"] as? Int == 6 * 1024 * 1024, "\(result)")
                #expect(eventually(5) { Self.tunnelLines(env).count == 1 }, "\(env.diagnostics())")
                let line = Self.tunnelLines(env).first ?? ""
                #expect(!line.contains("decision=websocket.idle_timeout"), "\(line)")
                #expect(upstream.handshakes == ["/ws/stream"])
            }
        }

        /// `limits.max_websocket_tunnels: 1` (one worker): a second authorized handshake while a tunnel is open
        /// gets 503 + `Retry-After` and does not reach the upstream; once the first closed, a new one opens.
        @Test func tunnelCapRefusesBeyondIt() async throws {
            try await offPool {
                let (env, upstream) = try Self.environment(Self.config(limits: ", max_websocket_tunnels: 1"))
                let token = try env.devAS.mintToken([Self.chat])
                let holder = try WebSocketPeer.holdingClient(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, seconds: 3)
                defer { holder.stop() }
                #expect(holder.waitFor(stdout: "\"open\": true", timeout: 15), "\(holder.stderr)")
                let refused = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, scenario: "handshake")
                #expect(refused["status"] as? Int == 503, "\(refused)")
                #expect((refused["headers"] as? [String: String])?["retry-after"] == "1")
                #expect(upstream.handshakes == ["/ws/echo"])
                #expect(holder.waitFor(stdout: "still here", timeout: 15), "\(holder.stdout)\(holder.stderr)")
                #expect(eventually(5) { (try? env.pep.metrics().value("uma_pep_websocket_tunnels_open")) == 0 })
                let again = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, scenario: "handshake")
                #expect(again["status"] as? Int == 101, "\(again)")
                #expect(eventually(5) { env.pep.process.stderr.contains("decision=proxy.websocket_tunnels_exhausted") })
            }
        }

        /// SIGTERM closes an open tunnel at once (it is no in-flight request): `serve` exits well within its
        /// `drain_timeout`, the client sees the connection end, and the tunnel is logged as `websocket.shutdown`.
        @Test func shutdownClosesTunnelsAtOnce() async throws {
            try await offPool {
                let (env, upstream) = try Self.environment(Self.config(limits: ", drain_timeout: 20s"))
                let token = try env.devAS.mintToken([Self.chat])
                let holder = try WebSocketPeer.holdingClient(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: token, seconds: 30)
                defer { holder.stop() }
                #expect(holder.waitFor(stdout: "\"open\": true", timeout: 15), "\(holder.stderr)")
                let started = Date()
                env.pep.process.stop(grace: 15)
                #expect(Date().timeIntervalSince(started) < 5)
                #expect(env.pep.process.stderr.contains("decision=websocket.shutdown"), "\(env.diagnostics())")
                #expect(upstream.handshakes == ["/ws/echo"])
            }
        }

        /// Denied handshakes get the usual answers and nothing reaches the upstream: no token → 401 with a
        /// permission ticket, a token without the permission → 403.
        @Test func deniedHandshakesNeverReachTheUpstream() async throws {
            try await offPool {
                let (env, upstream) = try Self.environment(Self.config())
                let anonymous = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, scenario: "handshake")
                #expect(anonymous["status"] as? Int == 401, "\(anonymous)")
                let challenge = (anonymous["headers"] as? [String: String])?["www-authenticate"] ?? ""
                #expect(challenge.contains("ticket="), "\(challenge)")
                let unpermitted = try env.devAS.mintToken([Self.admin])
                let forbidden = try WebSocketPeer.client(
                    url: "ws://ws.test/ws/echo", port: env.pep.proxyPort, token: unpermitted, scenario: "handshake")
                #expect(forbidden["status"] as? Int == 403, "\(forbidden)")
                #expect(forbidden["body"] as? String == Body.notAuthorized)
                #expect(upstream.handshakes.isEmpty)
                #expect(try env.pep.metrics().value("uma_pep_websocket_tunnels_total") == 0)
            }
        }

        /// Other upgrades stay refused (h2c: 501, nothing forwarded), a malformed WebSocket handshake is 400, and
        /// a `101` the client did not ask for is a 502.
        @Test func otherUpgradesAndUnsolicitedSwitchesAreRefused() async throws {
            try await offPool {
                let (env, upstream) = try Self.environment(Self.config())
                let token = try env.devAS.mintToken([Self.chat])
                let h2c = try env.send(
                    "GET", "/ws/echo", host: "ws.test", token: token,
                    headers: [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"), ("HTTP2-Settings", "AA")])
                #expect(h2c.status == 501)
                let posted = try env.send(
                    "POST", "/ws/echo", host: "ws.test", token: token,
                    headers: [
                        ("Connection", "Upgrade"), ("Upgrade", "websocket"),
                        ("Sec-WebSocket-Key", "a2V5a2V5a2V5a2V5a2V5aw=="),
                        ("Sec-WebSocket-Version", "13"),
                    ])
                #expect(posted.status == 400)
                #expect(upstream.handshakes.isEmpty)
                let unsolicited = try env.send("GET", "/anything", host: "raw.test")
                #expect(unsolicited.status == 502, "\(unsolicited)")
                #expect(eventually(5) { env.pep.process.stderr.contains("decision=upstream.unsolicited_switch") })
            }
        }

        /// The same over the TLS listener (development certificates): echo with a large frame, the upstream
        /// closing first (a TLS client cannot be half-closed: the tunnel closes after the flush), the client
        /// ending its connection first, and a denied handshake.
        @Test func worksOverTLS() async throws {
            try await offPool {
                let certificates = try TLSEndToEndTests.developmentFiles()
                defer { try? FileManager.default.removeItem(atPath: certificates) }
                let listen = """
                    listen:
                      - address: "127.0.0.1:0"
                        tls: {certificate: \(certificates)/server.pem, private_key: \(certificates)/server-key.pem}
                    """
                let (env, upstream) = try Self.environment(Self.config(listen: listen))
                let token = try env.devAS.mintToken([Self.chat])
                let cafile = certificates + "/ca.pem"
                let echo = try WebSocketPeer.client(
                    url: "wss://localhost/ws/echo", port: env.pep.proxyPort, token: token, scenario: "echo",
                    cafile: cafile)
                #expect(echo["large_equal"] as? Bool == true, "\(echo)\n\(env.diagnostics())")
                #expect(echo["ordered"] as? Bool == true)
                #expect(echo["close_code"] as? Int == 1000)
                let closing = try WebSocketPeer.client(
                    url: "wss://localhost/ws/close-first", port: env.pep.proxyPort, token: token,
                    scenario: "upstream-close", cafile: cafile)
                #expect(closing["text"] as? String == "bye", "\(closing)")
                #expect(closing["close_code"] as? Int == 1000)
                let finFirst = try WebSocketPeer.client(
                    url: "wss://localhost/ws/echo", port: env.pep.proxyPort, token: token, scenario: "client-fin",
                    cafile: cafile)
                #expect(finFirst["text"] as? String == "last words", "\(finFirst)")
                let denied = try WebSocketPeer.client(
                    url: "wss://localhost/ws/echo", port: env.pep.proxyPort, scenario: "handshake", cafile: cafile)
                #expect(denied["status"] as? Int == 401, "\(denied)")
                #expect(upstream.handshakes == ["/ws/echo", "/ws/close-first", "/ws/echo"])
                #expect(eventually(5) { Self.tunnelLines(env).count == 3 }, "\(env.diagnostics())")
                let decisions = Self.tunnelLines(env).compactMap { line in
                    line.split(separator: " ").first { $0.hasPrefix("decision=") }.map(String.init)
                }
                #expect(decisions.filter { $0 == "decision=websocket.client_closed" }.count == 1, "\(decisions)")
                #expect(eventually(5) { (try? env.pep.metrics().value("uma_pep_websocket_tunnels_open")) == 0 })
            }
        }
    }
}
