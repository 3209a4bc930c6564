import Foundation
import Testing

@testable import PEPCore

@Suite struct ConfigLoaderTests {
    /// The tutorial example loads with an empty environment and compiles both services as documented.
    @Test func tutorialLoadsWithEmptyEnvironment() throws {
        let config = try ConfigTestSupport.load(try ConfigTestSupport.fixture("tutorial.yaml"), file: "tutorial.yaml")
        #expect(config.listeners.map(\.address.description) == ["127.0.0.1:8000"])
        #expect(config.admin.listen.description == "127.0.0.1:8001")
        #expect(config.workerCount == 4)
        let server = try #require(config.authorizationServer(named: "dev"))
        #expect(server.mode == .oxd)
        #expect(server.oxdURL == "http://127.0.0.1:8443")
        #expect(server.oxdId == "demo-oxd-id")
        #expect(server.clientId == "demo-client")
        #expect(server.clientSecret.value == "demo-secret")
        #expect(config.services.map(\.name) == ["claim-gathering", "non-claim-gathering", "browser"])
        let browser = try #require(config.service(named: "browser"))
        #expect(
            browser.policy.claims
                == ClaimsGatheringPolicy(
                    obtainRPT: true, redirectClaimGatheringURL: true, claimsRedirectPath: "/uma/claims-callback"))
        #expect(config.claimsGathering.cookieKeys.map(\.id) == ["demo"])
        let claims = try #require(config.service(named: "claim-gathering"))
        #expect(claims.hosts.map(\.description) == ["claim-gathering.example.com"])
        #expect(claims.upstream.description == "http://127.0.0.1:9000")
        #expect(claims.policy.authorizationServer == "dev-claims")
        let condition = try #require(claims.protectionDocument.rules.first?.conditions.first)
        #expect(condition.httpMethods == ["GET", "POST"])
        #expect(condition.scopeExpression == ScopeExpression(rule: .or([.variable(0)]), data: ["claims_read"]))
        let plain = try #require(config.service(named: "non-claim-gathering"))
        #expect(plain.protectionDocument.rules.map(\.path) == ["/posts/??", "/todos", "/public/??"])
        #expect(plain.protectionDocument.rules[2].conditions[0].isPublic)
        #expect(plain.policy.customHeaders.first?.expression == .introspectData(["client_id"]))
    }

    /// The tutorial's secrets come from the environment when it is set.
    @Test func tutorialTakesSecretsFromEnvironment() throws {
        let config = try ConfigTestSupport.load(
            try ConfigTestSupport.fixture("tutorial.yaml"),
            environment: ["OXD_ID": "real-oxd", "CLIENT_ID": "real-client", "CLIENT_SECRET": "real-secret"])
        let server = try #require(config.authorizationServers.first)
        #expect(server.oxdId == "real-oxd")
        #expect(server.clientId == "real-client")
        #expect(server.clientSecret.value == "real-secret")
    }

    /// The minimal example loads once its three variables are set, and names the first missing one otherwise.
    @Test func minimalNeedsItsVariables() throws {
        let text = try ConfigTestSupport.fixture("minimal.yaml")
        let config = try ConfigTestSupport.load(
            text, environment: ["OXD_ID": "o", "CLIENT_ID": "c", "CLIENT_SECRET": "s"])
        #expect(config.services.count == 1)
        #expect(config.services[0].protectionDocument.rules.count == 1)
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.detail == "config.missing_environment_variable")
        #expect(error.fieldPath == "authorization_servers.gluu.oxd_id")
        #expect(error.message.contains("OXD_ID"))
    }

    /// The full example of docs/configuration.md (copied verbatim into Fixtures/config/full-example.yaml) loads
    /// and compiles every section it shows.
    @Test func documentedFullExampleLoads() throws {
        let config = try ConfigTestSupport.load(
            try ConfigTestSupport.fixture("full-example.yaml"),
            environment: ["OXD_ID": "o", "CLIENT_ID": "c", "CLIENT_SECRET": "s", "KEYCLOAK_SECRET": "k"])
        #expect(config.listeners.count == 2)
        #expect(config.listeners[1].tls?.certificatePath == "/etc/uma-pep/tls/cert.pem")
        #expect(config.workerCount == 4)
        #expect(config.limits == ProxyLimits())
        #expect(config.authorizationServers.map(\.name) == ["gluu", "keycloak"])
        #expect(config.authorizationServers[1].mode == .uma2 && config.authorizationServers[1].registerResources)
        #expect(config.consumers.count == 1)
        #expect(config.trustedProxies.map(\.description) == ["10.0.0.0/8"])
        let photos = try #require(config.service(named: "photos"))
        #expect(photos.hosts.map(\.description) == ["photos.example.com", "*.photos.example.com"])
        #expect(photos.policy.passCredentials == .hide)
        #expect(photos.policy.customHeaders.count == 3)
        #expect(
            photos.protectionDocument.rules[1].conditions[0].scopeExpression?.rule
                == .and([.variable(0), .not(.variable(1))]))
        let reports = try #require(config.service(named: "reports"))
        #expect(reports.upstream.basePath == "/v2")
        #expect(reports.upstreamTLS.caFile == "/etc/uma-pep/internal-ca.pem")
        #expect(reports.protectionDocument.rules[0].path == "/reports/{[0-9]{4}}")
        #expect(reports.policy.ticketOnInsufficientScope)
    }

    /// One edit to the tutorial, and the exact error it must give.
    struct BrokenCopy: CustomTestStringConvertible, Sendable {
        let label: String
        let find: String
        let replace: String
        let fieldPath: String
        let detail: String
        var testDescription: String { self.label }
    }

    static let brokenCopies: [BrokenCopy] = [
        BrokenCopy(
            label: "duplicate path", find: "      - path: /todos", replace: "      - path: /posts/??",
            fieldPath: "services[1].uma_scope_expression[1].path", detail: "config.duplicate_path"),
        BrokenCopy(
            label: "lowercase method", find: "httpMethods: [GET, POST]", replace: "httpMethods: [GET, post]",
            fieldPath: "services[0].uma_scope_expression[0].conditions[0].httpMethods[1]",
            detail: "config.invalid_method"),
        BrokenCopy(
            label: "?? as method", find: "httpMethods: [GET, POST]", replace: "httpMethods: [GET, \"??\"]",
            fieldPath: "services[0].uma_scope_expression[0].conditions[0].httpMethods[1]",
            detail: "config.invalid_method"),
        BrokenCopy(
            label: "duplicate method within a condition", find: "httpMethods: [GET, POST]",
            replace: "httpMethods: [GET, POST, GET]",
            fieldPath: "services[0].uma_scope_expression[0].conditions[0].httpMethods[2]",
            detail: "config.duplicate_method"),
        BrokenCopy(
            label: "invalid JSON string",
            find: "    uma_scope_expression:\n      - path: /posts/??\n        conditions:\n"
                + "          - httpMethods: [GET, POST]\n            scope_expression:\n"
                + "              rule: {or: [{var: 0}]}\n              data: [claims_read]\n",
            replace: "    uma_scope_expression: '[{\"path\": \"/posts/??\", \"conditions\": "
                + "[{\"httpMethods\": [\"GET\"], \"scopes\": [\"read\"],}]}]'\n",
            fieldPath: "services[0].uma_scope_expression", detail: "config.invalid_json"),
        BrokenCopy(
            label: "unknown field",
            find: "          - httpMethods: [GET]\n            scopes: [read]\n      - path: /todos",
            replace: "          - httpMethod: [GET]\n            scopes: [read]\n      - path: /todos",
            fieldPath: "services[1].uma_scope_expression[0].conditions[0].httpMethod", detail: "config.unknown_field"),
        BrokenCopy(
            label: "missing secret variable", find: "${CLIENT_SECRET:-demo-secret}", replace: "${CLIENT_SECRET}",
            fieldPath: "authorization_servers.dev.client_secret", detail: "config.missing_environment_variable"),
    ]

    /// Each broken copy of the tutorial fails with exactly the expected field path and detail.
    @Test(arguments: Self.brokenCopies)
    func brokenTutorialCopyGivesPreciseError(_ copy: BrokenCopy) throws {
        let original = try ConfigTestSupport.fixture("tutorial.yaml")
        #expect(original.components(separatedBy: copy.find).count == 2, "the edit must apply exactly once")
        let broken = original.replacingOccurrences(of: copy.find, with: copy.replace)
        let error = try #require(ConfigTestSupport.error(broken))
        #expect(error.fieldPath == copy.fieldPath)
        #expect(error.detail == copy.detail)
        #expect(error.description == "test.yaml: \(copy.fieldPath): \(error.message)")
    }

    /// The missing-variable message names the variable but the error never contains a secret value.
    @Test func missingVariableMessageNamesVariable() throws {
        let text = try ConfigTestSupport.fixture("tutorial.yaml")
            .replacingOccurrences(of: "${CLIENT_SECRET:-demo-secret}", with: "${CLIENT_SECRET}")
        let error = try #require(ConfigTestSupport.error(text, environment: ["CLIENT_ID": "x"]))
        #expect(error.message.contains("CLIENT_SECRET"))
    }

    /// A JSON document is accepted as a configuration file and gives the same result as its YAML form.
    @Test func jsonConfigurationFileLoads() throws {
        let json = """
            {"authorization_servers": {"a": {"mode": "uma2", "op_url": "https://as.example.com/realms/r",
              "client_id": "c", "client_secret": "s"}},
             "services": [{"name": "s", "url": "https://api.internal:8443/base/", "hosts": ["api.example.com"],
              "uma_scope_expression": [{"path": "/x", "conditions": [{"httpMethods": ["GET"], "scopes": ["r"]}]}]}]}
            """
        let config = try ConfigTestSupport.load(json)
        #expect(config.authorizationServers[0].mode == .uma2)
        #expect(config.authorizationServers[0].oxdURL == nil)
        #expect(config.services[0].upstream.basePath == "/base")
        #expect(config.services[0].upstream.port == 8443)
        #expect(config.services[0].policy.authorizationServer == "a")
    }

    /// Broken JSON files report a JSON error rather than a confusing YAML one.
    @Test func brokenJSONFileReportsJSONError() throws {
        let error = try #require(ConfigTestSupport.error("{\"services\": [1,]"))
        #expect(error.detail == "config.invalid_json")
        #expect(error.fieldPath == "")
    }

    /// Defaults apply when optional sections are absent.
    @Test func defaultsApply() throws {
        let config = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(config.listeners.map(\.address.description) == ["0.0.0.0:8000"])
        #expect(config.admin.listen.description == "127.0.0.1:8001")
        #expect(config.limits == ProxyLimits())
        #expect(config.limits.maxHeaderBytes == 16_384)
        #expect(config.limits.headerTimeout == .seconds(10))
        #expect(config.cache == CacheSettings(maxEntries: 100_000, maxTTL: .seconds(300), negativeTTL: .seconds(10)))
        #expect(config.consumerMapping == false)
        #expect(config.trustedProxies.isEmpty)
        #expect(config.trustRequestId == false)
        #expect(config.pathParams == .reject)
        let policy = config.services[0].policy
        #expect(policy.denyByDefault && policy.passCredentials == .pass && !policy.ticketOnInsufficientScope)
        #expect(config.services[0].preserveHost == false)
        #expect(config.authorizationServers[0].connectTimeout == .seconds(1))
        #expect(config.authorizationServers[0].timeout == .seconds(5))
        #expect(config.authorizationServers[0].realm == "rs")
    }

    /// An empty file is an error about the whole document.
    @Test func emptyFileIsRejected() throws {
        let error = try #require(ConfigTestSupport.error("# nothing here\n"))
        #expect(error.detail == "config.empty_document")
        #expect(error.description == "test.yaml: the configuration is empty")
    }

    /// YAML syntax errors give line and column but never echo the line (it could hold a secret).
    @Test func syntaxErrorDoesNotEchoSource() throws {
        let error = try #require(ConfigTestSupport.error("client_secret: \"hunter2\n  - [\n"))
        #expect(error.detail == "config.yaml_syntax")
        #expect(!error.message.contains("hunter2"))
        #expect(error.message.contains("line"))
    }

    /// Duplicate keys are rejected instead of silently keeping one value.
    @Test func duplicateKeysAreRejected() throws {
        let error = try #require(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "workers: 2\nworkers: 3")))
        #expect(error.detail == "config.yaml_syntax")
        #expect(error.message.contains("workers"))
    }
}
