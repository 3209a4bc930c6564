import Foundation
import Testing

extension EndToEnd {
    /// SPEC A8, Part B §2.9, SECURITY.md case 20: any authorization-server failure gives `502` with the reference
    /// body within the configured timeout, is never forwarded and leaves nothing cached. The AS timeout is 500 ms.
    @Suite struct AuthorizationServerFailure {
        static let config = Fixture.config(timeout: "500ms", connectTimeout: "200ms")

        /// Which request meets the fault: no token (only check-access is called) or a token (introspection, then
        /// check-access).
        enum Caller: String, CustomTestStringConvertible, CaseIterable {
            case noToken, withToken
            var testDescription: String { self.rawValue }
        }

        /// A fault on one oxd endpoint for one kind of request.
        struct Case: CustomTestStringConvertible {
            var endpoint: String
            var caller: Caller
            var testDescription: String { "\(self.endpoint) (\(self.caller))" }
        }

        static let cases = [
            Case(endpoint: "/uma-rs-check-access", caller: .noToken),
            Case(endpoint: "/introspect-rpt", caller: .withToken),
            Case(endpoint: "/uma-rs-check-access", caller: .withToken),
        ]

        /// The calls a successful request of `caller` makes on a cold cache.
        static func expectedCalls(_ caller: Caller) -> [String] {
            caller == .noToken ? ["/uma-rs-check-access"] : ["/introspect-rpt", "/uma-rs-check-access"]
        }

