import Foundation
import PEPCore
import Testing

@testable import PEPProxy

/// Forwarding options: Host, request ids, trusted proxies, Via, connection caps and graceful drain.
@Suite(.serialized) struct ProxyOptionsTests {
    /// `preserve_host` sends the client's Host upstream instead of the upstream's.
    @Test func preserveHostKeepsClientHost() throws {
        let proxy = try TestProxy(preserveHost: true)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET / HTTP/1.1\r\nHost: api.test\r\n\r\n")
        _ = try #require(client.readResponse())
        #expect(proxy.recorder.requests.first?.header("host") == "api.test")
    }

    /// A client X-Request-Id is replaced unless `trust_request_id` is on and the id is well-formed.
    @Test(arguments: [(false, "abc-123", false), (true, "abc-123", true), (true, "bad id!", false)])
    func requestIdTrust(trust: Bool, sent: String, kept: Bool) throws {
        var options = ProxyOptions()
        options.trustRequestId = trust
        let proxy = try TestProxy(options: options)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET / HTTP/1.1\r\nHost: api.test\r\nX-Request-Id: \(sent)\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first?.header("x-request-id"))
        #expect((seen == sent) == kept)
        #expect(proxy.recorder.requests.first?.headers.filter { $0.name.lowercased() == "x-request-id" }.count == 1)
    }

    /// From a trusted proxy, X-Forwarded-For is appended to and X-Forwarded-Proto/Host are kept.
    @Test func trustedProxyChainIsKept() throws {
        var options = ProxyOptions()
        options.trustedProxies = [try #require(CIDRRange("127.0.0.0/8"))]
        let proxy = try TestProxy(options: options)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send(
            "GET / HTTP/1.1\r\nHost: api.test\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: public.example\r\n\r\n")
        _ = try #require(client.readResponse())
        let seen = try #require(proxy.recorder.requests.first)
        #expect(seen.header("x-forwarded-for") == "203.0.113.7, 127.0.0.1")
        #expect(seen.header("x-forwarded-proto") == "https")
        #expect(seen.header("x-forwarded-host") == "public.example")
        #expect(seen.header("via") == "1.1 uma-pep")
    }

    /// Methods beyond libevent's five are proxied (RFC 9110 tokens).
    @Test(arguments: ["PATCH", "OPTIONS", "PROPFIND", "DELETE"])
    func anyTokenMethodIsProxied(method: String) throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("\(method) /m HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        #expect(proxy.recorder.requests.first?.method == method)
    }

    /// At `max_connections_per_worker`, new connections wait (accepting pauses) until one closes.
    @Test func connectionCapPausesAccepting() throws {
        var limits = ServerLimits()
        limits.maxConnectionsPerWorker = 2
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let a = try proxy.client()
        let b = try proxy.client()
        a.send("GET /a HTTP/1.1\r\nHost: api.test\r\n\r\n")
        b.send("GET /b HTTP/1.1\r\nHost: api.test\r\n\r\n")
        _ = try #require(a.readResponse())
        _ = try #require(b.readResponse())
        let c = try proxy.client()  // the kernel completes the handshake; uma-pep does not accept yet
        c.send("GET /c HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(c.readResponse(timeout: 0.5) == nil)
        a.shutdownWrite()
        _ = a.readAll(timeout: 2)
        let late = try #require(c.readResponse(timeout: 3))
        #expect(late.status == 200)
    }

    /// At `max_connections_per_ip` (SECURITY 32), a further connection from the same address is closed at once,
    /// across workers, without a response; closing one of them frees a slot.
    @Test func perAddressCapClosesExtraConnections() throws {
        var limits = ServerLimits()
        limits.maxConnectionsPerIP = 2
        let proxy = try TestProxy(limits: limits, workers: 2)
        defer { proxy.stop() }
        let a = try proxy.client()
        let b = try proxy.client()
        for (client, path) in [(a, "/a"), (b, "/b")] {
            client.send("GET \(path) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(client.readResponse()?.status == 200)
        }
        let refused = try proxy.client()
        #expect(refused.isClosedByPeer(timeout: 3))
        #expect(proxy.recorder.requests.count == 2)
        a.shutdownWrite()
        _ = a.readAll(timeout: 2)
        var admitted: RawResponse?
        for _ in 0..<50 where admitted == nil {
            // The slot is released when uma-pep has closed `a`; retry briefly until it has.
            let c = try proxy.client()
            c.send("GET /c HTTP/1.1\r\nHost: api.test\r\n\r\n")
            admitted = c.readResponse(timeout: 1)
            if admitted == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(admitted?.status == 200)
        // `b` is still open and served: the cap never touches admitted connections.
        b.send("GET /b2 HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(b.readResponse()?.status == 200)
    }

    /// Graceful shutdown: an in-flight request completes, then the server stops; idle connections close.
    @Test func gracefulDrainFinishesInFlight() throws {
        let upstream = try ScriptedUpstream { _ in
            Thread.sleep(forTimeInterval: 0.3)
            return Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow".utf8)
        }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        let idle = try proxy.client()
        let busy = try proxy.client()
        busy.send("GET /slow HTTP/1.1\r\nHost: api.test\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)
        let stopper = Thread { proxy.proxyServer.shutdown(graceful: true) }
        stopper.start()
        let response = try #require(busy.readResponse(timeout: 3))
        #expect(response.bodyText == "slow")
        #expect(response.header("connection") == "close")
        #expect(idle.isClosedByPeer(timeout: 3))
        proxy.upstreamServer.shutdown(graceful: false)
    }
}
