import Foundation
import PEPCore
import Testing

@testable import PEPProxy

/// A kept-alive connection keeps its finished `ProxyExchange` and serves the next request with it (no object is
/// allocated per request). These tests check that the reuse happens, that nothing of the last request leaks into
/// the next one, and that the kept exchange goes with its connection.
@Suite struct ExchangeReuseTests {
    static func field(_ request: HTTPRequestMessage, _ name: String) -> String? {
        request.headers.first { $0.name.lowercased() == name }?.value
    }

    /// Ten kept-alive requests use one exchange object; closing the connection frees it.
    @Test func keptAliveRequestsShareOneExchange() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        var client: RawClient? = try proxy.client()
        for index in 0..<10 {
            client?.send("GET /r\(index) HTTP/1.1\r\nHost: api.test\r\n\r\n")
            #expect(client?.readResponse()?.status == 200)
        }
        #expect(proxy.recorder.requests.map(\.path) == (0..<10).map { "/r\($0)" })
        #if DEBUG
            #expect(proxy.engine.createdExchanges.load(ordering: .relaxed) == 1)
        #endif
        client = nil
        ExchangeLeakTests.expectSettled(proxy)
    }

    /// A request served by a reused exchange carries nothing of the one before: not its query, body framing,
    /// trace context (`traceparent`, `tracestate`), `X-Request-Id` or method.
    @Test func reusedExchangeStartsClean() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        let client = try proxy.client()
        let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        client.send(
            "POST /first?x=1 HTTP/1.1\r\nHost: api.test\r\ntraceparent: \(parent)\r\n"
                + "tracestate: vendor=1\r\nContent-Length: 5\r\n\r\nhello")
        #expect(client.readResponse()?.status == 200)
        client.send("GET /second HTTP/1.1\r\nHost: api.test\r\n\r\n")
        #expect(client.readResponse()?.status == 200)
        client.send("HEAD /third HTTP/1.1\r\nHost: api.test\r\n\r\n")
        let third = client.readResponse(headRequest: true)
        #expect(third?.status == 200)
        #expect(third?.body.isEmpty == true)
        let requests = proxy.recorder.requests
        try #require(requests.count == 3)
        #expect(requests[0].query == "x=1")
        #expect(requests[0].body == Array("hello".utf8))
        #expect(Self.field(requests[0], "traceparent")?.contains("0af7651916cd43dd8448eb211c80319c") == true)
        #expect(Self.field(requests[0], "tracestate") == "vendor=1")
        #expect(requests[1].method == "GET")
        #expect(requests[1].path == "/second")
        #expect(requests[1].query == nil)
        #expect(requests[1].body.isEmpty)
        #expect(Self.field(requests[1], "content-length") == nil)
        #expect(Self.field(requests[1], "tracestate") == nil)
        let secondParent = try #require(Self.field(requests[1], "traceparent"))
        #expect(!secondParent.contains("0af7651916cd43dd8448eb211c80319c"))
        #expect(Self.field(requests[0], "x-request-id") != Self.field(requests[1], "x-request-id"))
        #expect(requests[2].method == "HEAD")
        #if DEBUG
            #expect(proxy.engine.createdExchanges.load(ordering: .relaxed) == 1)
        #endif
    }

    /// Pipelined requests (sent in one write) are each answered in order. A request started while the exchange
    /// before it is still finishing (its methods below on the stack) gets a new object; the next ones reuse the
    /// two, so six requests make two exchanges, not six. Every exchange goes with the connection.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let proxy = try TestProxy()
        defer { proxy.stop() }
        var client: RawClient? = try proxy.client()
        client?.send((0..<6).map { "GET /p\($0) HTTP/1.1\r\nHost: api.test\r\n\r\n" }.joined())
        for index in 0..<6 {
            let response = client?.readResponse()
            #expect(response?.status == 200)
            #expect(response?.bodyText.hasPrefix("GET /p\(index)") == true)
        }
        #if DEBUG
            #expect(proxy.engine.createdExchanges.load(ordering: .relaxed) <= 2)
        #endif
        client = nil
        ExchangeLeakTests.expectSettled(proxy)
    }
}
