extension ConfigLoader {
    /// Fields of a `services` entry.
    static let serviceFields = [
        "name", "url", "hosts", "authorization_server", "deny_by_default", "pass_credentials",
        "ticket_on_insufficient_scope", "preserve_host", "custom_headers", "uma_scope_expression", "upstream_tls",
        "near_miss", "enforcement", "obtain_rpt", "redirect_claim_gathering_url", "claims_redirect_path",
        "pushed_claims", "pushed_claims_format",
    ]

    /// `services`: a non-empty list; names unique; host patterns unique across services.
    static func loadServices(
        _ reader: ConfigReader, authorizationServers: [AuthorizationServerConfiguration]
    ) throws(ConfigError) -> [ServiceConfiguration] {
        guard let items = try reader.sequence("services"), !items.isEmpty else {
            throw reader.error("services", .missingField, "at least one service is needed")
        }
        var services: [ServiceConfiguration] = []
        var hostOwners: [HostPattern: String] = [:]
        for (index, item) in items.enumerated() {
            let path = reader.path["services"][index]
            let service = try Self.loadService(
                item, at: path, file: reader.file, authorizationServers: authorizationServers)
            if services.contains(where: { $0.name == service.name }) {
                throw ConfigError(
                    file: reader.file, fieldPath: path["name"].description,
                    message: "service name '\(service.name)' is used twice", reason: .duplicateService)
            }
            for (hostIndex, host) in service.hosts.enumerated() {
                if let owner = hostOwners[host] {
                    let whose = owner == service.name ? "is listed twice" : "is already used by service '\(owner)'"
                    throw ConfigError(
                        file: reader.file, fieldPath: path["hosts"][hostIndex].description,
                        message: "host '\(host)' \(whose)", reason: .duplicateHost)
                }
                hostOwners[host] = service.name
            }
            services.append(service)
        }
        return services
    }

    private static func loadService(
        _ node: ConfigNode, at path: FieldPath, file: String, authorizationServers: [AuthorizationServerConfiguration]
    ) throws(ConfigError) -> ServiceConfiguration {
        let entry = try ConfigReader(node, at: path, file: file, allowed: Self.serviceFields)
        let name = try entry.requiredString("name")
        guard Self.isValidName(name) else {
            throw entry.error("name", .invalidName, "'\(name)' is not a valid name (letters, digits, '.', '_', '-')")
        }
        let urlText = try entry.requiredString("url")
        let upstream: Upstream
        switch Upstream.parse(urlText) {
        case .success(let parsed): upstream = parsed
        case .failure(let error):
            throw entry.error(
                "url", .invalidURL, "'\(ConfigRedaction.url(urlText))' is not a valid upstream URL: \(error.message)")
        }
        let hosts = try Self.loadHosts(entry)
        let authorizationServer = try Self.resolveAuthorizationServer(entry, authorizationServers)
        let customHeaders = try CustomHeader.loadList(
            entry.sequence("custom_headers") ?? [], at: path["custom_headers"], file: file)
        let policy = ServicePolicy(
            serviceName: name, authorizationServer: authorizationServer,
            denyByDefault: try entry.bool("deny_by_default", default: true),
            passCredentials: try entry.enumeration("pass_credentials", default: PassCredentials.pass),
            ticketOnInsufficientScope: try entry.bool("ticket_on_insufficient_scope", default: false),
            customHeaders: customHeaders,
            claims: try Self.loadClaimsPolicy(entry, isPlain: authorizationServer == nil))
        if authorizationServer == nil { try Self.checkPlainService(entry, policy) }
        let enforcement = try entry.enumeration("enforcement", default: ServiceEnforcement.enforce)
        var document = ProtectionDocument(rules: [])
        var rawDocument: JSONValue?
        if let documentNode = entry.node("uma_scope_expression") {
            let loaded = try ProtectionDocument.load(
                documentNode, at: path["uma_scope_expression"], file: file)
            document = loaded.document
            rawDocument = loaded.json
            if let server = authorizationServers.first(where: { $0.name == authorizationServer }),
                server.mode == .oxd, server.registerResources
            {
                try Self.checkOXDAcceptsScopeExpressions(document, at: path["uma_scope_expression"], file: file)
            }
        }
        var upstreamTLS = UpstreamTLS()
        if let tlsNode = entry.node("upstream_tls") {
            guard upstream.scheme == .https else {
                throw entry.error("upstream_tls", .fieldNotAllowed, "upstream_tls needs an https url")
            }
            let tls = try ConfigReader(
                tlsNode, at: path["upstream_tls"], file: file,
                allowed: ["ca_file", "insecure_skip_verify", "client_certificate", "client_private_key"])
            upstreamTLS = UpstreamTLS(
                caFile: try tls.string("ca_file"),
                insecureSkipVerify: try tls.bool("insecure_skip_verify", default: false),
                clientCertificate: try Self.loadClientCertificate(tls))
        }
        return ServiceConfiguration(
            name: name, policy: policy, protectionDocument: document, rawProtectionDocument: rawDocument,
            upstream: upstream, hosts: hosts, preserveHost: try entry.bool("preserve_host", default: false),
            upstreamTLS: upstreamTLS, nearMiss: try entry.enumeration("near_miss", default: NearMissMode.protect),
            enforcement: enforcement)
    }

