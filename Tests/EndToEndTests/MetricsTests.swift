import Foundation
import Testing

extension EndToEnd {
    /// SPEC A10, Part B §7: after a scripted sequence of requests, `GET /metrics` on the admin listener has
    /// exactly the expected `gluu_*` counter values (and `/gluu-metrics` is the same exposition).
    @Suite struct Metrics {
        /// The script: 2 tickets (no token; an RPT without the permission — check-access denied with a ticket),
        /// 3 authentications (a fresh grant, the same RPT cached, the unpermitted RPT), 2 grants, one 403 on an
        /// unmatched path, one public request, one request on the other service; an unrouted Host is not counted.
        @Test func gluuCountersAfterAScriptedSequence() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let view = try env.devAS.mintToken([Fixture.view, Fixture.read])
                let admin = try env.devAS.mintToken([Fixture.admin], clientId: "demo-claims-client")
                let script: [(method: String, path: String, host: String, token: String?, status: Int)] = [
                    ("GET", "/photos/1", "api.test", nil, 401),
                    ("GET", "/photos/1", "api.test", view, 200),
                    ("GET", "/photos/2", "api.test", view, 200),
                    ("GET", "/photos/1", "api.test", admin, 403),
                    ("POST", "/nowhere", "api.test", nil, 403),
                    ("GET", "/public/x", "api.test", nil, 200),
                    ("GET", "/docs/1", "open.test", view, 200),
                ]
                // A Host no service routes is answered by uma-pep and not counted (Part B §7).
                let unrouted = try env.send("GET", "/photos/1", host: "unknown.test")
                #expect(unrouted.status == 404)
                #expect(EchoedRequest(unrouted) == nil)
                for step in script {
                    let response = try env.send(step.method, step.path, host: step.host, token: step.token)
                    #expect(response.status == step.status, "\(step.method) \(step.path)")
                }
                let expected = [
                    "gluu_endpoint_method{endpoint=/docs/??,method=GET,service=open} 1",
                    "gluu_endpoint_method{endpoint=/photos/??,method=GET,service=api} 4",
                    "gluu_endpoint_method{endpoint=/public/??,method=GET,service=api} 1",
                    "gluu_endpoint_method{endpoint=unmatched,method=POST,service=api} 1",
                    "gluu_total_client_authenticated{} 4",
                    "gluu_total_client_granted{} 3",
                    "gluu_uma_client_authenticated{consumer=demo-claims-client,service=api} 1",
                    "gluu_uma_client_authenticated{consumer=demo-client,service=api} 2",
                    "gluu_uma_client_authenticated{consumer=demo-client,service=open} 1",
                    "gluu_uma_client_granted{consumer=openid_connect_authentication,service=api} 2",
                    "gluu_uma_client_granted{consumer=openid_connect_authentication,service=open} 1",
                    "gluu_uma_ticket{service=api} 2",
                ]
                // An exchange is counted in its log phase, after its last byte went to the client: the scrape may
                // come first, so it is repeated until every request is counted (a miscount never settles).
                var metrics = try env.pep.metrics()
                _ = try eventually(5) {
                    metrics = try env.pep.metrics()
                    return Self.nonZeroGluu(metrics) == expected
                }
                #expect(Self.nonZeroGluu(metrics) == expected)
                #expect(metrics.samples("gluu_nginx_metric_errors_total").map(\.value) == [0])
                // Six requests forwarded or answered by the PEP on `api`, by decision; the AS calls by operation.
                #expect(metrics.value("uma_pep_requests_total", ["service": "api", "decision": "granted"]) == 2)
                #expect(metrics.value("uma_pep_requests_total", ["service": "api", "decision": "ticket"]) == 1)
                let introspections = ["operation": "introspection", "outcome": "ok"]
                #expect(metrics.value("uma_pep_as_requests_total", introspections) == 2)
                #expect(
                    metrics.value("uma_pep_as_requests_total", ["operation": "check_access", "outcome": "ok"]) == 4)
                // The Gluu Gateway path serves the same series.
                let alias = try HTTP.request(port: env.pep.adminPort, "GET", "/gluu-metrics", host: "127.0.0.1")
                #expect(alias.status == 200)
                #expect(Self.nonZeroGluu(MetricsSnapshot(text: alias.bodyText)) == expected)
            }
        }

        /// `name{label=value,…} count` for every non-zero `gluu_*` sample, sorted.
        static func nonZeroGluu(_ metrics: MetricsSnapshot) -> [String] {
            metrics.samples.filter { $0.name.hasPrefix("gluu_") && $0.value != 0 }.map { sample in
                let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                return "\(sample.name){\(labels.joined(separator: ","))} \(Int(sample.value))"
            }.sorted()
        }
    }
}
