import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// The UMA grant type URN (UMA 2.0 Grant §3.3.1).
    static let umaTicketGrant = "urn:ietf:params:oauth:grant-type:uma-ticket"
    /// Scopes `client_credentials` may grant.
    static let clientCredentialScopes: Set<String> = ["uma_protection", "openid", "oxd"]

    /// `POST /token` (RFC 6749 §3.2, UMA 2.0 Grant §3.3; SPEC Part B §5.2, §5.6, §5.7), form-encoded.
    ///
    /// Client authentication: `client_secret_basic`, `client_secret_post`, or (for the UMA grant only) a bearer
    /// access token this server issued to a registered client. Grants:
    /// - `client_credentials` → a PAT; `scope` (space-separated, default `uma_protection`) from
    ///   `uma_protection openid oxd`, else 400 `invalid_scope`;
    /// - `refresh_token` → a new access token (rotated refresh token), else 400 `invalid_grant`;
    /// - `urn:ietf:params:oauth:grant-type:uma-ticket` → an RPT, with the errors of `redeem(_:now:)`.
    /// - Throws: 401 `invalid_client`; 400 `invalid_request` (missing `grant_type`/`ticket`, half a claim token),
    ///   `invalid_grant_type`.
    mutating func tokenEndpoint(_ request: HTTPRequestMessage, now: Int64) throws(DevReply) -> HTTPResponseMessage {
        let form = DevRequest.form(request)
        guard let grantType = form.first("grant_type"), !grantType.isEmpty else {
            throw DevReply.error(400, "invalid_request", "grant_type is required")
        }
        let client = try self.authenticateClient(
            request, form: form, allowBearer: grantType == Self.umaTicketGrant, now: now)
        let scopes = (form.first("scope") ?? "").split(separator: " ").map(String.init)
        switch grantType {
        case "client_credentials":
            let granted = scopes.isEmpty ? ["uma_protection"] : scopes
            for scope in granted where !Self.clientCredentialScopes.contains(scope) {
                throw DevReply.error(400, "invalid_scope", "scope \(scope) cannot be granted to a client")
            }
            let (token, refresh, lifetime) = self.issueAccessToken(clientId: client.clientId, scopes: granted, now: now)
            return Self.oauthTokenResponse(token, refresh: refresh, lifetime: lifetime, scopes: granted)
        case "refresh_token":
            guard let refresh = form.first("refresh_token"), let record = self.refreshTokens[refresh],
                record.clientId == client.clientId
            else { throw DevReply.error(400, "invalid_grant", "refresh_token is unknown or foreign") }
            self.refreshTokens[refresh] = nil
            let (token, newRefresh, lifetime) = self.issueAccessToken(
                clientId: client.clientId, scopes: record.scopes, now: now)
            return Self.oauthTokenResponse(token, refresh: newRefresh, lifetime: lifetime, scopes: record.scopes)
        case Self.umaTicketGrant:
            guard let ticket = form.first("ticket"), !ticket.isEmpty else {
                throw DevReply.error(400, "invalid_request", "ticket is required")
            }
            let claimToken = form.first("claim_token").flatMap { $0.isEmpty ? nil : $0 }
            let claimTokenFormat = form.first("claim_token_format").flatMap { $0.isEmpty ? nil : $0 }
            guard (claimToken == nil) == (claimTokenFormat == nil) else {
                throw DevReply.error(400, "invalid_request", "claim_token and claim_token_format go together")
            }
            let grant = UMAGrantRequest(
                clientId: client.clientId, ticket: ticket, claimToken: claimToken, claimTokenFormat: claimTokenFormat,
                pct: form.first("pct").flatMap { $0.isEmpty ? nil : $0 },
                rpt: form.first("rpt").flatMap { $0.isEmpty ? nil : $0 }, scopes: scopes)
            do {
                let success = try self.redeem(grant, now: now)
                return DevResponse.json(
                    200,
                    .object([
                        "access_token": .string(success.accessToken), "token_type": .string("Bearer"),
                        "expires_in": .int(success.expiresIn), "pct": .string(success.pct),
                        "upgraded": .bool(success.upgraded),
                    ]), noStore: true)
            } catch {
                return DevResponse.json(error.status, error.body, noStore: true)
            }
        default:
            throw DevReply.error(400, "invalid_grant_type", "grant_type \(grantType) is not supported")
        }
    }

    /// Authenticates the calling client (RFC 6749 §2.3.1): Basic header first, then `client_id` +
    /// `client_secret` form fields, then (when `allowBearer`) a live bearer access token of a registered client.
    /// - Throws: 401 `invalid_client` (with `WWW-Authenticate: Basic` when Basic was tried).
    func authenticateClient(
        _ request: HTTPRequestMessage, form: [(name: String, value: String)], allowBearer: Bool, now: Int64
    ) throws(DevReply) -> Client {
        if let basic = DevRequest.basicCredentials(request) {
            let client =
                self.authenticate(clientId: basic.rawClientId, secret: basic.rawSecret)
                ?? self.authenticate(clientId: basic.clientId, secret: basic.secret)
            guard let client else {
                throw DevReply.error(
                    401, "invalid_client", "client authentication failed",
                    headers: [("WWW-Authenticate", "Basic realm=\"uma-pep-dev-as\"")])
            }
            return client
        }
        if let clientId = form.first("client_id"), let secret = form.first("client_secret") {
            guard let client = self.authenticate(clientId: clientId, secret: secret) else {
                throw DevReply.error(401, "invalid_client", "client authentication failed")
            }
            return client
        }
        if allowBearer, let token = DevRequest.bearerToken(request) {
            guard let record = self.liveAccessToken(token, now: now), let client = self.clients[record.clientId] else {
                throw DevReply.error(401, "invalid_client", "the bearer token is not a live client token")
            }
            return client
        }
        throw DevReply.error(
            401, "invalid_client", "client authentication is required",
            headers: [("WWW-Authenticate", "Basic realm=\"uma-pep-dev-as\"")])
    }

    /// The OAuth token response `{access_token, token_type, expires_in, refresh_token, scope}` (RFC 6749 §5.1).
    static func oauthTokenResponse(
        _ token: String, refresh: String, lifetime: Int64, scopes: [String]
    ) -> HTTPResponseMessage {
        DevResponse.json(
            200,
            .object([
                "access_token": .string(token), "token_type": .string("Bearer"), "expires_in": .int(lifetime),
                "refresh_token": .string(refresh), "scope": .string(scopes.joined(separator: " ")),
            ]), noStore: true)
    }
}
