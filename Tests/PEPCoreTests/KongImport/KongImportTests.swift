import Foundation
import Testing

@testable import PEPCore

/// Helpers: run the importer, load what it wrote with the real loader, look at notes by path.
enum KongImportSupport {
    static func fixture(_ name: String) throws -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        let url = try #require(
            Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures/kong"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func convert(_ text: String, registerResources: Bool = false) throws(KongImportError) -> KongImport.Result {
        try KongImport.convert(
            declarativeText: text,
            options: KongImport.Options(source: "kong.yaml", registerResources: registerResources))
    }

    /// The written configuration, loaded as `serve` would with every secret variable set.
    static func load(_ result: KongImport.Result) throws -> PEPConfiguration {
        var environment: [String: String] = [:]
        for name in result.secretVariables { environment[name] = "secret-from-env" }
        return try ConfigLoader.load(text: result.yaml, fileName: "out.yaml", environment: environment, coreCount: 2)
    }

    /// `severity path` of every note.
    static func notePaths(_ result: KongImport.Result) -> [String] {
        result.notes.map { "\($0.severity.rawValue) \($0.path)" }
    }

    /// The registration block shared by the inline cases (`oxd_id` varies).
    static func registration(oxdId: String = "oxd-1", indent: Int = 6) -> String {
        let pad = String(repeating: " ", count: indent)
        return """
            \(pad)oxd_url: https://gg.example.com:8443
            \(pad)op_url: https://idp.example.com
            \(pad)oxd_id: \(oxdId)
            \(pad)client_id: client-\(oxdId)
            \(pad)client_secret: very-secret-\(oxdId)
            """
    }

    static let document = #"'[{"path":"/api/??","conditions":[{"httpMethods":["GET"],"scopes":["read"]}]}]'"#
}

