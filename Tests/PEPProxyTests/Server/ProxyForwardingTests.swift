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
