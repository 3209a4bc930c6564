extension KongImport {
    /// The Gluu Gateway plugins uma-pep implements (gluu-uma-auth, priority 998; gluu-uma-pep, 995; gluu-metrics).
    static let umaAuth = "gluu-uma-auth"
    static let umaPEP = "gluu-uma-pep"
    static let metrics = "gluu-metrics"

    /// Gluu Gateway 4.x plugins uma-pep does not implement. A service they protect is not converted unless it also
    /// has the UMA plugins.
    static let unimplementedGluuPlugins: Set<String> = [
        "gluu-oauth-auth", "gluu-oauth-pep", "gluu-openid-connect", "gluu-opa-pep",
    ]

    /// Kong plugins that decide who gets through (authentication, authorization, blocking). A service that relies on
    /// one of them, and on no UMA plugin, is not converted: as a plain uma-pep service it would be open.
    static let accessControlPlugins: Set<String> = [
        "key-auth", "key-auth-enc", "basic-auth", "jwt", "oauth2", "oauth2-introspection", "hmac-auth", "ldap-auth",
        "ldap-auth-advanced", "acl", "ip-restriction", "openid-connect", "mtls-auth", "request-termination",
        "bot-detection", "session", "opa", "vault-auth", "jwt-signer",
    ]

    /// One oxd registration: what identifies it, and the plugin path the values came from.
    struct Registration: Equatable, Hashable {
        var oxdURL: String
        var opURL: String
        var oxdId: String
        var clientId: String
    }

    /// What `gluu-uma-auth` converts to (Part B §1.1).
    struct AuthSettings {
        var registration: Registration?
        var passCredentials: String
        var consumerMapping: Bool
        var anonymous: String?
        var customHeaders: [ConfigNode]
    }

    /// What `gluu-uma-pep` converts to (Part B §1.2). `scopeExpression` is `nil` when absent (nothing protected);
    /// `invalid` holds the reason when the document cannot load (the service is then not converted).
    struct PEPSettings {
        var registration: Registration?
        var scopeExpression: String?
        var denyByDefault: Bool
        var invalid: String?
        /// `obtain_rpt`, `redirect_claim_gathering_url`, `claims_redirect_path` (Part B §2.5), as uma-pep accepts
        /// them (an inconsistent combination is noted and narrowed).
        var claims = ClaimsGatheringPolicy.off
    }

    /// Fields of `gluu-uma-auth`'s config and `gluu-uma-pep`'s config the importer reads.
    static let registrationFields = ["oxd_url", "op_url", "oxd_id", "client_id", "client_secret"]
    static let authFields: Set<String> = Set(
        registrationFields + [
            "anonymous", "pass_credentials", "consumer_mapping", "custom_headers",
        ])
    /// Features of `gluu-uma-pep` uma-pep does not have; each is noted only when set to something other than its
    /// default (with the default, the plugin behaved as uma-pep does). Values are never printed.
    static let unsupportedPEPFields: [(name: String, why: String)] = [
        ("require_id_token", "not implemented"),
        ("read_claims_from_pct", "pushed claims are not implemented"),
        ("claims_gathering_pct_value", "pushed claims are not implemented"),
        (
            "pushed_claims_lua_exp",
            "computed claim tokens are not implemented (pushed_claims: bearer_token pushes the request's bearer token)"
        ),
    ]
    static let pepFields: Set<String> = Set(
        registrationFields + [
            "uma_scope_expression", "deny_by_default", "method_path_tree", "obtain_rpt", "redirect_claim_gathering_url",
            "claims_redirect_path",
        ]
            + unsupportedPEPFields.map(\.name))

    /// The registration of a UMA plugin's config, or `nil` (noted) when a required field is missing.
    static func registration(
        _ config: [String: JSONValue], at path: String, notes: inout [KongImportNote]
    ) -> Registration? {
        var values: [String] = []
        for field in ["oxd_url", "op_url", "oxd_id", "client_id"] {
            guard let value = config[field]?.stringValue, !value.isEmpty else {
                notes.append(
                    KongImportNote(.skipped, "\(path).config.\(field)", "required by the plugin but missing or empty"))
                return nil
            }
            // The URLs as uma-pep's loader takes them (http(s), no user info, no query): else the service is
            // skipped here, with the reason, instead of the whole output failing to load.
            if field == "oxd_url" || field == "op_url", case .failure(let error) = Upstream.parse(value) {
                notes.append(
                    KongImportNote(
                        .skipped, "\(path).config.\(field)",
                        "'\(ConfigRedaction.url(value))' cannot be an uma-pep \(field): \(error.message)"))
                return nil
            }
            values.append(value)
        }
        return Registration(oxdURL: values[0], opURL: values[1], oxdId: values[2], clientId: values[3])
    }

    /// Converts `gluu-uma-auth`'s config. Notes every field it drops.
    static func authSettings(_ plugin: KongDocument.Entity, notes: inout [KongImportNote]) -> AuthSettings {
        let config = plugin.fields["config"]?.objectValue ?? [:]
        let path = plugin.path
        Self.noteUnknownConfigFields(config, known: Self.authFields, plugin: plugin, notes: &notes)
        var settings = AuthSettings(
            registration: Self.registration(config, at: path, notes: &notes), passCredentials: "pass",
            consumerMapping: config["consumer_mapping"]?.boolValue ?? true, anonymous: nil, customHeaders: [])
        if let pass = config["pass_credentials"]?.stringValue {
            if ["pass", "hide", "phantom_token"].contains(pass) {
                settings.passCredentials = pass
            } else {
                notes.append(
                    KongImportNote(
                        .dropped, "\(path).config.pass_credentials", "'\(pass)' is not pass, hide or phantom_token"))
            }
        }
        if let anonymous = config["anonymous"]?.stringValue, anonymous.count > 1 {
            settings.anonymous = anonymous
            notes.append(
                KongImportNote(
                    .changed, "\(path).config.anonymous",
                    "dropped: uma-pep always behaves like the plugins with an anonymous consumer (a request without "
                        + "an RPT on a protected path gets 401 with a ticket); anonymous requests have no consumer"))
        }
        let headers = config["custom_headers"]?.arrayValue ?? []
        for (index, header) in headers.enumerated() {
            let headerPath = "\(path).config.custom_headers[\(index)]"
            guard let record = header.objectValue else {
                notes.append(KongImportNote(.dropped, headerPath, "not a mapping; not converted"))
                continue
            }
            let fields = ["header_name", "value_lua_exp", "format", "sep", "iterate"]
            for key in record.keys.sorted() where !fields.contains(key) && !KongDocument.isEmpty(record[key]) {
                notes.append(KongImportNote(.dropped, "\(headerPath).\(key)", "unknown custom header field"))
            }
            let members = fields.compactMap { key in
                KongDocument.isEmpty(record[key])
                    ? nil : ConfigNode.Member(key: key, value: ConfigNode(json: record[key]!))
            }
            let node = ConfigNode.mapping(members)
            do {
                _ = try CustomHeader.loadList(
                    settings.customHeaders + [node], at: FieldPath.root["custom_headers"], file: "import")
                settings.customHeaders.append(node)
            } catch {
                notes.append(KongImportNote(.dropped, headerPath, "not converted: \(error.message)"))
            }
        }
        return settings
    }

    /// Converts `gluu-uma-pep`'s config. Notes every field it drops or cannot carry.
    static func pepSettings(_ plugin: KongDocument.Entity, notes: inout [KongImportNote]) -> PEPSettings {
        let config = plugin.fields["config"]?.objectValue ?? [:]
        let path = plugin.path
        Self.noteUnknownConfigFields(config, known: Self.pepFields, plugin: plugin, notes: &notes)
        var settings = PEPSettings(
            registration: Self.registration(config, at: path, notes: &notes), scopeExpression: nil,
            denyByDefault: config["deny_by_default"]?.boolValue ?? true, invalid: nil)
        for (name, why) in Self.unsupportedPEPFields {
            let value = config[name]
            let isDefault: Bool
            switch value {
            case nil, .null?, .bool(false)?: isDefault = true
            case .string(let text)?: isDefault = text.isEmpty
            default: isDefault = false
            }
            guard !isDefault else { continue }
            notes.append(
                KongImportNote(
                    .dropped, "\(path).config.\(name)",
                    "not converted: \(why); requests that relied on it are refused (401 with a ticket, or 403)"))
        }
        settings.claims = Self.claimsPolicy(config, at: "\(path).config", notes: &notes)
        switch config["uma_scope_expression"] {
        case nil, .null?:
            break
        case .string(let text)?:
            settings.scopeExpression = text
        case let value?:
            // Some exports hold the document as a JSON value rather than the plugin's JSON string.
            settings.scopeExpression = JSONCodec.serializeToString(value)
        }
        if let text = settings.scopeExpression {
            do {
                _ = try ProtectionDocument.load(jsonText: text, file: "import")
            } catch {
                settings.invalid = error.fieldPath.isEmpty ? error.message : "\(error.fieldPath): \(error.message)"
                notes.append(
                    KongImportNote(
                        .skipped, "\(path).config.uma_scope_expression",
                        "does not load (\(settings.invalid!)); the services it protects are not converted"))
            }
        }
        return settings
    }

    /// `obtain_rpt`, `redirect_claim_gathering_url` and `claims_redirect_path` as uma-pep's loader accepts them: the
    /// redirect needs `obtain_rpt` and a canonical path; otherwise the redirect is dropped (noted) and a `need_info`
    /// is answered 403, as a refusal.
    static func claimsPolicy(
        _ config: [String: JSONValue], at path: String, notes: inout [KongImportNote]
    ) -> ClaimsGatheringPolicy {
        let obtain = config["obtain_rpt"]?.boolValue ?? false
        var redirect = config["redirect_claim_gathering_url"]?.boolValue ?? false
        var callback = config["claims_redirect_path"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if redirect, !obtain {
            notes.append(
                KongImportNote(
                    .dropped, "\(path).redirect_claim_gathering_url",
                    "not converted: without obtain_rpt the gateway never asks for an RPT, so there is nothing to "
                        + "redirect (the callback path is not served)"))
            redirect = false
        }
        if let value = callback {
            let canonical = try? CanonicalTarget.canonicalize(requestTarget: value, method: "GET", host: nil)
            if !value.hasPrefix("/") || value.contains("?") || canonical?.path != value {
                notes.append(
                    KongImportNote(
                        .dropped, "\(path).claims_redirect_path",
                        "not converted: not a canonical absolute path; claims gathering redirects are off"))
                callback = nil
            }
        }
        if redirect, callback == nil {
            if config["claims_redirect_path"] == nil {
                notes.append(
                    KongImportNote(
                        .dropped, "\(path).redirect_claim_gathering_url",
                        "not converted: claims_redirect_path is missing; need_info is answered 403"))
            }
            redirect = false
        }
        return ClaimsGatheringPolicy(
            obtainRPT: obtain, redirectClaimGatheringURL: redirect, claimsRedirectPath: redirect ? callback : nil)
    }

    /// Notes config fields of a UMA plugin the importer does not know (name only: values may be secrets).
    static func noteUnknownConfigFields(
        _ config: [String: JSONValue], known: Set<String>, plugin: KongDocument.Entity, notes: inout [KongImportNote]
    ) {
        for key in config.keys.sorted() where !known.contains(key) && !KongDocument.isEmpty(config[key]) {
            notes.append(
                KongImportNote(
                    .dropped, "\(plugin.path).config.\(key)", "unknown field of \(plugin.label); not converted"))
        }
    }
}

extension ConfigNode {
    /// The node for a JSON value (members sorted by key, so output is deterministic).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s, substituted: false)
        case .array(let items): self = .sequence(items.map(ConfigNode.init(json:)))
        case .object(let members):
            self = .mapping(members.keys.sorted().map { Member(key: $0, value: ConfigNode(json: members[$0]!)) })
        }
    }
}
