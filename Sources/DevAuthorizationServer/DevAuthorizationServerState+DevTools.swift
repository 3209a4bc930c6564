import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// The `/_dev/*` test hooks (not logged in `/_dev/calls`, not subject to faults):
    /// - `GET /_dev/calls` → `{"calls":[{"endpoint","method","at","status"}], "counts":{"/introspect-rpt":3}}`;
    ///   `DELETE /_dev/calls` → 204, log and counts reset.
    /// - `POST /_dev/tokens` → mint an RPT directly (see `mintTestToken`).
    /// - `POST /_dev/fault` `{"endpoint":"/introspect-rpt","count":1,"kind":"status|garbage|hang|body",
    ///   "status":500,"delay_ms":1000,"body":"not json"}` → the next `count` calls of that endpoint fail that way
    ///   (`hang` waits `delay_ms`, then answers normally; `body` answers `status` with exactly the `body` text as
    ///   `application/json`, e.g. `{"active":"true"}`); `DELETE /_dev/fault` → 204, all faults cleared.
    /// - `GET /_dev/clock` → `{"now","offset"}`; `POST /_dev/clock {"advance_seconds": n}` moves the server's
    ///   clock forward (tickets, tokens and PCTs expire accordingly).
    /// - `DELETE /_dev/resources` → 204: every registered resource is forgotten, the oxd registrations'
    ///   (`/uma-rs-protect`) and the UMA 2.0 resource sets alike, as after an authorization server lost its state.
    /// - `POST /_dev/rotate-key` → `{"kid"}`: a new RSA signing key replaces the old one (JWT RPTs are signed with
    ///   it; `/jwks` and oxd `/get-jwks` publish only it), as after a key rotation without overlap.
    mutating func handleDevTool(_ request: HTTPRequestMessage, path: String, now: Int64) -> HTTPResponseMessage {
        switch (request.method, path) {
        case ("GET", "/_dev/calls"):
            let calls: [JSONValue] = self.calls.map { call in
                .object([
                    "endpoint": .string(call.endpoint), "method": .string(call.method), "at": .int(call.at),
                    "status": .int(Int64(call.status)),
                ])
            }
            return DevResponse.json(
                200,
                .object([
                    "calls": .array(calls), "counts": .object(self.callCounts.mapValues { .int(Int64($0)) }),
                ]))
        case ("DELETE", "/_dev/calls"):
            self.calls = []
            self.callCounts = [:]
            return HTTPResponseMessage(status: 204)
        case ("POST", "/_dev/tokens"):
            do {
                return try self.mintTestToken(request, now: now)
            } catch {
                return error.response
            }
        case ("POST", "/_dev/fault"):
            return self.injectFault(request)
        case ("DELETE", "/_dev/fault"):
            self.faults = [:]
            return HTTPResponseMessage(status: 204)
        case ("POST", "/_dev/rotate-key"):
            return self.rotateSigningKey(now: now)
        case ("DELETE", "/_dev/resources"):
            self.resources = [:]
            for id in self.clients.keys { self.clients[id]?.protectedResources = [] }
            return HTTPResponseMessage(status: 204)
        case ("GET", "/_dev/clock"), ("POST", "/_dev/clock"):
            var current = now
            if request.method == "POST" {
                guard let seconds = DevRequest.jsonObject(request)?["advance_seconds"]?.intValue, seconds >= 0 else {
                    return DevResponse.error(400, "invalid_request", "advance_seconds must be a non-negative integer")
                }
                self.clockOffset += seconds
                current += seconds
            }
            return DevResponse.json(200, .object(["now": .int(current), "offset": .int(self.clockOffset)]))
        case (_, "/_dev/calls"), (_, "/_dev/tokens"), (_, "/_dev/fault"), (_, "/_dev/clock"):
            return DevResponse.methodNotAllowed(path == "/_dev/tokens" ? "POST" : "GET, POST, DELETE")
        case (_, "/_dev/resources"):
            return DevResponse.methodNotAllowed("DELETE")
        case (_, "/_dev/rotate-key"):
            return DevResponse.methodNotAllowed("POST")
        default:
            return DevResponse.notFound(path)
        }
    }

    /// `POST /_dev/tokens`: mints an RPT without a ticket, for tests and benchmarks. Body:
    /// `{"client_id"?: default the first configured client, "permissions": [{"resource_path": "/posts/??",
    /// "http_method": "GET", "scopes": ["read"]} | {"resource_id": "…", "scopes": […]}], "lifetime"?: seconds
    /// (default the RPT lifetime), "token"?: a fixed token value, "claims"?: {extra introspection members},
    /// "omit_claims"?: [standard members to leave out of introspection, e.g. "exp"]}`. The token stays live for
    /// `lifetime` whatever `claims` say, so `{"claims": {"exp": <past>}}` mints an RPT that introspects as
    /// `active: true` with an `exp` in the past, and `{"omit_claims": ["exp"]}` one without `exp`.
    /// `resource_path` is looked up among oxd-protected resources (method `?` matches any), then among
    /// `/resource_set` resources whose `name` is the path, optionally followed by methods (`"/posts/?? GET,POST"`);
    /// among several matches, see ``findResource(path:method:scopes:clientId:)``. Omitted `scopes` = all the
    /// resource's scopes. → `{"access_token", "token_type", "expires_in"}`.
    /// - Throws: 400 `invalid_request`, `invalid_resource` (no such resource).
    mutating func mintTestToken(_ request: HTTPRequestMessage, now: Int64) throws(DevReply) -> HTTPResponseMessage {
        guard let body = DevRequest.jsonObject(request) else {
            throw DevReply.error(400, "invalid_request", "the body must be a JSON object")
        }
        let clientId = body["client_id"]?.stringValue ?? self.configuration.clients.first?.clientId ?? "demo-client"
        var permissions: [RequestedPermission] = []
        for (index, item) in (body["permissions"]?.arrayValue ?? []).enumerated() {
            let resolved: (id: String, scopes: [String])
            if let id = item["resource_id"]?.stringValue {
                resolved = (id, self.resources[id]?.scopes ?? [])
            } else if let path = item["resource_path"]?.stringValue {
                let method = item["http_method"]?.stringValue ?? "GET"
                let wanted = DevRequest.strings(item["scopes"]) ?? []
                guard let found = self.findResource(path: path, method: method, scopes: wanted, clientId: clientId)
                else {
                    throw DevReply.error(400, "invalid_resource", "no resource registered for \(method) \(path)")
                }
                resolved = found
            } else {
                throw DevReply.error(400, "invalid_request", "permissions[\(index)] needs resource_id or resource_path")
            }
            let scopes = DevRequest.strings(item["scopes"]) ?? resolved.scopes
            Self.merge(RequestedPermission(resourceId: resolved.id, scopes: scopes), into: &permissions)
        }
        let lifetime = body["lifetime"]?.intValue ?? self.configuration.rptLifetimeSeconds
        var fixed: String?
        if let token = body["token"]?.stringValue {
            guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw DevReply.error(400, "invalid_request", "token must be non-empty visible ASCII")
            }
            fixed = token
        }
        var omitted: [String] = []
        if let names = body["omit_claims"] {
            guard let list = DevRequest.strings(names), !list.contains("active") else {
                throw DevReply.error(400, "invalid_request", "omit_claims must be a list of member names but active")
            }
            omitted = list
        }
        guard
            let token = self.mintRPT(
                clientId: clientId, permissions: permissions, lifetime: lifetime, now: now,
                extra: body["claims"]?.objectValue ?? [:], fixedToken: fixed, omitting: omitted)
        else { throw DevReply.error(500, "server_error", "the RPT could not be signed") }
        return DevResponse.json(
            200,
            .object([
                "access_token": .string(token), "token_type": .string("Bearer"), "expires_in": .int(lifetime),
            ]), noStore: true)
    }

    /// The AS resource for a rule path and method (see `mintTestToken`), with its grantable scopes. When several
    /// match (services protect the same path, each through its own oxd client), the choice goes to one whose
    /// scopes include every scope in `scopes`, then to one that `clientId`'s oxd registration protected (the
    /// service whose client the token is minted for), then to the newest.
    func findResource(
        path: String, method: String, scopes: [String] = [], clientId: String? = nil
    ) -> (id: String, scopes: [String])? {
        let lowerPath = path.lowercased()
        let lowerMethod = method.lowercased()
        typealias Candidate = (resource: Resource, ownClient: Bool)
        // Better: grants every wanted scope, then protected by the token's own client, then registered later.
        func better(_ a: Candidate, than b: Candidate?) -> Bool {
            guard let b else { return true }
            let coversA = scopes.allSatisfy(a.resource.scopes.contains)
            let coversB = scopes.allSatisfy(b.resource.scopes.contains)
            if coversA != coversB { return coversA }
            if a.ownClient != b.ownClient { return a.ownClient }
            return a.resource.sequence > b.resource.sequence
        }
        var best: Candidate?
        for client in self.clients.values {
            for protected in client.protectedResources.reversed()
            where protected.path.lowercased() == lowerPath
                && protected.httpMethods.contains(where: { $0.lowercased() == lowerMethod || $0 == "?" })
            {
                guard let resource = self.resources[protected.id] else { continue }
                let candidate = (resource, client.clientId == clientId)
                if better(candidate, than: best) { best = candidate }
                break
            }
        }
        if let best { return (best.resource.id, best.resource.scopes) }
        var bestNamed: Candidate?
        for resource in self.resources.values {
            let words = resource.name.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first, first.lowercased() == lowerPath else { continue }
            let methods = words.dropFirst().joined(separator: " ")
                .split(whereSeparator: { !$0.isLetter && $0 != "?" }).map { $0.lowercased() }
            if methods.isEmpty || methods.contains(lowerMethod) || methods.contains("?"),
                better((resource, false), than: bestNamed)
            {
                bestNamed = (resource, false)
            }
        }
        return bestNamed.map { ($0.resource.id, $0.resource.scopes) }
    }

    /// `POST /_dev/fault` (see `handleDevTool`).
    private mutating func injectFault(_ request: HTTPRequestMessage) -> HTTPResponseMessage {
        guard let body = DevRequest.jsonObject(request), let endpoint = body["endpoint"]?.stringValue,
            endpoint.hasPrefix("/")
        else { return DevResponse.error(400, "invalid_request", "endpoint (a path starting with /) is required") }
        guard let kind = Fault.Kind(rawValue: body["kind"]?.stringValue ?? "status") else {
            return DevResponse.error(400, "invalid_request", "kind must be status, garbage, hang or body")
        }
        let text = body["body"]?.stringValue
        guard kind != .body || text != nil else {
            return DevResponse.error(400, "invalid_request", "a body fault needs body (a string)")
        }
        let count = Int(body["count"]?.intValue ?? 1)
        let status = Int(body["status"]?.intValue ?? 500)
        let delay = Int(body["delay_ms"]?.intValue ?? 1000)
        guard count >= 0, (100...599).contains(status), (0...600_000).contains(delay) else {
            return DevResponse.error(400, "invalid_request", "count >= 0, status 100-599, delay_ms 0-600000")
        }
        self.faults[endpoint] = Fault(
            kind: kind, remaining: count, status: status, delayMilliseconds: delay, body: Array((text ?? "").utf8))
        return DevResponse.json(200, .object(["endpoint": .string(endpoint), "remaining": .int(Int64(count))]))
    }

    /// Takes one use of the fault armed for `endpoint`, if any.
    mutating func takeFault(endpoint: String) -> Fault? {
        guard var fault = self.faults[endpoint], fault.remaining > 0 else { return nil }
        fault.remaining -= 1
        self.faults[endpoint] = fault.remaining > 0 ? fault : nil
        return fault
    }

    /// Appends to the call log (bounded by `maxCallLogEntries`) and bumps the endpoint's count. Endpoints beyond
    /// 1 000 distinct keys are counted under `(other)`.
    mutating func recordCall(endpoint: String, method: String, status: Int, now: Int64) {
        let key = self.callCounts[endpoint] != nil || self.callCounts.count < 1000 ? endpoint : "(other)"
        self.callCounts[key, default: 0] += 1
        self.calls.append(Call(endpoint: key, method: method, at: now, status: status))
        let limit = max(1, self.configuration.maxCallLogEntries)
        if self.calls.count > limit + limit / 4 { self.calls.removeFirst(self.calls.count - limit) }
    }

    /// `POST /_dev/rotate-key`: generates a new signing key (RS256, 2048 bits) → 200 `{"kid"}`, or 500.
    mutating func rotateSigningKey(now: Int64) -> HTTPResponseMessage {
        guard let key = try? RSASigningKey.generate(now: now) else {
            return DevResponse.error(500, "server_error", "the signing key could not be created")
        }
        self.signingKey = key
        return DevResponse.json(200, .object(["kid": .string(key.kid)]))
    }
}