@Suite struct KongImportFixtureTests {
    /// The decK 1.1 export of the Gluu Gateway photo API: both UMA plugins on one oxd registration shared with a
    /// second service (route-level pep), a plain service, a gluu-oauth-pep service, an unknown plugin.
    @Test func deckFormat11() throws {
        let result = try KongImportSupport.convert(try KongImportSupport.fixture("gluu-gateway-deck-1.1.yaml"))
        let config = try KongImportSupport.load(result)
        #expect(config.services.map(\.name) == ["photos", "albums", "status"])
        #expect(config.authorizationServers.map(\.name) == ["photos"])
        let server = config.authorizationServers[0]
        #expect(server.oxdId == "5b7d9e3a-0b6c-4a3e-9d41-5f0c2f7a1e22")
        #expect(server.oxdURL == "https://gg.example.com:8443")
        #expect(server.opURL == "https://idp.example.com")
        #expect(server.clientSecret == ConfigSecret("secret-from-env"))
        #expect(!server.registerResources)
        #expect(result.secretVariables == ["PHOTOS_CLIENT_SECRET"])
        let photos = config.services[0]
        #expect(photos.authorizationServer == "photos")
        #expect(photos.upstream == Upstream("http://photos.internal:9000/api"))
        #expect(photos.hosts.map(\.description) == ["photos.example.com", "photos.example.org"])
        #expect(photos.policy.passCredentials == .phantomToken)
        #expect(photos.policy.denyByDefault)
        #expect(
            photos.policy.customHeaders.map(\.headerName) == [
                "x-consumer-id", "x-oauth-client-id", "x-rpt-expiration", "x-api-version",
            ])
        #expect(
            photos.protectionDocument.rules.map(\.path) == ["/photos/??", "/photos/{[0-9]+}/comments", "/admin/??"])
        #expect(result.yaml.contains(#"uma_scope_expression: '[{"path":"/photos/??""#))
        let albums = config.services[1]
        #expect(albums.authorizationServer == "photos")
        #expect(!albums.policy.denyByDefault)
        #expect(albums.policy.passCredentials == .hide)
        #expect(config.services[2].isPlain)
        #expect(
            config.consumers == [
                Consumer(
                    id: "7c2a5e0d-1b3f-4c6a-8e9d-0a1b2c3d4e5f",
                    customId: "@!1736.179E.AA60.16B2!0001!8F7C.B9AB!0008!5C1E.7A20.1D3B.9F11", username: "photo-app")
            ])
        #expect(config.consumerMapping)
        #expect(config.limits.upstreamConnectTimeout == .seconds(60))
        #expect(
            KongImportSupport.notePaths(result) == [
                "dropped consumers[0].keyauth_credentials",
                "dropped services[0].plugins[2]",
                "dropped services[0].write_timeout",
                "dropped services[0].retries",
                "changed services[0].plugins[0].config.anonymous",
                "dropped services[0].plugins[0].config.custom_headers[4]",
                "changed services[2].routes[0].paths",
                "changed services[2].routes[0].strip_path",
                "changed services[2].routes[0].methods",
                "dropped services[3].plugins[0]",
                "dropped services[3].plugins[1]",
                "skipped services[3]",
                "dropped consumers[2]",
            ])
        for secret in [
            "2f8b6c1e-4a5d-4e2b-9c7f-1d3e5a7b9c0d", "3a9c7d2f-5b6e-4f3c-8d8a-2e4f6b8c0d1e", "s3cr3t-key-value",
        ] {
            #expect(!result.yaml.contains(secret))
            #expect(!result.notes.contains { $0.message.contains(secret) })
        }
    }

    /// The `kong config db_export` JSON of Kong 3.x: flat entities with foreign keys, global UMA plugins, a route
    /// plugin that splits a service, a disabled plugin, a Kong upstream, a tcp service, a consumer plugin.
    @Test func dbExportFormat30() throws {
        let result = try KongImportSupport.convert(try KongImportSupport.fixture("gluu-gateway-db-export-3.0.json"))
        let config = try KongImportSupport.load(result)
        #expect(config.services.map(\.name) == ["orders-public", "orders-admin", "invoices"])
        #expect(config.authorizationServers.map(\.name) == ["orders"])
        #expect(Set(config.services.map(\.authorizationServer)) == ["orders"])
        #expect(config.services[0].upstream == Upstream("http://10.0.0.11:8080"))
        #expect(config.services[0].protectionDocument.rules.map(\.path) == ["/orders/??", "/invoices/??"])
        #expect(config.services[1].protectionDocument.rules.map(\.path) == ["/admin/??"])
        #expect(config.services[1].preserveHost)
        // `obtain_rpt` is converted (issue 13); without redirect_claim_gathering_url, need_info is a 403.
        #expect(config.services[1].policy.claims == ClaimsGatheringPolicy(obtainRPT: true))
        #expect(config.services[0].policy.claims == .off)
        // The disabled service-level pep does not hide the global one.
        #expect(config.services[2].protectionDocument.rules.map(\.path) == ["/orders/??", "/invoices/??"])
        #expect(config.services[2].hosts.map(\.description) == ["invoices.example.com"])
        #expect(config.services[2].upstream == Upstream("http://invoices.internal:9200/v2"))
        #expect(!config.consumerMapping)
        #expect(config.limits.upstreamConnectTimeout == .seconds(60))
        #expect(config.limits.upstreamReadTimeout == .seconds(60))
        let paths = KongImportSupport.notePaths(result)
        for expected in [
            "dropped plugins[3]", "dropped plugins[5]", "changed services[0].host", "changed routes[1].protocols",
            "changed services[0]", "dropped plugins[2].config.claims_gathering_pct_value", "changed routes[2].paths",
            "dropped routes[2].headers", "skipped routes[3]", "dropped plugins[4]", "dropped routes[2].hosts[1]",
            "skipped services[2].protocol", "changed services[0].connect_timeout", "changed services[0].read_timeout",
        ] {
            #expect(paths.contains(expected), "\(expected) missing from \(paths)")
        }
        #expect(paths.count == Set(paths).count, "a note repeated: \(paths)")
        #expect(!result.yaml.contains("4b0d8e3f-6c7a-4a5d-9e9b-3f5a7c9d1e2f"))
        #expect(!result.notes.contains { $0.message.contains("pct-secret-value") })
    }

    /// The same Kong entities read from the Admin API (relations as `{"id": …}`, pages concatenated) convert like
    /// the declarative file.
    @Test func adminAPIMatchesDeclarative() throws {
        let text = try KongImportSupport.fixture("gluu-gateway-db-export-3.0.json")
        let root = try JSONCodec.parse(text)
        func asAdmin(_ key: String) -> [JSONValue] {
            (root[key]?.arrayValue ?? []).map { item in
                guard var members = item.objectValue else { return item }
                for relation in ["service", "route", "consumer", "upstream"] {
                    if let id = members[relation]?.stringValue { members[relation] = .object(["id": .string(id)]) }
                }
                return .object(members)
            }
        }
        var notes: [KongImportNote] = []
        let document = KongDocument.adminAPI(
            services: asAdmin("services"), routes: asAdmin("routes"), plugins: asAdmin("plugins"),
            consumers: asAdmin("consumers"), upstreams: asAdmin("upstreams"), targets: asAdmin("targets"),
            notes: &notes)
        let admin = try KongImport.convert(document, notes: notes, options: KongImport.Options(source: "admin"))
        let declarative = try KongImportSupport.convert(text)
        #expect(try KongImportSupport.load(admin).services == KongImportSupport.load(declarative).services)
        #expect(KongImportSupport.notePaths(admin) == KongImportSupport.notePaths(declarative))
    }
}

