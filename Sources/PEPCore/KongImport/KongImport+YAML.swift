extension KongImport.Converter {
    /// The uma-pep configuration as YAML (docs/configuration.md), with comments saying where each part came from.
    /// Every string is quoted, and a literal `${` is written `$${` so that environment substitution leaves it alone.
    mutating func render() -> String {
        let connect = self.timeout(self.connectTimeouts, field: "upstream_connect_timeout")
        let read = self.timeout(self.readTimeouts, field: "upstream_read_timeout")
        var out: [String] = []
        let format = self.document.formatVersion.map { "_format_version \($0)" } ?? "Admin API"
        // An Admin API URL may carry credentials (`http://user:password@…`): never into the output.
        let source =
            self.options.source.contains("://")
            ? KongAdminAPI.redacted(self.options.source) : self.options.source
        out.append("# uma-pep configuration written by `uma-pep import kong` from \(Self.comment(source))")
        out.append("# (Kong \(format)). Review the notes it printed; docs/migration.md explains each field.")
        if !self.servers.isEmpty {
            let cookieKey = self.services.contains { $0.claims.redirectClaimGatheringURL } ? ["UMA_PEP_COOKIE_KEY"] : []
            out.append(
                "# Secrets come from the environment: "
                    + (self.servers.map(\.secretVariable) + cookieKey).joined(separator: ", "))
        }
        out.append("listen: [\(Self.quoted("${UMA_PEP_LISTEN:-\(self.options.listen)}", literal: false))]")
        out.append("admin:")
        out.append("  listen: \(Self.quoted("${UMA_PEP_ADMIN_LISTEN:-\(self.options.adminListen)}", literal: false))")
        if connect != nil || read != nil {
            out.append("limits:                         # Kong service timeouts (ms), one value for all services")
            if let connect { out.append("  upstream_connect_timeout: \(Self.duration(connect))") }
            if let read { out.append("  upstream_read_timeout: \(Self.duration(read))") }
        }
        if !self.servers.isEmpty {
            out.append("authorization_servers:")
            for server in self.servers {
                out.append("  \(server.name):")
                out.append("    mode: oxd")
                out.append("    oxd_url: \(Self.quoted(server.registration.oxdURL))")
                out.append("    op_url: \(Self.quoted(server.registration.opURL))")
                out.append("    oxd_id: \(Self.quoted(server.registration.oxdId))")
                out.append("    client_id: \(Self.quoted(server.registration.clientId))")
                out.append("    client_secret: \(Self.quoted("${\(server.secretVariable)}", literal: false))")
                out.append("    register_resources: \(server.registerResources)")
            }
        }
        if self.consumerMapping { out.append("consumer_mapping: true            # gluu-uma-auth consumer_mapping") }
        if !self.consumers.isEmpty {
            out.append("consumers:                      # Kong consumers with a custom_id")
            for consumer in self.consumers {
                out.append("  - id: \(Self.quoted(consumer.id))")
                if let username = consumer.username { out.append("    username: \(Self.quoted(username))") }
                out.append("    custom_id: \(Self.quoted(consumer.customId))")
            }
        }
        if self.services.contains(where: { $0.claims.redirectClaimGatheringURL }) {
            out.append("claims_gathering:               # the session cookie of claims gathering (AES-256-GCM)")
            out.append("  cookie_keys:                  # UMA_PEP_COOKIE_KEY: `openssl rand -base64 32`")
            out.append("    - {id: k1, key: \(Self.quoted("${UMA_PEP_COOKIE_KEY}", literal: false))}")
        }
        out.append("services:")
        for service in self.services {
            out.append("  # \(Self.comment(service.origin))")
            out.append("  - name: \(Self.quoted(service.name))")
            out.append("    url: \(Self.quoted(service.url))")
            out.append("    hosts: [\(service.hosts.map { Self.quoted($0) }.joined(separator: ", "))]")
            if service.preserveHost { out.append("    preserve_host: true") }
            if let server = service.authorizationServer {
                out.append("    authorization_server: \(Self.quoted(server))")
            }
            if let deny = service.denyByDefault { out.append("    deny_by_default: \(deny)") }
            if let pass = service.passCredentials { out.append("    pass_credentials: \(pass)") }
            if service.claims.obtainRPT { out.append("    obtain_rpt: true") }
            if service.claims.redirectClaimGatheringURL, let callback = service.claims.claimsRedirectPath {
                out.append("    redirect_claim_gathering_url: true")
                out.append("    claims_redirect_path: \(Self.quoted(callback))")
            }
            if !service.customHeaders.isEmpty {
                out.append("    custom_headers:")
                for header in service.customHeaders { out.append("      - \(Self.flow(header))") }
            }
            if let expression = service.scopeExpression {
                out.append("    uma_scope_expression: \(Self.singleQuoted(expression) ?? Self.quoted(expression))")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Milliseconds as a duration (`60s`, `1500ms`), at most the loader's 7 days.
    static func duration(_ milliseconds: Int64) -> String {
        let clamped = min(max(milliseconds, 1), 7 * 24 * 3600 * 1000)
        return clamped % 1000 == 0 ? "\(clamped / 1000)s" : "\(clamped)ms"
    }

    /// A YAML double-quoted scalar. With `literal`, `${` becomes `$${` (kept as written by the substitution).
    static func quoted(_ text: String, literal: Bool = true) -> String {
        var out = "\""
        let body = literal ? text.replacingOccurrences(of: "${", with: "$${") : text
        for scalar in body.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A YAML single-quoted scalar (the stringified JSON stays readable), or `nil` when `text` holds characters
    /// only a double-quoted scalar can carry (line breaks, control characters).
    static func singleQuoted(_ text: String) -> String? {
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return nil
        }
        let body = text.replacingOccurrences(of: "${", with: "$${").replacingOccurrences(of: "'", with: "''")
        return "'" + body + "'"
    }

    /// A node in YAML flow style (`{a: "x", b: true}`).
    static func flow(_ node: ConfigNode) -> String {
        switch node {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .int(let i): return "\(i)"
        case .double(let d): return "\(d)"
        case .string(let s, _): return Self.quoted(s)
        case .sequence(let items): return "[" + items.map(Self.flow).joined(separator: ", ") + "]"
        case .mapping(let members):
            return "{" + members.map { "\($0.key): \(Self.flow($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// Text safe inside a `#` comment line.
    static func comment(_ text: String) -> String {
        String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) ? " " : $0 })
    }
}
