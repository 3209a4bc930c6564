import PEPCore

/// A UMA grant request at the token endpoint, whether it came as a form (`/token`) or through oxd
/// `/uma-rp-get-rpt` (UMA 2.0 Grant §3.3.1; SPEC Part B §5.6).
struct UMAGrantRequest {
    /// The authenticated requesting client.
    var clientId: String
    var ticket: String
    var claimToken: String?
    var claimTokenFormat: String?
    var pct: String?
    var rpt: String?
    /// Extra scopes asked for (`scope`), each of which must belong to a resource of the ticket.
    var scopes: [String] = []
}

/// A successful UMA grant: the RPT, a PCT with the claims used, and whether an RPT was upgraded.
struct UMAGrantSuccess {
    var accessToken: String
    var pct: String
    var upgraded: Bool
    var expiresIn: Int64
}

/// A failed UMA grant in Gluu's flat error form (SPEC Part B §5.7); `status` is the token endpoint's.
struct UMAGrantFailure: Error {
    var status: Int
    var code: String
    var description: String
    var extra: [String: JSONValue] = [:]

    /// The error body: `{error, error_description[, ticket, required_claims, redirect_user]}`.
    var body: JSONValue {
        var members: [String: JSONValue] = [
            "error": .string(self.code), "error_description": .string(self.description),
        ]
        for (key, value) in self.extra { members[key] = value }
        return .object(members)
    }
}

extension DevAuthorizationServerState {
    /// The claim token formats accepted (SPEC Part B §5.6).
    static let claimTokenFormats = [
        "http://openid.net/specs/openid-connect-core-1_0.html#IDToken", "urn:ietf:params:oauth:token-type:jwt",
    ]

    /// Redeems a permission ticket (UMA 2.0 Grant §3.3; oxAuth policy evaluation, SPEC Part B §5.10).
    ///
    /// Validation first (ticket known → `invalid_ticket`, unexpired → `expired_ticket`, claim token, PCT, a
    /// foreign live RPT, scopes), which leaves the ticket usable; then the ticket is consumed. An `rpt` that is no
    /// live RPT is ignored (no upgrade). Claims = the ticket's gathered claims,
    /// then the PCT's, then the claim token's. If a policy of an involved scope needs a claim nobody supplied:
    /// 403 `need_info` with a new ticket, `required_claims` and `redirect_user`. If a policy fails: 403
    /// `forbidden_by_policy`. A scope expression combines the per-scope results with its rule; only passing scopes
    /// are granted. Otherwise a new RPT (merged with an upgraded `rpt`) and a PCT.
    mutating func redeem(_ request: UMAGrantRequest, now: Int64) throws(UMAGrantFailure) -> UMAGrantSuccess {
        let ticket: Ticket
        switch self.lookUpTicket(request.ticket, now: now) {
        case .unknown:
            throw UMAGrantFailure(status: 400, code: "invalid_ticket", description: "ticket is unknown or used")
        case .expired: throw UMAGrantFailure(status: 400, code: "expired_ticket", description: "ticket has expired")
        case .live(let live): ticket = live
        }
        var claims = ticket.claims
        if let pct = request.pct {
            guard let record = self.pcts[pct], now < record.expiresAt, record.clientId == request.clientId else {
                throw UMAGrantFailure(
                    status: 400, code: "invalid_pct", description: "pct is unknown, expired or foreign")
            }
            claims.merge(record.claims) { _, new in new }
        }
        if request.claimToken != nil || request.claimTokenFormat != nil {
            claims.merge(try Self.claims(fromToken: request.claimToken, format: request.claimTokenFormat)) { _, new in
                new
            }
        }
        // `rpt` (UMA 2.0 Grant §3.3.1) asks for an upgrade. A value that is no live RPT — unknown, expired, or
        // another kind of token, such as the client's own access token that off-the-shelf UMA clients send on
        // their first request — is treated as absent: a new RPT, `upgraded: false` (§3.3.5.1). A live RPT of
        // another client is refused rather than ignored: its permissions must not merge into this client's.
        var previous: RPT?
        if let rpt = request.rpt, let record = self.liveRPT(rpt, now: now) {
            guard record.clientId == request.clientId else {
                throw UMAGrantFailure(status: 400, code: "invalid_rpt", description: "rpt belongs to another client")
            }
            previous = record
        }
        var resources: [Resource] = []
        for permission in ticket.permissions {
            guard let resource = self.resources[permission.resourceId] else {
                throw UMAGrantFailure(
                    status: 400, code: "invalid_resource_id", description: "a ticket resource is gone")
            }
            resources.append(resource)
        }
        for scope in request.scopes where !resources.contains(where: { $0.scopes.contains(scope) }) {
            throw UMAGrantFailure(
                status: 400, code: "invalid_scope", description: "scope \(scope) is not on the resource")
        }
        self.tickets[request.ticket] = nil

        var evaluated: [(permission: RequestedPermission, resource: Resource, scopes: [String])] = []
        var missing: [DevClaimRequirement] = []
        for (permission, resource) in zip(ticket.permissions, resources) {
            let data = resource.scopeExpression.flatMap { DevRequest.strings($0["data"]) }
            var scopes = data ?? permission.scopes
            for scope in request.scopes where resource.scopes.contains(scope) && !scopes.contains(scope) {
                scopes.append(scope)
            }
            evaluated.append((permission, resource, scopes))
            for scope in scopes {
                for claim in self.configuration.policy(for: scope).requiredClaims
                where claims[claim.name] == nil && !missing.contains(where: { $0.name == claim.name }) {
                    missing.append(claim)
                }
            }
        }
        if !missing.isEmpty {
            let next = self.issueTicket(ticket.permissions, owner: ticket.ownerClientId, claims: claims, now: now)
            throw self.needInfo(ticket: next, clientId: request.clientId, missing: missing)
        }
        var granted: [RequestedPermission] = []
        for item in evaluated {
            let passes = item.scopes.map { self.policyPasses($0, claims: claims) }
            if let rule = item.resource.scopeExpression?["rule"] {
                guard ScopeExpressionEvaluator.evaluate(rule, vector: passes) == true else {
                    throw UMAGrantFailure(
                        status: 403, code: "forbidden_by_policy", description: "the scope expression denies access")
                }
            } else if passes.contains(false) {
                throw UMAGrantFailure(
                    status: 403, code: "forbidden_by_policy", description: "a scope policy denies access")
            }
            let scopes = zip(item.scopes, passes).filter { $0.1 }.map { $0.0 }
            Self.merge(RequestedPermission(resourceId: item.permission.resourceId, scopes: scopes), into: &granted)
        }
        for old in previous?.permissions ?? [] where now < old.expiresAt {
            Self.merge(RequestedPermission(resourceId: old.resourceId, scopes: old.scopes), into: &granted)
        }
        let lifetime = self.configuration.rptLifetimeSeconds
        guard
            let token = self.mintRPT(
                clientId: request.clientId, permissions: granted, lifetime: lifetime, now: now,
                extra: previous?.extra ?? [:])
        else { throw UMAGrantFailure(status: 500, code: "server_error", description: "the RPT could not be signed") }
        let pct = self.issuePCT(clientId: request.clientId, claims: claims, now: now)
        return UMAGrantSuccess(accessToken: token, pct: pct, upgraded: previous != nil, expiresIn: lifetime)
    }

