import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// `/register-site` (SPEC Part B §4.9): creates a client and its RP record. `client_id` and `client_secret`
    /// are both given or both generated; re-registering an existing `client_id` with its secret returns the
    /// existing site.
    /// - Throws: 400 `invalid_op_host_and_configuration_endpoint`, `invalid_redirect_uri`,
    ///   `invalid_claims_redirect_uri`, `invalid_scope`, `invalid_client_id`, `invalid_client_secret`.
    mutating func registerSite(_ params: [String: JSONValue], now: Int64) throws(DevReply) -> HTTPResponseMessage {
        let opHost = try self.requireOPHost(params)
        var redirectURIs = try Self.urlList(params["redirect_uris"], error: "invalid_redirect_uri")
        redirectURIs += try Self.urlList(params["authorization_redirect_uri"], error: "invalid_redirect_uri")
        let claimsRedirectURIs = try Self.urlList(params["claims_redirect_uri"], error: "invalid_claims_redirect_uri")
        let scopes = try Self.optionalStrings(params["scope"], error: "invalid_scope") ?? ["openid"]
        let grantTypes =
            try Self.optionalStrings(params["grant_types"], error: "invalid_request")
            ?? ["authorization_code", "client_credentials", "urn:ietf:params:oauth:grant-type:uma-ticket"]
        let givenId = DevRequest.nonBlank(params["client_id"])
        let givenSecret = DevRequest.nonBlank(params["client_secret"])
        switch (givenId, givenSecret) {
        case (.some, nil):
            throw DevReply.error(400, "invalid_client_secret", "client_secret is required with client_id")
        case (nil, .some): throw DevReply.error(400, "invalid_client_id", "client_id is required with client_secret")
        default: break
        }
        if let givenId, let existing = self.clients[givenId] {
            guard Self.constantTimeEquals(existing.clientSecret, givenSecret ?? "") else {
                throw DevReply.error(400, "invalid_client_secret", "client_id is registered with another secret")
            }
            return DevResponse.json(200, self.registrationResponse(existing), noStore: true)
        }
        let clientId = givenId ?? "@!" + RandomToken.uuid()
        let client = Client(
            clientId: clientId, clientSecret: givenSecret ?? RandomToken.opaque(), oxdId: RandomToken.uuid(),
            opHost: opHost, claimsRedirectURIs: claimsRedirectURIs, redirectURIs: redirectURIs, scopes: scopes,
            grantTypes: grantTypes, clientName: params["client_name"]?.stringValue ?? clientId,
            registrationAccessToken: RandomToken.opaque(), issuedAt: now)
        self.clients[clientId] = client
        self.clientIdByOxdId[client.oxdId] = clientId
        return DevResponse.json(200, self.registrationResponse(client), noStore: true)
    }

    /// `/update-site`: replaces the given fields of an RP (`claims_redirect_uri`, `redirect_uris`, `scope`,
    /// `grant_types`, `client_name`). Response `{"oxd_id"}`.
    mutating func updateSite(_ params: [String: JSONValue]) throws(DevReply) -> HTTPResponseMessage {
        var rp = try self.requireRP(params)
        if params["claims_redirect_uri"] != nil {
            rp.claimsRedirectURIs = try Self.urlList(
                params["claims_redirect_uri"], error: "invalid_claims_redirect_uri")
        }
        if params["redirect_uris"] != nil {
            rp.redirectURIs = try Self.urlList(params["redirect_uris"], error: "invalid_redirect_uri")
        }
        if let scopes = try Self.optionalStrings(params["scope"], error: "invalid_scope") { rp.scopes = scopes }
        if let grants = try Self.optionalStrings(params["grant_types"], error: "invalid_request") {
            rp.grantTypes = grants
        }
        if let name = params["client_name"]?.stringValue { rp.clientName = name }
        self.clients[rp.clientId] = rp
        return DevResponse.json(200, .object(["oxd_id": .string(rp.oxdId)]))
    }

    /// `/remove-site`: forgets an RP, its client, its tokens and its AS resources. Response `{"oxd_id"}`.
    mutating func removeSite(_ params: [String: JSONValue]) throws(DevReply) -> HTTPResponseMessage {
        let rp = try self.requireRP(params)
        self.clients[rp.clientId] = nil
        self.clientIdByOxdId = self.clientIdByOxdId.filter { $0.value != rp.clientId }
        self.accessTokens = self.accessTokens.filter { $0.value.clientId != rp.clientId }
        self.refreshTokens = self.refreshTokens.filter { $0.value.clientId != rp.clientId }
        self.resources = self.resources.filter { $0.value.ownerClientId != rp.clientId }
        return DevResponse.json(200, .object(["oxd_id": .string(rp.oxdId)]))
    }

    /// `/get-rp` (SPEC Part B §4.8): `{"node": <RP record or null>}`, or all records with `list: true`.
    func getRP(_ params: [String: JSONValue]) throws(DevReply) -> HTTPResponseMessage {
        if params["list"]?.boolValue == true {
            let records = self.clients.values.sorted { $0.oxdId < $1.oxdId }.map { self.rpRecord($0) }
            return DevResponse.json(200, .object(["node": .array(records)]))
        }
        guard let oxdId = DevRequest.nonBlank(params["oxd_id"]) else {
            throw DevReply.error(400, "bad_request", "oxd_id is empty or not specified")
        }
        let node = self.client(oxdId: oxdId).map { self.rpRecord($0) } ?? .null
        return DevResponse.json(200, .object(["node": node]))
    }

    /// The `/register-site` response object.
    func registrationResponse(_ client: Client) -> JSONValue {
        .object([
            "oxd_id": .string(client.oxdId), "op_host": .string(client.opHost),
            "client_id": .string(client.clientId), "client_secret": .string(client.clientSecret),
            "client_registration_access_token": .string(client.registrationAccessToken),
            "client_registration_client_uri": .string(
                self.issuer + "/register?client_id=" + FormURLEncoding.encode(client.clientId)),
            "client_id_issued_at": .int(client.issuedAt), "client_secret_expires_at": .int(0),
            "client_name": .string(client.clientName),
        ])
    }

    /// The oxd RP record as `/get-rp` shows it.
    func rpRecord(_ client: Client) -> JSONValue {
        let strings: ([String]) -> JSONValue = { .array($0.map { .string($0) }) }
        let resources: [JSONValue] = client.protectedResources.map { resource in
            .object([
                "id": .string(resource.id), "path": .string(resource.path),
                "http_methods": strings(resource.httpMethods), "scopes": strings(resource.scopes),
                "scope_expressions": .array(resource.scopeExpression.map { [.string(JSONText.render($0))] } ?? []),
                "ticketScopes": strings(resource.ticketScopes), "iat": .int(resource.iat),
                "exp": resource.exp.map { .int($0) } ?? .null,
            ])
        }
        return .object([
            "oxd_id": .string(client.oxdId), "op_host": .string(client.opHost), "client_id": .string(client.clientId),
            "client_secret": .string(client.clientSecret), "client_name": .string(client.clientName),
            "scope": strings(client.scopes), "grant_types": strings(client.grantTypes),
            "redirect_uris": strings(client.redirectURIs), "claims_redirect_uri": strings(client.claimsRedirectURIs),
            "uma_protected_resources": .array(resources),
            "rpt": client.lastRPT.map { .string($0) } ?? .null,
            "rpt_token_type": client.lastRPT == nil ? .null : .string("Bearer"),
            "rpt_pct": client.lastPCT.map { .string($0) } ?? .null,
            "rpt_upgraded": .bool(client.lastRPTUpgraded),
            "rpt_expires_at": client.lastRPTExpiresAt.map { .int($0) } ?? .null,
            "pat": .null,
        ])
    }

    /// A list of safe http(s) URLs from an array of strings or a single string; absent/null → `[]`.
    static func urlList(_ value: JSONValue?, error code: String) throws(DevReply) -> [String] {
        guard let value, value != .null else { return [] }
        let items: [String]
        if let single = value.stringValue {
            items = [single]
        } else if let many = DevRequest.strings(value) {
            items = many
        } else {
            throw DevReply.error(400, code, "expected a URL or an array of URLs")
        }
        for item in items where !Self.isSafeURL(item) {
            throw DevReply.error(400, code, "not an absolute http(s) URL without spaces, quotes or commas: \(item)")
        }
        return items
    }

    /// An optional array of strings; anything else than absent/null/array-of-strings throws 400 `code`.
    static func optionalStrings(_ value: JSONValue?, error code: String) throws(DevReply) -> [String]? {
        guard let value, value != .null else { return nil }
        guard let strings = DevRequest.strings(value) else {
            throw DevReply.error(400, code, "expected an array of strings")
        }
        return strings
    }
}
