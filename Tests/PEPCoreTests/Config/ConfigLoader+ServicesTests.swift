import Testing

@testable import PEPCore

@Suite struct ConfigLoaderServicesTests {
    /// Service options reach the shared `ServicePolicy` and the compiled service.
    @Test func compilesServiceOptions() throws {
        let text = ConfigTestSupport.config(
            serviceExtra: """
                    authorization_server: gluu
                    deny_by_default: false
                    pass_credentials: phantom_token
                    ticket_on_insufficient_scope: true
                    preserve_host: true
                    near_miss: off
                """
        ).replacingOccurrences(of: "http://127.0.0.1:9000", with: "https://backend.internal")
            .replacingOccurrences(
                of: "    hosts: [api.example.com]",
                with: "    hosts: [api.example.com]\n    upstream_tls: {ca_file: /ca.pem}")
        let service = try ConfigTestSupport.load(text).services[0]
        #expect(
            service.policy
                == ServicePolicy(
                    serviceName: "api", authorizationServer: "gluu", denyByDefault: false,
                    passCredentials: .phantomToken, ticketOnInsufficientScope: true))
        #expect(service.preserveHost)
        #expect(service.nearMiss == .off)
        #expect(try ConfigTestSupport.load(ConfigTestSupport.config()).services[0].nearMiss == .protect)
        #expect(service.upstreamTLS == UpstreamTLS(caFile: "/ca.pem", insecureSkipVerify: false))
        #expect(service.authorizationServer == "gluu")
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let label: String
        let find: String
        let replace: String
        let fieldPath: String
        let detail: String
        var testDescription: String { self.label }
    }

    static let invalid: [Invalid] = [
        Invalid(
            label: "unknown authorization server", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    authorization_server: nope",
            fieldPath: "services[0].authorization_server", detail: "config.unknown_authorization_server"),
        Invalid(
            label: "missing name", find: "  - name: api\n", replace: "  -\n",
            fieldPath: "services[0].name", detail: "config.missing_field"),
        Invalid(
            label: "bad name", find: "name: api", replace: "name: \"my api\"",
            fieldPath: "services[0].name", detail: "config.invalid_name"),
        Invalid(
            label: "missing url", find: "    url: http://127.0.0.1:9000\n", replace: "",
            fieldPath: "services[0].url", detail: "config.missing_field"),
        Invalid(
            label: "no hosts", find: "[api.example.com]", replace: "[]",
            fieldPath: "services[0].hosts", detail: "config.missing_field"),
        Invalid(
            label: "bad pass_credentials", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    pass_credentials: drop",
            fieldPath: "services[0].pass_credentials", detail: "config.invalid_value"),
        Invalid(
            label: "bad near_miss", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    near_miss: false",
            fieldPath: "services[0].near_miss", detail: "config.type_mismatch"),
        Invalid(
            label: "unknown near_miss", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    near_miss: fold",
            fieldPath: "services[0].near_miss", detail: "config.invalid_value"),
        Invalid(
            label: "deny_by_default as string", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    deny_by_default: \"false\"",
            fieldPath: "services[0].deny_by_default", detail: "config.type_mismatch"),
        Invalid(
            label: "upstream_tls on http", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    upstream_tls: {insecure_skip_verify: true}",
            fieldPath: "services[0].upstream_tls", detail: "config.field_not_allowed"),
        Invalid(
            label: "Kong field that is not supported", find: "    hosts: [api.example.com]",
            replace: "    hosts: [api.example.com]\n    pushed_claims_lua_exp: x",
            fieldPath: "services[0].pushed_claims_lua_exp", detail: "config.unknown_field"),
        Invalid(
            label: "unknown top-level field", find: "services:\n", replace: "services: []\nunused:\n",
            fieldPath: "unused", detail: "config.unknown_field"),
    ]

    /// Each service-level mistake is reported at its field.
    @Test(arguments: Self.invalid)
    func rejectsInvalidService(_ case_: Invalid) throws {
        let original = ConfigTestSupport.config()
        #expect(original.contains(case_.find))
        let error = try #require(
            ConfigTestSupport.error(original.replacingOccurrences(of: case_.find, with: case_.replace)))
        #expect(error.fieldPath == case_.fieldPath)
        #expect(error.detail == case_.detail)
    }

    /// `services` must be present and non-empty; names are unique.
    @Test func servicesListRules() throws {
        let none = try #require(ConfigTestSupport.error("workers: 1\n"))
        #expect(none.fieldPath == "services")
        #expect(none.detail == "config.missing_field")
        let twice =
            ConfigTestSupport.config() + """

                  - name: api
                    url: http://127.0.0.1:9001
                    hosts: [other.example.com]
                """
        let error = try #require(ConfigTestSupport.error(twice))
        #expect(error.fieldPath == "services[1].name")
        #expect(error.detail == "config.duplicate_service")
    }

    /// With several authorization servers a service must name one; with one it may omit it.
    @Test func authorizationServerReference() throws {
        let two = ConfigTestSupport.config().replacingOccurrences(
            of: "authorization_servers:\n",
            with:
                "authorization_servers:\n"
                + "  other: {mode: uma2, op_url: https://as.example, client_id: c, client_secret: s}\n"
        )
        let error = try #require(ConfigTestSupport.error(two))
        #expect(error.fieldPath == "services[0].authorization_server")
        #expect(error.detail == "config.missing_field")
        #expect(try ConfigTestSupport.load(ConfigTestSupport.config()).services[0].authorizationServer == "gluu")
    }

    /// A Kong service without the UMA plugins: `name`, `url`, `hosts` (and `pass_credentials`, `preserve_host`)
    /// only. It loads as a plain proxied service — with no `authorization_servers` at all, with one, or with
    /// several — while a protected service beside it keeps the only server as its default.
    @Test(arguments: [
        "",
        "authorization_servers:\n  gluu: {mode: uma2, op_url: https://as.example, client_id: c, client_secret: s}\n",
        "authorization_servers:\n  a: {mode: uma2, op_url: https://a.example, client_id: c, client_secret: s}\n"
            + "  b: {mode: uma2, op_url: https://b.example, client_id: c, client_secret: s}\n",
    ])
    func plainServiceLoads(servers: String) throws {
        let text =
            servers + """
                services:
                  - name: site
                    url: http://127.0.0.1:9000
                    hosts: [www.example.com]
                    pass_credentials: hide
                """
        let config = try ConfigTestSupport.load(text)
        let service = config.services[0]
        #expect(service.authorizationServer == nil)
        #expect(service.isPlain)
        #expect(service.policy.passCredentials == .hide)
        #expect(service.protectionDocument.rules.isEmpty)
        #expect(service.rawProtectionDocument == nil)
        let mixed = try ConfigTestSupport.load(
            ConfigTestSupport.config() + "\n  - {name: site, url: http://127.0.0.1:9001, hosts: [www.example.com]}")
        #expect(mixed.services.map(\.authorizationServer) == ["gluu", nil])
    }

    /// A protection document needs an authorization server: with none configured (or several and none named) the
    /// error names `authorization_server` and says why.
    @Test func protectionDocumentWithoutAuthorizationServerIsRefused() throws {
        let text = """
            services:
              - name: api
                url: http://127.0.0.1:9000
                hosts: [api.example.com]
                uma_scope_expression: '[{"path":"/a","conditions":[{"httpMethods":["GET"]}]}]'
            """
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.fieldPath == "services[0].authorization_server")
        #expect(error.detail == "config.missing_field")
        #expect(error.message.contains("uma_scope_expression needs one"))
        #expect(error.message.contains("authorization_servers is empty"))
    }

    /// Fields that only act on a checked request are refused on a plain service, each at its own path.
    @Test(arguments: [
        ("deny_by_default: false", "deny_by_default"),
        ("deny_by_default: true", "deny_by_default"),
        ("ticket_on_insufficient_scope: true", "ticket_on_insufficient_scope"),
        ("custom_headers: [{header_name: x-v, value_lua_exp: '\"1\"'}]", "custom_headers"),
        ("pass_credentials: phantom_token", "pass_credentials"),
    ])
    func plainServiceRefusesTokenCheckFields(line: String, field: String) throws {
        let text = """
            services:
              - name: site
                url: http://127.0.0.1:9000
                hosts: [www.example.com]
                \(line)
            """
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.fieldPath == "services[0].\(field)")
        #expect(error.detail == "config.field_not_allowed")
        #expect(error.message.contains("forwarded without a token check"))
    }

    /// A protected condition with only `httpMethods` loads from the file in both forms (Gluu Gateway's own test
    /// documents), on an oxd server with `register_resources` too.
    @Test func scopeLessConditionLoadsFromTheFile() throws {
        let yaml = ConfigTestSupport.config(
            document: """
                      - path: /status/??
                        conditions:
                          - httpMethods: [GET, POST]
                """)
        let json = ConfigTestSupport.config(
            document: ConfigTestSupport.jsonDocument(
                #"[{"path":"/status/??","conditions":[{"httpMethods":["GET","POST"]}]}]"#))
        for text in [
            yaml, json,
            yaml.replacingOccurrences(
                of: "client_secret: s3cr3t-value", with: "client_secret: x\n    register_resources: true"),
        ] {
            let condition = try ConfigTestSupport.load(text).services[0].protectionDocument.rules[0].conditions[0]
            #expect(condition == RuleCondition(httpMethods: ["GET", "POST"]))
        }
    }
}