    /// Whether `scope`'s policy authorizes with `claims` (values compared after trimming spaces).
    func policyPasses(_ scope: String, claims: [String: String]) -> Bool {
        switch self.configuration.policy(for: scope) {
        case .allow: return true
        case .deny: return false
        case .requireClaims(let required):
            return required.allSatisfy { claims[$0.name]?.trimmingSpaces() == $0.expectedValue }
        }
    }

    /// The 403 `need_info` failure (SPEC Part B §4.6 example, §5.7).
    func needInfo(ticket: String, clientId: String, missing: [DevClaimRequirement]) -> UMAGrantFailure {
        let required: [JSONValue] = missing.map { claim in
            .object([
                "name": .string(claim.name), "friendly_name": .string(claim.friendlyName),
                "claim_type": .string("string"),
                "claim_token_format": .array([.string(Self.claimTokenFormats[0])]),
                "issuer": .array([.string(self.issuer)]),
            ])
        }
        let redirect =
            self.issuer + "/gather_claims?"
            + FormURLEncoding.query([("gathering_id", "dev"), ("client_id", clientId), ("ticket", ticket)])
        return UMAGrantFailure(
            status: 403, code: "need_info", description: "the policy needs claims",
            extra: ["ticket": .string(ticket), "required_claims": .array(required), "redirect_user": .string(redirect)])
    }

    /// Claims from a pushed claim token: a JWT (signature not checked: this is a development server) whose
    /// payload members become string claims. Base64url and the reference PEP's standard base64 both decode.
    static func claims(fromToken token: String?, format: String?) throws(UMAGrantFailure) -> [String: String] {
        guard let format, self.claimTokenFormats.contains(format) else {
            throw UMAGrantFailure(
                status: 400, code: "invalid_claim_token_format", description: "claim_token_format is not supported")
        }
        let parts = (token ?? "").split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let payload = FormURLEncoding.decodeBase64(String(parts[1])),
            let object = JSONText.parse(payload)?.objectValue
        else {
            throw UMAGrantFailure(status: 400, code: "invalid_claim_token", description: "claim_token is not a JWT")
        }
        var claims: [String: String] = [:]
        for (name, value) in object {
            switch value {
            case .string(let s): claims[name] = s
            case .int, .double, .bool: claims[name] = JSONText.render(value)
            default: break
            }
        }
        return claims
    }

    /// Adds `permission` to `list`, uniting scopes with an existing permission for the same resource.
    static func merge(_ permission: RequestedPermission, into list: inout [RequestedPermission]) {
        if let index = list.firstIndex(where: { $0.resourceId == permission.resourceId }) {
            for scope in permission.scopes where !list[index].scopes.contains(scope) {
                list[index].scopes.append(scope)
            }
        } else {
            list.append(permission)
        }
    }
}