@Suite struct KongImportCaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var kong: String
        /// Written services (name: authorization server or "plain").
        var services: [String]
        /// Notes expected (`severity path`), in order; `nil` = not checked.
        var notes: [String]?
        var testDescription: String { self.label }
    }

    static let reg = KongImportSupport.registration()
    static let doc = KongImportSupport.document

    static let cases: [Case] = [
        Case(
            label: "2.1, global UMA plugins protect every service; several services share one registration",
            kong: """
                _format_version: "2.1"
                services:
                - {name: a, url: "http://a.internal", routes: [{hosts: [a.example.com]}]}
                - {name: b, url: "http://b.internal", routes: [{hosts: [b.example.com]}]}
                plugins:
                - name: gluu-uma-auth
                  config:
                \(reg)
                - name: gluu-uma-pep
                  config:
                \(reg)
                      uma_scope_expression: \(doc)
                """,
            services: ["a: a", "b: a"], notes: []),
        Case(
            label: "key-auth only: not converted (it would be open)",
            kong: """
                _format_version: "3.0"
                services:
                - {name: open, url: "http://o.internal", routes: [{hosts: [o.example.com]}]}
                - name: keyed
                  url: http://k.internal
                  routes: [{hosts: [k.example.com]}]
                  plugins: [{name: key-auth, config: {key_names: [apikey]}}]
                """,
            services: ["open: plain"], notes: ["dropped services[1].plugins[0]", "skipped services[1]"]),
        Case(
            label: "unknown plugin on a plain service: dropped, service kept",
            kong: """
                _format_version: "1.1"
                services:
                - name: web
                  url: http://w.internal
                  routes: [{hosts: [w.example.com]}]
                  plugins: [{name: cors, config: {origins: ["*"]}}]
                """,
            services: ["web: plain"], notes: ["dropped services[0].plugins[0]"]),
        Case(
            label: "invalid uma_scope_expression: the service is left out, never opened",
            kong: """
                _format_version: "1.1"
                services:
                - name: bad
                  url: http://b.internal
                  routes: [{hosts: [b.example.com]}]
                  plugins:
                  - name: gluu-uma-pep
                    config:
                \(reg)
                      uma_scope_expression: '[{"path":"/x","conditions":[{"httpMethods":["GET"],}]}]'
                - {name: ok, url: "http://o.internal", routes: [{hosts: [o.example.com]}]}
                """,
            services: ["ok: plain"],
            notes: [
                "skipped services[0].plugins[0].config.uma_scope_expression", "skipped services[0]",
            ]),
        Case(
            label: "same host on two services (Kong split them by path): the second loses it",
            kong: """
                _format_version: "3.0"
                services:
                - {name: one, url: "http://1.internal", routes: [{hosts: [api.example.com], paths: [/one]}]}
                - {name: two, url: "http://2.internal", routes: [{hosts: [api.example.com, two.example.com], paths: [/two]}]}
                """,
            services: ["one: plain", "two: plain"],
            notes: [
                "changed services[0].routes[0].paths", "changed services[0].routes[0].strip_path",
                "changed services[1].routes[0].paths", "changed services[1].routes[0].strip_path",
                "dropped services[1].routes[0].hosts[0]",
            ]),
        Case(
            label: "gluu-uma-auth without gluu-uma-pep: refused until rules exist",
            kong: """
                _format_version: "1.1"
                services:
                - name: authonly
                  url: http://a.internal
                  routes: [{hosts: [a.example.com]}]
                  plugins:
                  - name: gluu-uma-auth
                    config:
                \(reg)
                """,
            services: ["authonly: authonly"], notes: ["changed services[0].plugins[0]"]),
        Case(
            label: "auth and pep on different registrations: the pep plugin's wins",
            kong: """
                _format_version: "1.1"
                services:
                - name: two-regs
                  url: http://a.internal
                  routes: [{hosts: [a.example.com]}]
                  plugins:
                  - name: gluu-uma-auth
                    config:
                \(KongImportSupport.registration(oxdId: "auth-reg"))
                  - name: gluu-uma-pep
                    config:
                \(KongImportSupport.registration(oxdId: "pep-reg"))
                      uma_scope_expression: \(doc)
                """,
            services: ["two-regs: two-regs"], notes: ["changed services[0].plugins[1].config.oxd_id"]),
        Case(
            label: "a route plugin on one of two routes splits the service",
            kong: """
                _format_version: "3.0"
                services:
                - name: svc
                  url: http://s.internal
                  routes:
                  - {name: pub, hosts: [pub.example.com]}
                  - name: priv
                    hosts: [priv.example.com]
                    plugins:
                    - name: gluu-uma-pep
                      config:
                \(KongImportSupport.registration(indent: 10))
                          uma_scope_expression: \(doc)
                """,
            services: ["svc-pub: plain", "svc-priv: svc"], notes: nil),
        Case(
            label: "consumer-scoped and disabled plugins are not converted",
            kong: """
                _format_version: "3.0"
                services:
                - name: s
                  url: http://s.internal
                  routes: [{hosts: [s.example.com]}]
                  plugins: [{name: gluu-uma-pep, enabled: false, config: {}}]
                consumers:
                - username: app
                  custom_id: client-app
                  plugins: [{name: rate-limiting, config: {minute: 1}}]
                """,
            services: ["s: plain"],
            notes: ["dropped services[0].plugins[0]", "dropped consumers[0].plugins[0]", "changed consumers[0]"]),
        Case(
            label: "a route without hosts, a service without routes",
            kong: """
                _format_version: "2.1"
                services:
                - {name: pathonly, url: "http://p.internal", routes: [{paths: [/p]}]}
                - {name: noroute, url: "http://n.internal"}
                - {name: ok, url: "http://o.internal", routes: [{hosts: ["*.example.com"]}]}
                """,
            services: ["ok: plain"], notes: ["skipped services[0].routes[0]", "skipped services[1]"]),
        Case(
            label: "https upstream: certificate verification is noted",
            kong: """
                _format_version: "2.1"
                services:
                - {name: tls, protocol: https, host: tls.internal, port: 8443, routes: [{hosts: [tls.example.com]}]}
                """,
            services: ["tls: plain"], notes: ["changed services[0].protocol"]),
    ]

    @Test(arguments: cases) func converts(_ c: Case) throws {
        let result = try KongImportSupport.convert(c.kong)
        let config = try KongImportSupport.load(result)
        #expect(config.services.map { "\($0.name): \($0.authorizationServer ?? "plain")" } == c.services)
        if let notes = c.notes { #expect(KongImportSupport.notePaths(result) == notes) }
        #expect(!result.yaml.contains("very-secret"))
        #expect(!result.notes.contains { $0.message.contains("very-secret") })
    }

    /// A service URL uma-pep cannot use is skipped with the reason, its password and query never echoed.
    @Test func unusableServiceURLIsNotedRedacted() throws {
        let result = try KongImportSupport.convert(
            """
            _format_version: "3.0"
            services:
              - name: s
                url: "http://LEAKUSER:LEAK_PASS@127.0.0.1:9000/p?token=LEAK_QUERY"
                routes: [{name: r, hosts: [a.example.com]}]
              - name: fine
                url: "http://127.0.0.1:9001"
                routes: [{name: f, hosts: [b.example.com]}]
            """)
        let note = try #require(result.notes.first { $0.path == "services[0].url" })
        #expect(note.message.contains("***@127.0.0.1:9000/p?***"), "\(note.message)")
        for secret in ["LEAKUSER", "LEAK_PASS", "LEAK_QUERY"] { #expect(!note.message.contains(secret)) }
    }

    /// An oxd_url the loader would refuse (user info) skips that service with a note; the rest is written.
    @Test func unusableRegistrationURLSkipsOnlyItsService() throws {
        let result = try KongImportSupport.convert(
            """
            _format_version: "3.0"
            services:
              - name: bad
                url: "http://127.0.0.1:9000"
                routes: [{name: r, hosts: [a.example.com]}]
                plugins:
                  - name: gluu-uma-pep
                    config: {oxd_url: "http://ou:pw@127.0.0.1:8443", op_url: "https://op.example.com", oxd_id: x,
                             client_id: y, client_secret: z}
              - name: fine
                url: "http://127.0.0.1:9001"
                routes: [{name: f, hosts: [b.example.com]}]
            """)
        let note = try #require(result.notes.first { $0.path == "services[0].plugins[0].config.oxd_url" })
        #expect(!note.message.contains("pw"))
        #expect(result.yaml.contains("fine") && !result.yaml.contains("name: bad"))
        _ = try KongImportSupport.load(result)
    }

    /// An IPv6 `host` is written in brackets; a CR or LF from the input cannot start a report line of its own.
    @Test func ipv6HostAndEscapedNotes() throws {
        let result = try KongImportSupport.convert(
            """
            _format_version: "3.0"
            services:
              - name: six
                protocol: http
                host: "::1"
                port: 9000
                routes: [{name: r, hosts: [a.example.com]}]
              - name: forged
                url: "http://127.0.0.1:9001"
                routes: [{name: r2, hosts: [b.example.com]}]
                plugins: [{name: "evil\\nskipped: services[9]: fake"}]
            """)
        #expect(result.yaml.contains("http://[::1]:9000"), "\(result.yaml)")
        let report = result.notes.map(\.description).joined(separator: "\n")
        #expect(report.contains("evil\\nskipped"), "\(report)")
        #expect(!report.split(separator: "\n").contains { $0.hasPrefix("skipped: services[9]") }, "\(report)")
        // ESC and the 8-bit CSI (U+009B) would drive a terminal: escaped too.
        let note = KongImportNote(.dropped, "plugins[0]", "plugin a\u{1B}[2Jb\u{9B}2Jc")
        #expect(note.description == #"dropped: plugins[0]: plugin a\u{1B}[2Jb\u{009B}2Jc"#, "\(note)")
    }

    /// A Kong name uma-pep refuses, or one another service already has, is rewritten with a `changed` note: the
    /// `service` metrics label changes with it.
    @Test func renamedServicesAreNoted() throws {
        let result = try KongImportSupport.convert(
            """
            _format_version: "3.0"
            services:
            - {name: "Ünïcode", url: "http://u.internal", routes: [{hosts: [u.example.com]}]}
            - {name: a, url: "http://a.internal", routes: [{hosts: [a.example.com]}]}
            - {name: a, url: "http://a2.internal", routes: [{hosts: [a2.example.com]}]}
            - {name: "a b", url: "http://ab.internal", routes: [{hosts: [ab.example.com]}]}
            - {name: a-b, url: "http://ab2.internal", routes: [{hosts: [ab2.example.com]}]}
            """)
        #expect(try KongImportSupport.load(result).services.map(\.name) == ["-n-code", "a", "a-2", "a-b", "a-b-2"])
        #expect(
            KongImportSupport.notePaths(result) == [
                "changed services[0].name", "changed services[2].name", "changed services[3].name",
                "changed services[4].name",
            ])
        let messages = result.notes.map(\.message)
        #expect(messages[0].hasPrefix("'Ünïcode' is written as '-n-code': uma-pep names take letters"), "\(messages)")
        #expect(messages[1].hasPrefix("'a' is written as 'a-2': another converted service is already named 'a'"))
        #expect(messages[2].hasPrefix("'a b' is written as 'a-b': uma-pep names take"), "\(messages)")
        #expect(messages[3].hasPrefix("'a-b' is written as 'a-b-2': another"), "\(messages)")
        #expect(messages.allSatisfy { $0.contains("metrics label") })
    }

    /// An Admin API URL with credentials in it is written to the header comment without them.
    @Test func sourceURLIsRedacted() throws {
        var notes: [KongImportNote] = []
        let document = try KongDocument.declarative(
            try JSONCodec.parse(
                #"{"_format_version":"3.0","services":[{"name":"s","url":"http://s.internal","#
                    + #""routes":[{"hosts":["s.example.com"]}]}]}"#), notes: &notes)
        let result = try KongImport.convert(
            document, options: KongImport.Options(source: "https://admin:LEAK_PW@kong.internal:8444/?token=LEAK_TOK"))
        #expect(!result.yaml.contains("LEAK"), "\(result.yaml)")
        #expect(result.yaml.contains("from https://***@kong.internal:8444/?***"), "\(result.yaml)")
        #expect(KongAdminAPI.redacted("http://u:p@h:1/x?q") == "http://***@h:1/x?***")
        #expect(KongAdminAPI.redacted("http://h:1/services?size=1000") == "http://h:1/services?***")
    }

    /// A service `host` naming a Kong upstream is replaced by its first target: Kong's default target port is 8000,
    /// an IPv6 target keeps its brackets.
    @Test func upstreamTargets() throws {
        let result = try KongImportSupport.convert(
            """
            _format_version: "3.0"
            services:
            - {name: plain-port, host: pool-a, routes: [{hosts: [a.example.com]}]}
            - {name: six, host: pool-b, port: 80, path: /v1, routes: [{hosts: [b.example.com]}]}
            upstreams:
            - {name: pool-a, targets: [{target: 10.0.0.5}]}
            - {name: pool-b, targets: [{target: "[::1]:9001"}]}
            """)
        let config = try KongImportSupport.load(result)
        #expect(
            config.services.map(\.upstream) == [Upstream("http://10.0.0.5:8000"), Upstream("http://[::1]:9001/v1")])
        #expect(KongImportSupport.notePaths(result) == [])
    }

    /// uma-pep has one `consumer_mapping`: `true` when any converted gluu-uma-auth has it, the others noted.
    @Test func consumerMappingConflictIsNoted() throws {
        let kong = """
            _format_version: "1.1"
            services:
            - name: mapped
              url: http://m.internal
              routes: [{hosts: [m.example.com]}]
              plugins: [{name: gluu-uma-auth, config: {oxd_url: "https://o", op_url: "https://p", oxd_id: m, client_id: c}}]
            - name: unmapped
              url: http://u.internal
              routes: [{hosts: [u.example.com]}]
              plugins:
              - name: gluu-uma-auth
                config: {oxd_url: "https://o", op_url: "https://p", oxd_id: u, client_id: c, consumer_mapping: false}
            """
        let result = try KongImportSupport.convert(kong)
        #expect(try KongImportSupport.load(result).consumerMapping)
        #expect(
            KongImportSupport.notePaths(result) == [
                "changed services[0].plugins[0]", "changed services[1].plugins[0]",
                "changed services[1].plugins[0].config.consumer_mapping",
            ])
    }

    @Test func authOnlyIsClosedAndPassesNothing() throws {
        let result = try KongImportSupport.convert(Self.cases[5].kong)
        let service = try KongImportSupport.load(result).services[0]
        #expect(service.policy.denyByDefault)
        #expect(service.protectionDocument.rules.isEmpty)
    }

    @Test func pepRegistrationWins() throws {
        let config = try KongImportSupport.load(try KongImportSupport.convert(Self.cases[6].kong))
        #expect(config.authorizationServers.map(\.oxdId) == ["pep-reg"])
    }

    /// Kong values are literal: a `${` in them must survive environment substitution unchanged.
    @Test func literalDollarBraceSurvives() throws {
        let kong = """
            _format_version: "1.1"
            services:
            - name: s
              url: http://s.internal
              routes: [{hosts: [s.example.com]}]
              plugins:
              - name: gluu-uma-auth
                config:
            \(Self.reg)
                  custom_headers:
                  - {header_name: x-tag, value_lua_exp: '"${HOME} it''s"'}
              - name: gluu-uma-pep
                config:
            \(Self.reg)
                  uma_scope_expression: \(Self.doc)
            """
        let result = try KongImportSupport.convert(kong)
        let header = try #require(try KongImportSupport.load(result).services[0].policy.customHeaders.first)
        #expect(header.expression == CustomHeaderExpression(parsing: #""${HOME} it's""#))
    }

    /// oxd refuses a top-level `!` at `/uma-rs-protect`: that server keeps `register_resources: false`.
    @Test func registerResourcesKeptOffWhenOXDWouldRefuse() throws {
        let kong = """
            _format_version: "1.1"
            services:
            - name: s
              url: http://s.internal
              routes: [{hosts: [s.example.com]}]
              plugins:
              - name: gluu-uma-pep
                config:
            \(Self.reg)
                  uma_scope_expression: '[{"path":"/x","conditions":[{"httpMethods":["GET"],"scope_expression":{"rule":{"!":{"var":0}},"data":["a"]}}]}]'
            """
        let result = try KongImportSupport.convert(kong, registerResources: true)
        #expect(try KongImportSupport.load(result).authorizationServers.map(\.registerResources) == [false])
        #expect(
            KongImportSupport.notePaths(result) == [
                "changed services[0].plugins[0]", "changed services[0].plugins[0].config.uma_scope_expression",
            ])
    }

    /// Server names that map to the same or an invalid variable name get distinct, valid ones.
    @Test func secretVariablesAreDistinctAndValid() throws {
        let kong = """
            _format_version: "3.0"
            services:
            - name: a.b
              url: http://1.internal
              routes: [{hosts: [1.example.com]}]
              plugins: [{name: gluu-uma-pep, config: {oxd_url: "https://o", op_url: "https://p", oxd_id: one, client_id: c1, uma_scope_expression: \(Self.doc)}}]
            - name: a-b
              url: http://2.internal
              routes: [{hosts: [2.example.com]}]
              plugins: [{name: gluu-uma-pep, config: {oxd_url: "https://o", op_url: "https://p", oxd_id: two, client_id: c2, uma_scope_expression: \(Self.doc)}}]
            - name: 9lives
              url: http://3.internal
              routes: [{hosts: [3.example.com]}]
              plugins: [{name: gluu-uma-pep, config: {oxd_url: "https://o", op_url: "https://p", oxd_id: three, client_id: c3, uma_scope_expression: \(Self.doc)}}]
            """
        let result = try KongImportSupport.convert(kong)
        #expect(result.secretVariables == ["A_B_CLIENT_SECRET", "A_B_2_CLIENT_SECRET", "KONG_9LIVES_CLIENT_SECRET"])
        #expect(try KongImportSupport.load(result).authorizationServers.map(\.name) == ["a.b", "a-b", "9lives"])
    }

    /// A UMA plugin that no converted route uses (overridden everywhere, or on a skipped service) is reported.
    @Test func pluginInEffectNowhereIsReported() throws {
        let kong = """
            _format_version: "3.0"
            services:
            - name: s
              url: http://s.internal
              routes:
              - name: only
                hosts: [s.example.com]
                plugins:
                - name: gluu-uma-pep
                  config:
            \(KongImportSupport.registration(indent: 8))
                    uma_scope_expression: \(Self.doc)
              plugins:
              - name: gluu-uma-pep
                config:
            \(KongImportSupport.registration(oxdId: "unused", indent: 6))
                  uma_scope_expression: \(Self.doc)
            """
        let result = try KongImportSupport.convert(kong)
        #expect(try KongImportSupport.load(result).authorizationServers.map(\.oxdId) == ["oxd-1"])
        #expect(
            KongImportSupport.notePaths(result) == [
                "changed services[0].routes[0].plugins[0]", "dropped services[0].plugins[0]",
            ])
    }

    @Test func registerResourcesOption() throws {
        let result = try KongImportSupport.convert(Self.cases[0].kong, registerResources: true)
        #expect(try KongImportSupport.load(result).authorizationServers.allSatisfy(\.registerResources))
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var label: String
        var text: String
        var message: String
        var testDescription: String { self.label }
    }

    static let failures: [Failure] = [
        Failure(label: "no _format_version", text: "services: []\n", message: "_format_version: missing"),
        Failure(
            label: "unsupported _format_version", text: "_format_version: \"0.9\"\n",
            message: "_format_version: '0.9' is not supported"),
        Failure(label: "not a mapping", text: "- a\n- b\n", message: "the top level is not a mapping"),
        Failure(label: "YAML syntax", text: "_format_version: [\n", message: "kong.yaml"),
        Failure(label: "empty input", text: "", message: "kong.yaml: the input is empty"),
        Failure(label: "comments only", text: "# nothing here\n\n", message: "kong.yaml: the input is empty"),
        Failure(
            label: "nothing convertible", text: "_format_version: \"3.0\"\nservices:\n- {name: x, url: \"http://x\"}\n",
            message: "no Kong service could be converted:\n  skipped: services[0]"),
    ]

    @Test(arguments: failures) func refuses(_ f: Failure) {
        #expect {
            _ = try KongImportSupport.convert(f.text)
        } throws: { error in
            "\(error)".contains(f.message)
        }
    }
}

