import Foundation
import Testing

@testable import UMAClient

@Suite("ControlPlane")
struct ControlPlaneTests {
    /// Fast options so failures show up quickly; bounds stay generous.
    static let options = HTTPCallOptions(connectTimeout: .seconds(2), totalTimeout: .seconds(5))

    /// Starts a control plane, runs `body`, shuts it down.
    static func withControlPlane<T>(_ body: (ControlPlane) async throws -> T) async throws -> T {
        let controlPlane = ControlPlane()
        try controlPlane.start()
        defer { controlPlane.shutdown() }
        return try await body(controlPlane)
    }

    /// A GET returns the scripted status, headers and body, and the server sees the method, target and headers.
    @Test func getRoundTrip() async throws {
        let server = try ScriptedHTTPServer { _ in
            .respond(status: 200, headers: ["X-Reply": "yes"], body: Array("hi".utf8))
        }
        defer { server.stop() }
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(
                    method: "GET", url: server.baseURL + "/a/b?c=d", headers: [HTTPField(name: "X-Test", value: "1")],
                    options: ControlPlaneTests.options))
        }
        guard case .response(let response) = result else {
            Issue.record("expected a response, got \(result)")
            return
        }
        #expect(response.status == 200)
        #expect(response.body == Array("hi".utf8))
        #expect(response.header("x-reply") == "yes")
        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.target == "/a/b?c=d")
        #expect(request.header("X-Test") == "1")
        #expect(request.header("Expect") == nil)
    }

    /// A call queued while a `traceparent` is bound (`OutgoingTrace`) carries it; one queued outside does not, and
    /// a call that set its own keeps it.
    @Test func boundTraceparentIsSent() async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 204, headers: [:], body: []) }
        defer { server.stop() }
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await ControlPlaneTests.withControlPlane { controlPlane in
            let call = HTTPCall(method: "GET", url: server.baseURL + "/t", options: ControlPlaneTests.options)
            await withCheckedContinuation { continuation in
                OutgoingTrace.$traceparent.withValue(traceparent) {
                    controlPlane.submit(call) { _ in continuation.resume() }
                }
            }
            _ = await controlPlane.perform(call)
            var own = call
            own.headers = [HTTPField(name: "Traceparent", value: "own")]
            await withCheckedContinuation { continuation in
                OutgoingTrace.$traceparent.withValue(traceparent) {
                    controlPlane.submit(own) { _ in continuation.resume() }
                }
            }
        }
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests[0].header("traceparent") == traceparent)
        #expect(requests[1].header("traceparent") == nil)
        #expect(requests[2].header("traceparent") == "own")
    }

    /// A POST sends the body with its Content-Length; a 4xx status is still a response.
    @Test func postRoundTrip() async throws {
        let server = try ScriptedHTTPServer { request in .json(404, "{\"echo\":\(request.body.count)}") }
        defer { server.stop() }
        let body = Array(String(repeating: "x", count: 3000).utf8)
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(
                    method: "POST", url: server.baseURL + "/p",
                    headers: [HTTPField(name: "Content-Type", value: "application/json")], body: body,
                    options: ControlPlaneTests.options))
        }
        guard case .response(let response) = result else {
            Issue.record("expected a response, got \(result)")
            return
        }
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"echo\":3000}")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.body == body)
        #expect(request.header("Content-Type") == "application/json")
    }

    /// Fifty calls submitted at once all complete with their own response.
    @Test func fiftyConcurrentCallsComplete() async throws {
        let server = try ScriptedHTTPServer { request in
            .respond(status: 200, headers: [:], body: Array(request.target.utf8))
        }
        defer { server.stop() }
        let bodies = try await ControlPlaneTests.withControlPlane { controlPlane in
            await withTaskGroup(of: String?.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let result = await controlPlane.perform(
                            HTTPCall(
                                method: "GET", url: server.baseURL + "/n/\(index)", options: ControlPlaneTests.options))
                        guard case .response(let response) = result else { return nil }
                        return String(decoding: response.body, as: UTF8.self)
                    }
                }
                var all: [String?] = []
                for await body in group { all.append(body) }
                return all
            }
        }
        #expect(bodies.count == 50)
        #expect(Set(bodies.compactMap { $0 }) == Set((0..<50).map { "/n/\($0)" }))
    }

    /// Sequential calls to one server reuse kept-alive connections.
    @Test func keepAliveReusesConnections() async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 204, headers: [:], body: []) }
        defer { server.stop() }
        try await ControlPlaneTests.withControlPlane { controlPlane in
            for _ in 0..<10 {
                _ = await controlPlane.perform(
                    HTTPCall(method: "GET", url: server.baseURL + "/k", options: ControlPlaneTests.options))
            }
        }
        #expect(server.requests.count == 10)
        #expect(server.connectionCount < 10)
    }

    /// Nothing listening: `.connect` (a refused connection is reported as such, not left to run into `.timeout`).
    @Test func connectionRefusedFailsFast() async throws {
        let port = try ScriptedHTTPServer.unusedPort()
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(method: "GET", url: "http://127.0.0.1:\(port)/", options: ControlPlaneTests.options))
        }
        guard case .failure(.connect) = result else {
            Issue.record("expected .connect, got \(result)")
            return
        }
    }

    /// A server that never answers gives `.timeout` after the configured total timeout, not a hang.
    @Test func silentServerTimesOut() async throws {
        let server = try ScriptedHTTPServer { _ in .hang }
        defer { server.stop() }
        let started = ContinuousClock.now
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(
                    method: "GET", url: server.baseURL + "/slow",
                    options: HTTPCallOptions(connectTimeout: .seconds(1), totalTimeout: .milliseconds(300))))
        }
        #expect(result == .failure(.timeout))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(250))
        // `.timeout` proves the deadline fired (the server never answers); this bound only rules out a hang.
        // Elapsed time includes waiting for a free cooperative thread while blocking suites run in parallel.
        #expect(elapsed < .seconds(30))
    }

    /// A response body over the cap fails with `.responseTooLarge`.
    @Test func oversizedBodyIsRejected() async throws {
        let server = try ScriptedHTTPServer { _ in
            .respond(status: 200, headers: [:], body: Array(repeating: 65, count: 5000))
        }
        defer { server.stop() }
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(
                    method: "GET", url: server.baseURL + "/big",
                    options: HTTPCallOptions(maxResponseBodyBytes: 1000)))
        }
        #expect(result == .failure(.responseTooLarge(limitBytes: 1000)))
    }

    /// A connection closed mid-body is a transport failure, not a short response.
    @Test func truncatedResponseIsTransportFailure() async throws {
        let server = try ScriptedHTTPServer { _ in
            .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"active\":tr".utf8), close: true)
        }
        defer { server.stop() }
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(method: "GET", url: server.baseURL + "/t", options: ControlPlaneTests.options))
        }
        guard case .failure(.transport) = result else {
            Issue.record("expected .transport, got \(result)")
            return
        }
    }

    /// A TLS handshake that fails (the peer speaks plain HTTP) is `.tls`, with verification on by default.
    @Test func tlsFailureIsTyped() async throws {
        let server = try ScriptedHTTPServer(greeting: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)) { _ in .hang }
        defer { server.stop() }
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(method: "GET", url: "https://127.0.0.1:\(server.port)/", options: ControlPlaneTests.options))
        }
        guard case .failure(.tls) = result else {
            Issue.record("expected .tls, got \(result)")
            return
        }
    }

    /// Header values with CR/LF never reach the wire.
    @Test func headerInjectionIsRejected() async throws {
        let result = try await ControlPlaneTests.withControlPlane { controlPlane in
            await controlPlane.perform(
                HTTPCall(
                    method: "GET", url: "http://127.0.0.1:9/",
                    headers: [HTTPField(name: "X-A", value: "a\r\nX-B: b")]))
        }
        guard case .failure(.invalidRequest) = result else {
            Issue.record("expected .invalidRequest, got \(result)")
            return
        }
    }

    /// Shutdown cancels in-flight calls, and later submissions are cancelled at once.
    @Test func shutdownCancelsInFlightCalls() async throws {
        let server = try ScriptedHTTPServer { _ in .hang }
        defer { server.stop() }
        let controlPlane = ControlPlane()
        try controlPlane.start()
        let pending = Task {
            await controlPlane.perform(
                HTTPCall(method: "GET", url: server.baseURL + "/h", options: ControlPlaneTests.options))
        }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        controlPlane.shutdown()
        #expect(await pending.value == .failure(.cancelled))
        #expect(await controlPlane.perform(HTTPCall(method: "GET", url: server.baseURL + "/")) == .failure(.cancelled))
    }

    /// Completions run on the control-plane thread, and `execute` runs there too.
    @Test func completionsRunOnControlPlaneThread() async throws {
        let server = try ScriptedHTTPServer { _ in .respond(status: 200, headers: [:], body: []) }
        defer { server.stop() }
        let (onLoop, executed) = try await ControlPlaneTests.withControlPlane { controlPlane in
            let onLoop = await withCheckedContinuation { continuation in
                controlPlane.submit(HTTPCall(method: "GET", url: server.baseURL + "/")) { _ in
                    continuation.resume(returning: controlPlane.isOnControlPlaneThread)
                }
            }
            let executed = await withCheckedContinuation { continuation in
                controlPlane.execute { continuation.resume(returning: controlPlane.isOnControlPlaneThread) }
            }
            return (onLoop, executed)
        }
        #expect(onLoop)
        #expect(executed)
    }
}
