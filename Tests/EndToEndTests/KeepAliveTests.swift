import Foundation
import Testing

extension EndToEnd {
    /// Requests that wait for the authorization server on a keep-alive connection: responses stay in request
    /// order and nothing of one request leaks into the next.
    @Suite struct KeepAlive {
        /// Three pipelined requests in one write: the first waits 300 ms for its introspection, the second is a
        /// public rule, the third is refused at once. The answers come back in request order.
        @Test func pipelinedRequestsAnswerInOrder() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault("/introspect-rpt", .hang, delayMs: 300)
                let client = try RawClient(port: env.pep.proxyPort)
                client.send(
                    LoadDriver.get("/photos/1?first", host: "api.test", token: token)
                        + LoadDriver.get("/public/second", host: "api.test", token: nil)
                        + LoadDriver.get("/third", host: "api.test", token: nil))
                let first = try #require(client.readResponse())
                let second = try #require(client.readResponse())
                let third = try #require(client.readResponse())
                #expect(EchoedRequest(first)?.query == "first")
                #expect(EchoedRequest(first)?.values("Authorization") == ["Bearer \(token)"])
                #expect(EchoedRequest(second)?.path == "/_echo/public/second")
                #expect(EchoedRequest(second)?.values("Authorization") == [])
                #expect(third.status == 403)
                #expect(third.bodyText == Body.noTokenNoProtectedPath)
            }
        }

        /// A 256 KiB POST body that arrives while its token is being introspected reaches the upstream whole;
        /// the next request on the connection is parsed after it.
        @Test func bodyArrivingDuringIntrospectionIsForwardedWhole() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.add])
                try env.devAS.fault("/introspect-rpt", .hang, delayMs: 200)
                let client = try RawClient(port: env.pep.proxyPort)
                let size = 256 * 1024
                client.send(
                    "POST /photos HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n")
                let chunk = [UInt8](repeating: 0x42, count: 16 * 1024)
                for _ in 0..<(size / chunk.count) { client.send(chunk) }
                client.send(LoadDriver.get("/public/after", host: "api.test", token: nil))
                let posted = try #require(client.readResponse())
                #expect(posted.status == 200)
                #expect(posted.json?["method"] as? String == "POST")
                #expect(posted.json?["body_length"] as? Int == size)
                #expect(EchoedRequest(try #require(client.readResponse()))?.path == "/_echo/public/after")
            }
        }

        /// A granted request, then a token-less one on the same connection: the second is not authorized by the
        /// first one's token.
        @Test func authorizationDoesNotCarryOverOnAConnection() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                let client = try RawClient(port: env.pep.proxyPort)
                client.send(LoadDriver.get("/photos/1", host: "api.test", token: token))
                #expect(client.readResponse()?.status == 200)
                client.send(LoadDriver.get("/photos/1", host: "api.test", token: nil))
                let second = try #require(client.readResponse())
                #expect(second.status == 401)
                #expect(second.header("WWW-Authenticate") != nil)
            }
        }

        /// `uma_pep_downstream_connections` counts the open proxy connections (not the admin scrape): 2 while
        /// two clients keep their connections, back to 0 once they closed.
        @Test func downstreamConnectionGaugeFollowsOpenConnections() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                var clients: [RawClient] = []
                for _ in 0..<2 {
                    let client = try RawClient(port: env.pep.proxyPort)
                    client.send(LoadDriver.get("/public/x", host: "api.test", token: nil))
                    #expect(client.readResponse()?.status == 200)
                    clients.append(client)
                }
                #expect(try env.pep.metrics().value("uma_pep_downstream_connections") == 2)
                clients.removeAll()
                #expect(
                    try eventually(5) {
                        try env.pep.metrics().value("uma_pep_downstream_connections") == 0
                    })
            }
        }
    }
}