        /// oxd down (the dev AS process killed): 502 at once, for both kinds of request; the proxy stays up.
        @Test(arguments: Caller.allCases)
        func oxdDownGives502(caller: Caller) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Self.config)
                let token = caller == .withToken ? try env.devAS.mintToken([Fixture.view]) : nil
                env.devAS.process.kill9()
                let started = Date()
                let response = try env.send("GET", "/photos/1", token: token)
                let elapsed = Date().timeIntervalSince(started)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                #expect(elapsed < 1.5, "took \(elapsed)s")
                let health = try HTTP.request(port: env.pep.adminPort, "GET", "/healthz", host: "127.0.0.1")
                #expect(health.status == 200)
            }
        }

        /// oxd slow (answers after 2 s, the timeout is 500 ms): 502 after about the timeout, never a hang; the
        /// next request asks oxd again (nothing was cached) and succeeds.
        @Test(arguments: Self.cases)
        func oxdSlowGives502WithinTimeout(_ fault: Case) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Self.config)
                let token = fault.caller == .withToken ? try env.devAS.mintToken([Fixture.view]) : nil
                try env.devAS.fault(fault.endpoint, .hang, delayMs: 2000)
                let started = Date()
                let response = try env.send("GET", "/photos/1", token: token)
                let elapsed = Date().timeIntervalSince(started)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                #expect(elapsed >= 0.4 && elapsed < 1.5, "took \(elapsed)s")
                let retry = try env.send("GET", "/photos/1", token: token)
                #expect(retry.status == (fault.caller == .withToken ? 200 : 401))
                // The hung call is logged when it finally answers; wait for it (bounded), then compare counts.
                var expected = Self.expectedCalls(fault.caller)
                expected.append(fault.endpoint)
                #expect(try Self.waitForCalls(env, count: expected.count).sorted() == expected.sorted())
            }
        }

        /// oxd answering garbage (`200` with a truncated JSON body): 502; the next request asks oxd again.
        @Test(arguments: Self.cases)
        func oxdGarbageGives502(_ fault: Case) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Self.config)
                let token = fault.caller == .withToken ? try env.devAS.mintToken([Fixture.view]) : nil
                try env.devAS.fault(fault.endpoint, .garbage)
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                let failedCalls = try env.devAS.calls()
                #expect(failedCalls.last == fault.endpoint)
                let retry = try env.send("GET", "/photos/1", token: token)
                #expect(retry.status == (fault.caller == .withToken ? 200 : 401))
                // A token's introspection succeeded and stays cached when only its check-access failed.
                let retryCalls =
                    fault.caller == .withToken && fault.endpoint == "/uma-rs-check-access"
                    ? ["/uma-rs-check-access"] : Self.expectedCalls(fault.caller)
                #expect(try env.devAS.calls() == failedCalls + retryCalls)
            }
        }

        /// One bad introspection answer (SECURITY.md case 20).
        struct IntrospectionFault: CustomTestStringConvertible {
            var name: String
            var kind: DevASProcess.FaultKind
            var status: Int = 200
            var body: String?
            var testDescription: String { self.name }
        }

        static let introspectionFaults = [
            IntrospectionFault(name: "500", kind: .status, status: 500),
            IntrospectionFault(name: "no answer for 2x the timeout", kind: .hang),
            IntrospectionFault(name: "not json", kind: .body, body: "not json"),
            IntrospectionFault(name: "active as a string", kind: .body, body: #"{"active":"true"}"#),
            IntrospectionFault(
                name: "active without client_id", kind: .body,
                body: #"{"active":true,"iat":1700000000,"permissions":[]}"#),
            IntrospectionFault(name: "truncated", kind: .body, body: #"{"active":true,"exp":17"#),
            IntrospectionFault(name: "truncated (garbage fault)", kind: .garbage),
        ]

        /// SECURITY.md case 20: a valid RPT, a request carrying non-UTF-8 header bytes, and an introspection
        /// answer that is an error, late, not JSON, `{"active":"true"}`, active without `client_id`, or truncated →
        /// 502, never forwarded; after the fault the same request introspects again (nothing cached) and is
        /// forwarded; the authorization-server error metric counts the failure.
        @Test(arguments: Self.introspectionFaults)
        func badIntrospectionFailsClosed(_ fault: IntrospectionFault) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Self.config)
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault(
                    "/introspect-rpt", fault.kind, status: fault.status, delayMs: 1000, body: fault.body)
                let request =
                    Array("GET /photos/1 HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer \(token)\r\nX-Junk: ".utf8)
                    + [0xFF, 0xFE] + Array("\r\nConnection: close\r\n\r\n".utf8)
                let response = try HTTP.raw(port: env.pep.proxyPort, request)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                #expect(EchoedRequest(response) == nil)
                let retry = try HTTP.raw(port: env.pep.proxyPort, request)
                #expect(retry.status == 200)
                #expect(EchoedRequest(retry)?.path == "/_echo/photos/1")
                let calls = try Self.waitForCalls(env, count: 3)
                #expect(calls.sorted() == ["/introspect-rpt", "/introspect-rpt", "/uma-rs-check-access"])
                let metrics = try env.pep.metrics()
                let failures = metrics.samples("uma_pep_as_requests_total").filter {
                    $0.labels["operation"] == "introspection" && $0.labels["outcome"] != "ok"
                }
                #expect(failures.reduce(0) { $0 + $1.value } == 1, "\(failures.map { ($0.labels, $0.value) })")
            }
        }

        /// A check-access failure for a valid RPT (500, then a `{"access":"maybe"}` answer) is a 502 and the
        /// decision is not cached: the next request asks oxd again.
        @Test(arguments: [(500, #"{"error":"internal_error"}"#), (200, #"{"access":"maybe"}"#)])
        func badCheckAccessFailsClosed(status: Int, body: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Self.config)
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault("/uma-rs-check-access", .body, status: status, body: body)
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access", "/uma-rs-check-access"])
            }
        }

        /// The call log after it holds at least `count` entries (bounded wait: a hung call is logged late).
        static func waitForCalls(_ env: E2EEnvironment, count: Int, timeout: Double = 5) throws -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            var calls = try env.devAS.calls()
            while calls.count < count, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                calls = try env.devAS.calls()
            }
            return calls
        }
    }
}

extension EchoedRequest: Equatable {
    static func == (a: EchoedRequest, b: EchoedRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.query == b.query
            && a.headers.map { [$0.0, $0.1] } == b.headers.map { [$0.0, $0.1] }
    }
}
