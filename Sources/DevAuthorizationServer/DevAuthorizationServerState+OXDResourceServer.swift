import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// `/uma-rs-protect` (SPEC Part B §4.3): registers one AS resource per (path, condition) and records them on
    /// the RP. Everything is validated before anything is changed.
    /// - Throws: 400 `invalid_uma_request` (empty or malformed `resources`), `http_method_not_unique`,
    ///   `invalid_scope_expression`, `uma_protection_exists` (the RP already protects resources and `overwrite` is
    ///   not `true`; with `overwrite` the old AS resources are deleted first).
    mutating func protect(_ params: [String: JSONValue], rp: Client, now: Int64) throws(DevReply) -> HTTPResponseMessage
    {
        guard let resources = params["resources"]?.arrayValue, !resources.isEmpty else {
            throw DevReply.error(400, "invalid_uma_request", "resources is empty or not specified")
        }
        var pending: [ProtectedResource] = []
        for (index, resource) in resources.enumerated() {
            pending += try Self.parseProtectedResource(resource, index: index, now: now)
        }
        var updated = rp
        if !updated.protectedResources.isEmpty {
            guard params["overwrite"]?.boolValue == true else {
                throw DevReply.error(
                    400, "uma_protection_exists",
                    "Resources are already protected for this oxd_id; use overwrite=true to replace them")
            }
            for old in updated.protectedResources { self.resources[old.id] = nil }
            updated.protectedResources = []
        }
        for var resource in pending {
            resource.id = RandomToken.uuid()
            let scopes = resource.scopeExpression.flatMap { DevRequest.strings($0["data"]) } ?? resource.scopes
            let name = resource.path + " " + resource.httpMethods.joined(separator: ",")
            var description: [String: JSONValue] = [
                "name": .string(name), "resource_scopes": .array(scopes.map { .string($0) }), "iat": .int(resource.iat),
            ]
            if let expression = resource.scopeExpression {
                description["scope_expression"] = .string(JSONText.render(expression))
            }
            if let exp = resource.exp { description["exp"] = .int(exp) }
            self.resources[resource.id] = Resource(
                id: resource.id, ownerClientId: rp.clientId, name: name, scopes: scopes,
                scopeExpression: resource.scopeExpression, description: description, iat: now,
                sequence: self.nextSequence())
            updated.protectedResources.append(resource)
        }
        self.clients[rp.clientId] = updated
        return DevResponse.json(200, .object(["oxd_id": .string(rp.oxdId)]))
    }

    /// One `resources[]` item → one `ProtectedResource` per condition (ids assigned later).
    private static func parseProtectedResource(
        _ value: JSONValue, index: Int, now: Int64
    ) throws(DevReply) -> [ProtectedResource] {
        guard let path = DevRequest.nonBlank(value["path"]) else {
            throw DevReply.error(400, "invalid_uma_request", "resources[\(index)].path is empty or not specified")
        }
        guard let conditions = value["conditions"]?.arrayValue, !conditions.isEmpty else {
            throw DevReply.error(400, "invalid_uma_request", "resources[\(index)].conditions is empty")
        }
        var seenMethods: Set<String> = []
        var out: [ProtectedResource] = []
        for (c, condition) in conditions.enumerated() {
            let field = "resources[\(index)].conditions[\(c)]"
            guard let methods = DevRequest.strings(condition["httpMethods"]), !methods.isEmpty else {
                throw DevReply.error(400, "invalid_uma_request", "\(field).httpMethods is empty or not specified")
            }
            for method in methods {
                guard seenMethods.insert(method.uppercased()).inserted else {
                    throw DevReply.error(
                        400, "http_method_not_unique", "HTTP method \(method) is used twice for path \(path)")
                }
            }
            var expression: JSONValue?
            if let candidate = condition["scope_expression"], candidate != .null {
                guard ScopeExpressionEvaluator.validatedData(candidate) != nil else {
                    throw DevReply.error(400, "invalid_scope_expression", "\(field).scope_expression is invalid")
                }
                expression = candidate
            }
            let scopes = try Self.optionalStrings(condition["scopes"], error: "invalid_uma_request") ?? []
            let ticketScopes = try Self.optionalStrings(condition["ticketScopes"], error: "invalid_uma_request") ?? []
            let persistedTicketScopes =
                expression.flatMap { DevRequest.strings($0["data"]) } ?? (ticketScopes.isEmpty ? scopes : ticketScopes)
            out.append(
                ProtectedResource(
                    id: "", path: path, httpMethods: methods, scopes: scopes, scopeExpression: expression,
                    ticketScopes: persistedTicketScopes, iat: value["iat"]?.intValue ?? now, exp: value["exp"]?.intValue
                ))
        }
        return out
    }

    /// `/uma-rs-check-access` (SPEC Part B §4.4), the decision rule exactly:
    /// 1. resource = newest protected resource whose `path` equals `path` (case-insensitive) and whose methods
    ///    contain `http_method` (case-insensitive); none → 400 `invalid_request` "Resource is not protected…";
    /// 2. required scopes = `scopes` override, else resource `scopes`, else the expression's `data`;
    /// 4. granted iff `rpt` is non-empty and live and has a permission for the resource with any required scope,
    ///    or with any scopes at all when the resource has none (a condition written with only `httpMethods`;
    ///    this server's choice, the same as uma-pep's own `uma2` decision);
    /// 5. otherwise a ticket for the resource with `ticketScopes` (no override) or the required scopes, and
    ///    `denied` with `ticket` and `www-authenticate_header`.
    /// - Throws: 400 `invalid_path_parameter`, `invalid_http_method`, `bad_request` (no `rpt` string),
    ///   `invalid_request`, `invalid_resource_id` (the AS resource was deleted behind oxd's back).
    mutating func checkAccess(_ params: [String: JSONValue], rp: Client, now: Int64) throws(DevReply)
        -> HTTPResponseMessage
    {
        guard let path = DevRequest.nonBlank(params["path"]) else {
            throw DevReply.error(400, "invalid_path_parameter", "path is empty or not specified")
        }
        guard let method = DevRequest.nonBlank(params["http_method"]) else {
            throw DevReply.error(400, "invalid_http_method", "http_method is empty or not specified")
        }
        guard let rpt = params["rpt"]?.stringValue else {
            throw DevReply.error(400, "bad_request", "rpt is not specified (send \"\" when there is none)")
        }
        let override = try Self.optionalStrings(params["scopes"], error: "bad_request")
        let lowerPath = path.lowercased()
        let lowerMethod = method.lowercased()
        guard
            let resource = rp.protectedResources.last(where: { resource in
                resource.path.lowercased() == lowerPath
                    && resource.httpMethods.contains { $0.lowercased() == lowerMethod }
            })
        else {
            throw DevReply.error(
                400, "invalid_request",
                "Resource is not protected with path: \(path) and httpMethod: \(method). Please protect your resource "
                    + "first with uma_rs_protect command. Check details of uma_rs_protect command in documentation.")
        }
        var required = resource.scopes
        if required.isEmpty, let data = resource.scopeExpression.flatMap({ DevRequest.strings($0["data"]) }) {
            required = data
        }
        if let override, !override.isEmpty { required = override }
        if !rpt.isEmpty, let record = self.liveRPT(rpt, now: now),
            record.permissions.contains(where: { permission in
                permission.resourceId == resource.id && now < permission.expiresAt
                    && (required.isEmpty || permission.scopes.contains(where: required.contains))
            })
        {
            return DevResponse.json(200, .object(["access": .string("granted")]))
        }
        guard self.resources[resource.id] != nil else {
            throw DevReply.error(400, "invalid_resource_id", "the AS resource \(resource.id) no longer exists")
        }
        let ticketScopes =
            (override?.isEmpty ?? true) && !resource.ticketScopes.isEmpty ? resource.ticketScopes : required
        let ticket = self.issueTicket(
            [RequestedPermission(resourceId: resource.id, scopes: ticketScopes)], owner: rp.clientId, now: now)
        let header = "UMA realm=\"rs\",as_uri=\"\(rp.opHost)\",error=\"insufficient_scope\",ticket=\"\(ticket)\""
        return DevResponse.json(
            200,
            .object([
                "access": .string("denied"), "ticket": .string(ticket), "www-authenticate_header": .string(header),
            ]))
    }

    /// `/introspect-rpt` (SPEC Part B §4.5): the RPT's introspection, or `{"active": false, …nulls}`.
    /// - Throws: 400 `bad_request` when `rpt` is not a string.
    func introspectRPT(_ params: [String: JSONValue], now: Int64) throws(DevReply) -> HTTPResponseMessage {
        guard let rpt = params["rpt"]?.stringValue else {
            throw DevReply.error(400, "bad_request", "rpt is not specified")
        }
        if let record = self.liveRPT(rpt, now: now) {
            var members = self.introspectionMembers(record)
            members["token_type"] = nil
            return DevResponse.json(200, .object(members))
        }
        var inactive: [String: JSONValue] = ["active": .bool(false)]
        for key in ["exp", "iat", "nbf", "client_id", "sub", "aud", "iss", "jti", "permissions"] {
            inactive[key] = .null
        }
        return DevResponse.json(200, .object(inactive))
    }
}