@Suite struct KongAdminAPITests {
    struct PageCase: CustomTestStringConvertible, Sendable {
        var label: String
        var base: String
        var body: String
        var next: String?
        var testDescription: String { self.label }
    }

    static let pages: [PageCase] = [
        PageCase(
            label: "relative next (what Kong writes)", base: "http://127.0.0.1:8001",
            body: #"{"data":[{"id":"1"}],"next":"/services?offset=WyJhIl0"}"#,
            next: "http://127.0.0.1:8001/services?offset=WyJhIl0"),
        PageCase(
            label: "base with a path prefix and trailing slash", base: "https://gw.example.com/kong-admin/",
            body: #"{"data":[],"next":"/routes?offset=x"}"#, next: "https://gw.example.com/kong-admin/routes?offset=x"),
        PageCase(
            label: "next already carries the prefix", base: "https://gw.example.com/kong-admin",
            body: #"{"data":[],"next":"/kong-admin/routes?offset=x"}"#,
            next: "https://gw.example.com/kong-admin/routes?offset=x"),
        PageCase(
            label: "absolute next on the same origin", base: "http://127.0.0.1:8001",
            body: #"{"data":[],"next":"http://127.0.0.1:8001/plugins?offset=y"}"#,
            next: "http://127.0.0.1:8001/plugins?offset=y"),
        PageCase(
            label: "absolute next on another origin: its path only (credentials never leave --admin-url)",
            base: "http://127.0.0.1:8001", body: #"{"data":[],"next":"http://10.0.0.1:8001/plugins?offset=y"}"#,
            next: "http://127.0.0.1:8001/plugins?offset=y"),
        PageCase(
            label: "no downgrade from https", base: "https://gw.example.com",
            body: #"{"data":[],"next":"http://gw.example.com/steal?x=1"}"#, next: "https://gw.example.com/steal?x=1"),
        PageCase(label: "last page", base: "http://127.0.0.1:8001", body: #"{"data":[],"next":null}"#, next: nil),
        PageCase(label: "no next member", base: "http://127.0.0.1:8001", body: #"{"data":[]}"#, next: nil),
    ]

    @Test(arguments: pages) func resolvesNext(_ c: PageCase) throws {
        let page = try KongAdminAPI.page(Array(c.body.utf8), baseURL: c.base, endpoint: "/services")
        #expect(page.next == c.next)
    }

    @Test func firstPage() {
        #expect(
            KongAdminAPI.firstPageURL(baseURL: "http://127.0.0.1:8001/", endpoint: "/routes")
                == "http://127.0.0.1:8001/routes?size=1000")
    }

    @Test func refusesWhatIsNotAPage() {
        for body in ["<html>", #"{"message":"Unauthorized"}"#] {
            #expect(throws: KongImportError.self) {
                _ = try KongAdminAPI.page(Array(body.utf8), baseURL: "http://h", endpoint: "/services")
            }
        }
    }
}

/// `obtain_rpt`, `redirect_claim_gathering_url` and `claims_redirect_path` are converted (issue 13); the output
/// names the cookie key variable and loads with it.
@Suite struct KongImportClaimsGatheringTests {
    static func kong(_ claims: String) -> String {
        """
        _format_version: "3.0"
        services:
        - name: web
          url: http://w.internal
          routes: [{hosts: [w.example.com]}]
          plugins:
          - name: gluu-uma-auth
            config:
        \(KongImportSupport.registration())
          - name: gluu-uma-pep
            config:
        \(KongImportSupport.registration())
              uma_scope_expression: \(KongImportSupport.document)
        \(claims)
        """
    }

    static func load(_ result: KongImport.Result) throws -> PEPConfiguration {
        var environment = ["UMA_PEP_COOKIE_KEY": "ZGVtby1vbmx5LWNvb2tpZS1rZXktcmVwbGFjZS1tZSE="]
        for name in result.secretVariables where environment[name] == nil { environment[name] = "secret-from-env" }
        return try ConfigLoader.load(text: result.yaml, fileName: "out.yaml", environment: environment, coreCount: 2)
    }

    @Test func theWholeFlowConverts() throws {
        let result = try KongImportSupport.convert(
            Self.kong(
                "      obtain_rpt: true\n      redirect_claim_gathering_url: true\n"
                    + "      claims_redirect_path: /claims/callback"))
        #expect(result.yaml.contains("UMA_PEP_COOKIE_KEY"))
        // The summary (`set … before serve or check-config`) names the cookie key too: the file does not load without it.
        #expect(result.secretVariables.contains("UMA_PEP_COOKIE_KEY"))
        let config = try Self.load(result)
        #expect(
            config.services[0].policy.claims
                == ClaimsGatheringPolicy(
                    obtainRPT: true, redirectClaimGatheringURL: true, claimsRedirectPath: "/claims/callback"))
        #expect(config.claimsGathering.cookieKeys.map(\.id) == ["k1"])
        #expect(!KongImportSupport.notePaths(result).contains { $0.contains("claims") || $0.contains("obtain") })
    }

    @Test(
        arguments: [
            (
                "      redirect_claim_gathering_url: true\n      claims_redirect_path: /cb",
                "dropped services[0].plugins[1].config.redirect_claim_gathering_url", ClaimsGatheringPolicy.off
            ),
            (
                "      obtain_rpt: true\n      redirect_claim_gathering_url: true",
                "dropped services[0].plugins[1].config.redirect_claim_gathering_url",
                ClaimsGatheringPolicy(obtainRPT: true)
            ),
            (
                "      obtain_rpt: true\n      redirect_claim_gathering_url: true\n      claims_redirect_path: /a/../cb",
                "dropped services[0].plugins[1].config.claims_redirect_path", ClaimsGatheringPolicy(obtainRPT: true)
            ),
        ] as [(String, String, ClaimsGatheringPolicy)])
    func inconsistentSettingsAreNarrowedAndNoted(_ claims: String, _ note: String, _ expected: ClaimsGatheringPolicy)
        throws
    {
        let result = try KongImportSupport.convert(Self.kong(claims))
        #expect(KongImportSupport.notePaths(result).contains(note), "\(KongImportSupport.notePaths(result))")
        #expect(try Self.load(result).services[0].policy.claims == expected)
    }
}
