import PEPCore

extension DevAuthorizationServerConfiguration {
    /// Reads a configuration from a JSON value (e.g. a decoded YAML/JSON file section). Every key is optional
    /// and defaults as in `init()`:
    /// ```json
    /// {"issuer": "http://127.0.0.1:8443",
    ///  "clients": [{"client_id": "demo-client", "client_secret": "demo-secret", "oxd_id": "demo-oxd-id",
    ///               "claims_redirect_uri": ["http://127.0.0.1:9000/cb"]}],
    ///  "policies": {"with-claims": {"claims": {"country": "US", "city": "NY"}}, "read": "allow", "admin": "deny"},
    ///  "default_policy": "allow", "ticket_lifetime": 3600, "rpt_lifetime": 3600, "access_token_lifetime": 3600,
    ///  "pct_lifetime": 3600, "rpt_as_jwt": false, "signing_key_pem": "/path/key.pem", "max_tickets": 100000,
    ///  "dev_hooks": true}
    /// ```
    /// A claims policy may also be a list `[{"name": "country", "friendly_name": "Country", "value": "US"}]`.
    /// - Throws: `DevAuthorizationServerError.invalidConfiguration` naming the field path.
    public init(json: JSONValue) throws {
        guard let root = json.objectValue else {
            throw DevAuthorizationServerError.invalidConfiguration(field: "$", reason: "expected an object")
        }
        self.init()
        if let issuer = try Self.string(root, "issuer") {
            self = DevAuthorizationServerConfiguration(issuer: issuer)
        }
        if let clients = root["clients"] {
            guard let items = clients.arrayValue else {
                throw DevAuthorizationServerError.invalidConfiguration(field: "clients", reason: "expected an array")
            }
            self.clients = try items.enumerated().map { index, item in try Self.client(item, field: "clients[\(index)]")
            }
        }
        if let policies = root["policies"] {
            guard let members = policies.objectValue else {
                throw DevAuthorizationServerError.invalidConfiguration(field: "policies", reason: "expected an object")
            }
            for (scope, value) in members {
                self.policies[scope] = try Self.policy(value, field: "policies.\(scope)")
            }
        }
        if let value = root["default_policy"] { self.defaultPolicy = try Self.policy(value, field: "default_policy") }
        self.ticketLifetimeSeconds = try Self.seconds(root, "ticket_lifetime") ?? self.ticketLifetimeSeconds
        self.rptLifetimeSeconds = try Self.seconds(root, "rpt_lifetime") ?? self.rptLifetimeSeconds
        self.accessTokenLifetimeSeconds =
            try Self.seconds(root, "access_token_lifetime") ?? self.accessTokenLifetimeSeconds
        self.pctLifetimeSeconds = try Self.seconds(root, "pct_lifetime") ?? self.pctLifetimeSeconds
        self.maxTickets = Int(try Self.seconds(root, "max_tickets") ?? Int64(self.maxTickets))
        if let value = root["rpt_as_jwt"] {
            guard let flag = value.boolValue else {
                throw DevAuthorizationServerError.invalidConfiguration(
                    field: "rpt_as_jwt", reason: "expected a boolean")
            }
            self.rptAsJWT = flag
        }
        self.signingKeyPEMPath = try Self.string(root, "signing_key_pem")
        if let value = root["dev_hooks"] {
            guard let flag = value.boolValue else {
                throw DevAuthorizationServerError.invalidConfiguration(field: "dev_hooks", reason: "expected a boolean")
            }
            self.devHooksEnabled = flag
        }
    }

    private static func string(_ object: [String: JSONValue], _ key: String, field: String? = nil) throws -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue, !text.isEmpty else {
            throw DevAuthorizationServerError.invalidConfiguration(field: field ?? key, reason: "expected a string")
        }
        return text
    }

    private static func seconds(_ object: [String: JSONValue], _ key: String) throws -> Int64? {
        guard let value = object[key], value != .null else { return nil }
        guard let number = value.intValue, number > 0 else {
            throw DevAuthorizationServerError.invalidConfiguration(field: key, reason: "expected a positive integer")
        }
        return number
    }

    private static func client(_ value: JSONValue, field: String) throws -> DevClient {
        guard let object = value.objectValue else {
            throw DevAuthorizationServerError.invalidConfiguration(field: field, reason: "expected an object")
        }
        var client = DevClient()
        client.clientId = try self.string(object, "client_id", field: field + ".client_id") ?? client.clientId
        client.clientSecret =
            try self.string(object, "client_secret", field: field + ".client_secret") ?? client.clientSecret
        client.oxdId = try self.string(object, "oxd_id", field: field + ".oxd_id") ?? client.oxdId
        if let uris = object["claims_redirect_uri"] {
            guard let list = DevRequest.strings(uris) ?? uris.stringValue.map({ [$0] }),
                list.allSatisfy(DevAuthorizationServerState.isSafeURL)
            else {
                throw DevAuthorizationServerError.invalidConfiguration(
                    field: field + ".claims_redirect_uri", reason: "expected http(s) URLs")
            }
            client.claimsRedirectURIs = list
        }
        return client
    }

    private static func policy(_ value: JSONValue, field: String) throws -> DevScopePolicy {
        switch value.stringValue {
        case "allow": return .allow
        case "deny": return .deny
        default: break
        }
        if let claims = value["claims"]?.objectValue {
            var required: [DevClaimRequirement] = []
            for name in claims.keys.sorted() {
                guard let expected = claims[name]?.stringValue else {
                    throw DevAuthorizationServerError.invalidConfiguration(
                        field: "\(field).claims.\(name)", reason: "expected a string")
                }
                required.append(
                    DevClaimRequirement(name: name, friendlyName: name.capitalized, expectedValue: expected))
            }
            return .requireClaims(required)
        }
        if let items = value.arrayValue {
            var required: [DevClaimRequirement] = []
            for (index, item) in items.enumerated() {
                guard let name = item["name"]?.stringValue, let expected = item["value"]?.stringValue else {
                    throw DevAuthorizationServerError.invalidConfiguration(
                        field: "\(field)[\(index)]", reason: "expected {name, value[, friendly_name]}")
                }
                required.append(
                    DevClaimRequirement(
                        name: name, friendlyName: item["friendly_name"]?.stringValue ?? name.capitalized,
                        expectedValue: expected))
            }
            return .requireClaims(required)
        }
        throw DevAuthorizationServerError.invalidConfiguration(
            field: field, reason: "expected \"allow\", \"deny\", {\"claims\": {…}} or a claim list")
    }
}
