import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// `GET /.well-known/uma2-configuration` (UMA 2.0 Grant §2; SPEC Part B §5.1).
    func discovery() -> HTTPResponseMessage {
        let strings: ([String]) -> JSONValue = { .array($0.map { .string($0) }) }
        return DevResponse.json(
            200,
            .object([
                "issuer": .string(self.issuer),
                "token_endpoint": .string(self.issuer + "/token"),
                "jwks_uri": .string(self.issuer + "/jwks"),
                "introspection_endpoint": .string(self.issuer + "/introspect"),
                "resource_registration_endpoint": .string(self.issuer + "/resource_set"),
                "permission_endpoint": .string(self.issuer + "/permission"),
                "claims_interaction_endpoint": .string(self.issuer + "/gather_claims"),
                "grant_types_supported": strings(["client_credentials", "refresh_token", Self.umaTicketGrant]),
                "token_endpoint_auth_methods_supported": strings(["client_secret_basic", "client_secret_post"]),
                "response_types_supported": strings(["token"]),
                "uma_profiles_supported": strings([]),
                "ui_locales_supported": strings(["en"]),
            ]))
    }

    /// `GET /jwks`: `{"keys": [<RS256 JWK with n, e, kid, x5c>]}` (RFC 7517 §5).
    mutating func jwks(now: Int64) throws(DevReply) -> HTTPResponseMessage {
        guard let key = self.key(now: now) else {
            throw DevReply.error(500, "server_error", "the signing key could not be created")
        }
        return DevResponse.json(200, .object(["keys": .array([key.jwk])]))
    }

    /// The client of a live PAT (`Authorization: Bearer`, scope `uma_protection`; UMA FedAuthz §1.3).
    /// - Throws: 401 `invalid_token` (with `WWW-Authenticate: Bearer error="invalid_token"`), 403 `insufficient_scope`.
    func requirePAT(_ request: HTTPRequestMessage, now: Int64) throws(DevReply) -> Client {
        guard let token = DevRequest.bearerToken(request), let record = self.liveAccessToken(token, now: now),
            let client = self.clients[record.clientId]
        else {
            throw DevReply.error(
                401, "invalid_token", "a live PAT is required",
                headers: [("WWW-Authenticate", "Bearer realm=\"uma-pep-dev-as\", error=\"invalid_token\"")])
        }
        guard record.scopes.contains("uma_protection") else {
            throw DevReply.error(403, "insufficient_scope", "the token lacks scope uma_protection")
        }
        return client
    }

    /// `GET|POST /resource_set` (UMA FedAuthz §3.2): list the caller's resource ids, or register one →
    /// 201 `{"_id"}`.
    mutating func resourceSetCollection(_ request: HTTPRequestMessage, now: Int64) throws(DevReply)
        -> HTTPResponseMessage
    {
        let owner = try self.requirePAT(request, now: now)
        switch request.method {
        case "GET":
            let ids = self.resources.values.filter { $0.ownerClientId == owner.clientId }
                .sorted { $0.sequence < $1.sequence }.map { JSONValue.string($0.id) }
            return DevResponse.json(200, .array(ids))
        case "POST":
            let id = RandomToken.uuid()
            self.resources[id] = try self.parseResourceDescription(request, id: id, owner: owner.clientId, now: now)
            return DevResponse.json(
                201, .object(["_id": .string(id)]), headers: [("Location", self.issuer + "/resource_set/" + id)])
        default:
            return DevResponse.methodNotAllowed("GET, POST")
        }
    }

    /// `GET|PUT|DELETE /resource_set/{id}` (UMA FedAuthz §3.2.2–3.2.4). Another client's or an unknown id → 404.
    mutating func resourceSetItem(
        _ request: HTTPRequestMessage, id: String, now: Int64
    ) throws(DevReply) -> HTTPResponseMessage {
        let owner = try self.requirePAT(request, now: now)
        guard let resource = self.resources[id], resource.ownerClientId == owner.clientId else {
            throw DevReply.error(404, "not_found", "no resource with this id")
        }
        switch request.method {
        case "GET":
            var description = resource.description
            description["_id"] = .string(id)
            return DevResponse.json(200, .object(description))
        case "PUT":
            var replaced = try self.parseResourceDescription(request, id: id, owner: owner.clientId, now: now)
            replaced.sequence = resource.sequence
            self.resources[id] = replaced
            return DevResponse.json(200, .object(["_id": .string(id)]))
        case "DELETE":
            self.resources[id] = nil
            return HTTPResponseMessage(status: 204)
        default:
            return DevResponse.methodNotAllowed("GET, PUT, DELETE")
        }
    }

    /// A resource description body: `resource_scopes` (array of strings) required; `scope_expression` as an
    /// object or its JSON text (Gluu); `name`, `type`, `icon_uri`, `description`, `iat`, `exp` kept as given.
    /// - Throws: 400 `invalid_request`, `invalid_scope_expression`.
    private mutating func parseResourceDescription(
        _ request: HTTPRequestMessage, id: String, owner: String, now: Int64
    ) throws(DevReply) -> Resource {
        guard let body = DevRequest.jsonObject(request) else {
            throw DevReply.error(400, "invalid_request", "the body must be a JSON resource description")
        }
        guard let scopes = DevRequest.strings(body["resource_scopes"]) else {
            throw DevReply.error(400, "invalid_request", "resource_scopes must be an array of strings")
        }
        var expression: JSONValue?
        if let raw = body["scope_expression"], raw != .null {
            let parsed = raw.stringValue.flatMap { JSONText.parse($0) } ?? raw
            guard ScopeExpressionEvaluator.validatedData(parsed) != nil else {
                throw DevReply.error(400, "invalid_scope_expression", "scope_expression is invalid")
            }
            expression = parsed
        }
        return Resource(
            id: id, ownerClientId: owner, name: body["name"]?.stringValue ?? "", scopes: scopes,
            scopeExpression: expression, description: body, iat: body["iat"]?.intValue ?? now,
            sequence: self.nextSequence())
    }

    /// `POST /permission` (UMA FedAuthz §4): one permission object or a non-empty array of them →
    /// 201 `{"ticket"}`.
    /// - Throws: 400 `invalid_request` (shape), `invalid_resource_id` (unknown or another client's resource),
    ///   `invalid_scope` (a scope the resource does not have); PAT errors of `requirePAT`.
    mutating func permissionEndpoint(_ request: HTTPRequestMessage, now: Int64) throws(DevReply) -> HTTPResponseMessage
    {
        let owner = try self.requirePAT(request, now: now)
        guard let body = JSONText.parse(request.body) else {
            throw DevReply.error(400, "invalid_request", "the body must be JSON")
        }
        let items = body.arrayValue ?? [body]
        guard !items.isEmpty else { throw DevReply.error(400, "invalid_request", "no permission requested") }
        var permissions: [RequestedPermission] = []
        for item in items {
            guard let resourceId = item["resource_id"]?.stringValue,
                let scopes = DevRequest.strings(item["resource_scopes"])
            else {
                throw DevReply.error(400, "invalid_request", "each permission needs resource_id and resource_scopes")
            }
            guard let resource = self.resources[resourceId], resource.ownerClientId == owner.clientId else {
                throw DevReply.error(400, "invalid_resource_id", "resource_id \(resourceId) is not registered")
            }
            for scope in scopes where !resource.scopes.contains(scope) {
                throw DevReply.error(400, "invalid_scope", "scope \(scope) is not a scope of resource \(resourceId)")
            }
            Self.merge(RequestedPermission(resourceId: resourceId, scopes: scopes), into: &permissions)
        }
        let ticket = self.issueTicket(permissions, owner: owner.clientId, now: now)
        return DevResponse.json(201, .object(["ticket": .string(ticket)]))
    }

    /// `POST /introspect` (RFC 7662 §2; UMA FedAuthz §5), form `token=…`: the RPT's introspection with
    /// `permissions[]`, or `{"active": false}`. Authenticated by a PAT bearer or client credentials (Basic/post).
    /// - Throws: 401 `invalid_token` / `invalid_client`; 400 `invalid_request` without `token`.
    mutating func introspectionEndpoint(_ request: HTTPRequestMessage, now: Int64) throws(DevReply)
        -> HTTPResponseMessage
    {
        let form = DevRequest.form(request)
        if DevRequest.bearerToken(request) != nil {
            _ = try self.requirePAT(request, now: now)
        } else {
            _ = try self.authenticateClient(request, form: form, allowBearer: false, now: now)
        }
        guard let token = form.first("token"), !token.isEmpty else {
            throw DevReply.error(400, "invalid_request", "token is required")
        }
        guard let record = self.liveRPT(token, now: now) else {
            return DevResponse.json(200, .object(["active": .bool(false)]))
        }
        return DevResponse.json(200, .object(self.introspectionMembers(record)))
    }
}