    /// With `register_resources` on an oxd server, every scope expression must pass oxd's own check (Part B
    /// §3.2); otherwise `/uma-rs-protect` would fail at start and registration would retry forever.
    private static func checkOXDAcceptsScopeExpressions(
        _ document: ProtectionDocument, at path: FieldPath, file: String
    ) throws(ConfigError) {
        for (r, rule) in document.rules.enumerated() {
            for (c, condition) in rule.conditions.enumerated() {
                guard let expression = condition.scopeExpression, !expression.isAcceptedByOXD else { continue }
                throw ConfigError(
                    file: file, fieldPath: path[r]["conditions"][c]["scope_expression"].description,
                    message: "oxd rejects this expression (uma-rs-protect: invalid_scope_expression): evaluated "
                        + "over its scope names it must yield one of 'data' (a top-level '!' yields a boolean)",
                    reason: .invalidScopeExpression)
            }
        }
    }

    /// A plain proxied service (no `authorization_server`, no `uma_scope_expression`) is forwarded without a token
    /// check, so the fields that only act on a checked request are refused rather than silently ignored:
    /// `deny_by_default`, `ticket_on_insufficient_scope`, `enforcement`, `custom_headers` and `pass_credentials: phantom_token`
    /// (there is no introspection data). `pass_credentials: pass | hide` applies as written.
    private static func checkPlainService(_ entry: ConfigReader, _ policy: ServicePolicy) throws(ConfigError) {
        let why =
            "this service has no authorization_server and no uma_scope_expression, so it is forwarded without a "
            + "token check"
        for field in ["deny_by_default", "ticket_on_insufficient_scope", "enforcement"] where entry.has(field) {
            throw entry.error(
                field, .fieldNotAllowed,
                "'\(field)' does not apply: \(why) (name an authorization_server to check tokens)")
        }
        if !policy.customHeaders.isEmpty {
            throw entry.error(
                "custom_headers", .fieldNotAllowed,
                "custom headers need a token check: \(why) (name an authorization_server to check tokens)")
        }
        if policy.passCredentials == .phantomToken {
            throw entry.error(
                "pass_credentials", .fieldNotAllowed,
                "'phantom_token' needs introspection data: \(why); use 'pass' or 'hide', or name an authorization_server"
            )
        }
    }

    /// `hosts`: a non-empty list of `HostPattern`s, no repeats within the service.
    private static func loadHosts(_ entry: ConfigReader) throws(ConfigError) -> [HostPattern] {
        guard let texts = try entry.stringList("hosts"), !texts.isEmpty else {
            throw entry.error("hosts", .missingField, "a service needs at least one host")
        }
        var hosts: [HostPattern] = []
        for (index, text) in texts.enumerated() {
            guard let host = try? HostPattern(parsing: text) else {
                throw ConfigError(
                    file: entry.file, fieldPath: entry.path["hosts"][index].description,
                    message: "'\(text)' is not a host: use a DNS name, '*.suffix', an IP address "
                        + "('[v6]' for IPv6), optionally with ':port'",
                    reason: .invalidHost)
            }
            hosts.append(host)
        }
        return hosts
    }

    /// `authorization_server`: must name a key of `authorization_servers`. Without it, a service with a
    /// protection document uses the only server there is (an error when there are none or several), and a
    /// service without one is a plain proxied service (`nil`: forwarded without a token check, like a Kong
    /// service without the UMA plugins).
    private static func resolveAuthorizationServer(
        _ entry: ConfigReader, _ servers: [AuthorizationServerConfiguration]
    ) throws(ConfigError) -> String? {
        let known = servers.map(\.name).joined(separator: ", ")
        guard let name = try entry.string("authorization_server") else {
            guard entry.has("uma_scope_expression") else { return nil }
            if servers.count == 1, let only = servers.first { return only.name }
            let why = servers.isEmpty ? "authorization_servers is empty" : "choose one of: \(known)"
            throw entry.error(
                "authorization_server", .missingField,
                "required field 'authorization_server' is missing: a service with uma_scope_expression needs one "
                    + "(\(why))")
        }
        guard servers.contains(where: { $0.name == name }) else {
            let choices = servers.isEmpty ? "authorization_servers is empty" : "known: \(known)"
            throw entry.error(
                "authorization_server", .unknownAuthorizationServer,
                "'\(name)' is not a key of authorization_servers (\(choices))")
        }
        return name
    }
}
