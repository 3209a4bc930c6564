import Foundation
import PEPCore
import Testing

@testable import PEPProxy

/// An exchange holds its client connection strongly (ProxyExchange.connection), and the connection holds the
/// exchange while it is `.proxying`: every way an exchange ends must break that cycle, or the exchange, the
/// connection and its socket buffers stay allocated for good. Each test ends requests one particular way and
/// checks that no exchange of the engine is left (`ProxyEngine.liveExchanges`, debug builds).
@Suite struct ExchangeLeakTests {
    /// Answers every request `delay` seconds later, from another thread (an authorization-server round trip).
    struct DelayedAuthorizer: RequestAuthorizer {
        let delay: Double
        let decision: AuthorizationDecision

        func authorize(_ request: AuthorizationRequest, resume: AuthorizationResume) -> AuthorizationDecision? {
            let decision = self.decision
            DispatchQueue.global().asyncAfter(deadline: .now() + self.delay) { resume.resume(with: decision) }
            return nil
        }
    }

    /// Answers every request itself, at once (a denial).
    struct DenyingAuthorizer: RequestAuthorizer {
        func authorize(_ request: AuthorizationRequest, resume: AuthorizationResume) -> AuthorizationDecision? {
            .respond(HTTPResponseMessage(status: 403, headers: [], body: Array("no".utf8)), detail: "test.denied")
        }
    }

    /// Sends `text` and resets the connection (SO_LINGER 0) when the function returns.
    static func sendAndReset(_ proxy: TestProxy, _ text: String) throws {
        let client = try proxy.client()
        var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
        client.send(text)
        Thread.sleep(forTimeInterval: 0.05)
    }

    static func live(_ proxy: TestProxy) -> Int { proxy.engine.liveExchanges.load(ordering: .relaxed) }

    /// Expects every exchange of `proxy` gone within 5 s (`ExchangeLifetimeTests.settled`), naming how many stayed.
    static func expectSettled(_ proxy: TestProxy, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            ExchangeLifetimeTests.settled(proxy), "\(Self.live(proxy)) exchanges left", sourceLocation: sourceLocation)
    }

    /// The client resets its connection while the authorizer is still working: the exchange goes once the
    /// late answer has been dropped.
    @Test func clientGoneDuringAuthorization() throws {
        let proxy = try TestProxy(authorizer: DelayedAuthorizer(delay: 0.3, decision: .forward(.none)))
        defer { proxy.stop() }
        for index in 0..<3 {
            try Self.sendAndReset(proxy, "GET /a\(index) HTTP/1.1\r\nHost: api.test\r\n\r\n")
        }
        Self.expectSettled(proxy)
        #expect(proxy.recorder.requests.isEmpty)
    }

    /// The client half-closes after its request while the authorizer works: it still gets its answer.
    @Test func clientHalfClosedDuringAuthorization() throws {
        let proxy = try TestProxy(authorizer: DelayedAuthorizer(delay: 0.2, decision: .forward(.none)))
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /half HTTP/1.1\r\nHost: api.test\r\n\r\n")
        client.shutdownWrite()
        #expect(client.readResponse()?.status == 200)
        Self.expectSettled(proxy)
    }

    /// Asynchronous grants and denials on a kept-alive connection that stays open.
    @Test func asynchronousDecisionsOnAKeptAliveConnection() throws {
        let forwarding = try TestProxy(authorizer: DelayedAuthorizer(delay: 0.01, decision: .forward(.none)))
        defer { forwarding.stop() }
        let denied = HTTPResponseMessage(status: 401, headers: [], body: [])
        let denying = try TestProxy(
            authorizer: DelayedAuthorizer(delay: 0.01, decision: .respond(denied, detail: "test.denied")))
        defer { denying.stop() }
        let first = try forwarding.client()
        let second = try denying.client()
        for index in 0..<5 {
            first.send("GET /f\(index) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(first.readResponse()?.status == 200)
            second.send("GET /d\(index) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(second.readResponse()?.status == 401)
        }
        Self.expectSettled(forwarding)
        Self.expectSettled(denying)
        withExtendedLifetime((first, second)) {}
    }

    /// Replies uma-pep makes itself, kept alive (404, 405, a denial) or closing (400, 413, 501).
    @Test func localReplies() throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 16
        let proxy = try TestProxy(limits: limits, authorizer: DenyingAuthorizer())
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /x HTTP/1.1\r\nHost: nowhere.test\r\n\r\n")
        #expect(client.readResponse()?.status == 404)
        client.send("TRACE /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 405)
        client.send("GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 403)
        for (request, status) in [
            ("GET /%zz HTTP/1.1\r\nHost: api.test\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 17\r\n\r\n", 413),
            ("GET /x HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", 501),
        ] {
            let closing = try proxy.client()
            closing.send(request)
            #expect(closing.readResponse()?.status == status, "\(request)")
        }
        Self.expectSettled(proxy)
        withExtendedLifetime(client) {}
    }

    /// A WebSocket tunnel holds its exchange until it closes, then both go.
    @Test func webSocketTunnel() throws {
        let upstream = try ScriptedUpstream { _ in
            Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        do {
            let client = try proxy.client()
            client.send(
                "GET /ws HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            let response = client.readResponse()
            #expect(response?.status == 101)
            client.send("frame bytes")
            Thread.sleep(forTimeInterval: 0.1)
            #expect(Self.live(proxy) == 1, "the open tunnel holds its exchange")
            client.shutdownWrite()
            _ = client.readAll(timeout: 2)
        }
        Self.expectSettled(proxy)
    }

    /// A proxy stopped with an exchange waiting for its upstream's answer.
    @Test func shutdownWithAnExchangeInFlight() throws {
        let upstream = try ScriptedUpstream { _ in [] }  // never answers
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        let client = try proxy.client()
        client.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(Self.live(proxy) == 1)
        proxy.stop()
        Self.expectSettled(proxy)
        withExtendedLifetime(client) {}
    }
}
