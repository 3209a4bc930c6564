import Foundation
import Testing

@testable import PEPProxy

@Suite(.serialized) struct ProxyForwardingTests {
    /// A plain GET is forwarded with the canonical path, upstream Host, X-Forwarded-* and a request id.
    @Test func forwardsGetWithForwardingHeaders() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /a//b/./c?x=1 HTTP/1.1\r\nHost: api.test\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        let seen = try #require(proxy.recorder.requests.first)
        #expect(seen.path == "/a/b/c")
        #expect(seen.query == "x=1")
        #expect(seen.header("host") == "backend.internal")
        #expect(seen.header("x-forwarded-for") == "127.0.0.1")
        #expect(seen.header("x-forwarded-host") == "api.test")
        #expect(seen.header("x-request-id") != nil)
    }

    /// Keep-alive on both sides: three requests on one client connection use one upstream connection.
    @Test func reusesConnectionsBothSides() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        for i in 0..<3 {
            client.send("GET /r\(i) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            let response = try #require(client.readResponse())
            #expect(response.status == 200)
        }
        #expect(proxy.recorder.requests.map(\.path) == ["/r0", "/r1", "/r2"])
    }

    /// A pooled upstream connection is closed after `upstream_idle_timeout` without use, and only then: reuse
    /// restarts its idle time (the timer is not re-armed per request, so this checks the re-arming on expiry).
    @Test func idleUpstreamConnectionsExpireAfterTheirOwnIdleTime() throws {
        var limits = ServerLimits()
        limits.upstreamIdleTimeout = .milliseconds(400)
        let proxy = try TestProxy(limits: limits)
        defer { proxy.stop() }
        let client = try proxy.client()
        func get(_ path: String) throws {
            client.send("GET \(path) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(try #require(client.readResponse()).status == 200)
        }
        try get("/a")
        Thread.sleep(forTimeInterval: 0.25)
        try get("/b")  // reused: idle 250 ms
        Thread.sleep(forTimeInterval: 0.25)
        try get("/c")  // 500 ms after the first request, 250 ms idle: still reused
        Thread.sleep(forTimeInterval: 0.8)
        try get("/d")  // idle 800 ms: evicted, a new connection
        let peers = proxy.recorder.requests.map(\.remoteAddress)
        #expect(peers.count == 4)
        #expect(peers[0] == peers[1] && peers[1] == peers[2], "\(peers)")
        #expect(peers[3] != peers[2], "\(peers)")
    }

    /// An unknown Host gets Kong's 404 JSON and nothing reaches the upstream.
    @Test func unknownHostIs404() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n")
        let response = try #require(client.readResponse())
        #expect(response.status == 404)
        #expect(response.bodyText == #"{"message":"no Route matched with those values"}"#)
        #expect(proxy.recorder.requests.isEmpty)
    }
}
