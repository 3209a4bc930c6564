import Foundation
import PEPProxy
import Synchronization
import Testing

@testable import PEPMetrics

@Suite struct AdminResponderTests {
    static func responder(
        ready: Bool = true, checks: [String: String] = ["config": "ok"]
    ) -> (AdminResponder, PEPMetrics) {
        let metrics = PEPMetrics(services: ["photos"])
        return (AdminResponder(metrics: metrics, readiness: { (ready, checks) }), metrics)
    }

    static func header(_ response: HTTPResponseMessage, _ name: String) -> String? {
        response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func body(_ response: HTTPResponseMessage) -> String {
        String(decoding: response.body, as: UTF8.self)
    }

    /// Each route answers with its status; unknown paths are 404 and non-GET on known paths is 405.
    @Test(arguments: [
        ("GET", "/metrics", 200), ("GET", "/gluu-metrics", 200), ("GET", "/healthz", 200), ("GET", "/readyz", 200),
        ("POST", "/metrics", 405), ("HEAD", "/gluu-metrics", 200), ("DELETE", "/healthz", 405),
        ("PUT", "/readyz", 405), ("get", "/metrics", 405),
        ("GET", "/", 404), ("GET", "/metrics/", 404), ("GET", "/_pep/metrics", 404), ("POST", "/cache/flush", 404),
        ("GET", "/config", 404),
    ])
    func routesAnswerWithStatus(method: String, path: String, status: Int) {
        let (responder, _) = Self.responder()
        let response = responder.response(to: HTTPRequestMessage(method: method, path: path))
        #expect(response.status == status)
        if status == 405 {
            #expect(Self.header(response, "Allow") == "GET, HEAD")
            #expect(Self.body(response) == #"{"message":"Method not allowed"}"#)
        }
        if status == 404 {
            #expect(Self.header(response, "Content-Type") == "application/json")
            #expect(Self.body(response) == #"{"message":"Not found"}"#)
        }
    }

    /// `/metrics` and its Gluu alias serve the same exposition with the 0.0.4 content type.
    @Test(arguments: ["/metrics", "/gluu-metrics"])
    func metricsServesExposition(path: String) throws {
        let (responder, metrics) = Self.responder()
        metrics.recordTicket(service: MetricsServiceID(index: 0))
        let response = responder.response(to: HTTPRequestMessage(method: "GET", path: path, query: "x=1"))
        #expect(Self.header(response, "Content-Type") == "text/plain; version=0.0.4")
        let parsed = try Exposition(Self.body(response))
        #expect(parsed.value("gluu_uma_ticket", [("service", "photos")]) == "1")
    }

    /// `/healthz` is a fixed JSON body.
    @Test func healthzIsOK() {
        let (responder, _) = Self.responder(ready: false)
        let response = responder.response(to: HTTPRequestMessage(method: "GET", path: "/healthz"))
        #expect(response.status == 200)
        #expect(Self.body(response) == #"{"status":"ok"}"#)
        #expect(Self.header(response, "Content-Type") == "application/json")
    }

    /// Not ready gives 503 with every check listed, keys sorted, values escaped.
    @Test func readyzNotReadyListsChecks() throws {
        let checks = ["protection_token": "missing", "config": "ok", "authorization_server": "unreachable \"x\""]
        let (responder, _) = Self.responder(ready: false, checks: checks)
        let response = responder.response(to: HTTPRequestMessage(method: "GET", path: "/readyz"))
        #expect(response.status == 503)
        #expect(
            Self.body(response)
                == #"{"status":"not_ready","checks":{"authorization_server":"unreachable \"x\"","config":"ok","#
                + #""protection_token":"missing"}}"#)
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(object?["checks"] as? [String: String] == checks)
    }

    /// Ready gives 200; the probe is evaluated on every request.
    @Test func readyzFollowsProbe() {
        let state = Mutex(false)
        let responder = AdminResponder(metrics: PEPMetrics(services: []), readiness: { (state.withLock { $0 }, [:]) })
        let request = HTTPRequestMessage(method: "GET", path: "/readyz")
        #expect(responder.response(to: request).status == 503)
        state.withLock { $0 = true }
        let response = responder.response(to: request)
        #expect(response.status == 200)
        #expect(Self.body(response) == #"{"status":"ready","checks":{}}"#)
    }

    /// The protocol entry point completes synchronously with the same response.
    @Test func respondCompletesSynchronously() {
        let (responder, _) = Self.responder()
        let seen = Mutex<Int?>(nil)
        responder.respond(to: HTTPRequestMessage(method: "GET", path: "/healthz")) { response in
            seen.withLock { $0 = response.status }
        }
        #expect(seen.withLock { $0 } == 200)
    }

    /// Control characters are escaped as `\u00XX` in JSON strings.
    @Test func jsonStringEscapesControlCharacters() {
        #expect(AdminResponder.jsonString("a\u{01}b\nc\\") == #""a\u0001b\nc\\""#)
    }
}
