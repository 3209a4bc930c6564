import PEPCore
import PEPProxy

/// The oxd 4.x commands the development server answers (`POST /<command>`, SPEC Part B §4).
enum OXDCommand: String, CaseIterable {
    case registerSite = "register-site"
    case updateSite = "update-site"
    case removeSite = "remove-site"
    case getRP = "get-rp"
    case getClientToken = "get-client-token"
    case getAccessTokenByRefreshToken = "get-access-token-by-refresh-token"
    case umaRSProtect = "uma-rs-protect"
    case umaRSCheckAccess = "uma-rs-check-access"
    case introspectRPT = "introspect-rpt"
    case umaRPGetRPT = "uma-rp-get-rpt"
    case umaRPGetClaimsGatheringURL = "uma-rp-get-claims-gathering-url"
    case getJWKS = "get-jwks"

    /// Commands that demand `Authorization: Bearer <oxd token>` (SPEC Part B §4 "General").
    var isProtected: Bool {
        switch self {
        case .registerSite, .updateSite, .removeSite, .getRP, .getClientToken, .getJWKS: return false
        default: return true
        }
    }
}

extension DevAuthorizationServerState {
    /// Parses the JSON body, applies the access-token check of protected commands, and runs the command.
    mutating func handleOXD(
        _ command: OXDCommand, _ request: HTTPRequestMessage, now: Int64
    ) throws(DevReply) -> HTTPResponseMessage {
        guard let params = DevRequest.jsonObject(request) else {
            throw DevReply.error(400, "bad_request", "The request body is not a JSON object")
        }
        guard command.isProtected else {
            switch command {
            case .registerSite: return try self.registerSite(params, now: now)
            case .updateSite: return try self.updateSite(params)
            case .removeSite: return try self.removeSite(params)
            case .getRP: return try self.getRP(params)
            case .getClientToken: return try self.getClientToken(params, now: now)
            default: return try self.getJWKS(params, now: now)
            }
        }
        let rp = try self.authorizeOXD(request, params: params, now: now)
        switch command {
        case .getAccessTokenByRefreshToken: return try self.refreshClientToken(params, rp: rp, now: now)
        case .umaRSProtect: return try self.protect(params, rp: rp, now: now)
        case .umaRSCheckAccess: return try self.checkAccess(params, rp: rp, now: now)
        case .introspectRPT: return try self.introspectRPT(params, now: now)
        case .umaRPGetRPT: return try self.getRPT(params, rp: rp, now: now)
        default: return try self.claimsGatheringURL(params, rp: rp)
        }
    }

    /// oxd's access-token check for protected commands (SPEC Part B §4 "General"), in oxd's order: blank token,
    /// `oxd_id` present and known, then the token: known, unexpired, scope `oxd`, issued to the RP's client
    /// (or to the client of the `AuthorizationOxdId` RP).
    /// - Returns: the RP named by `oxd_id`.
    /// - Throws: 403 `blank_access_token` / `invalid_access_token` / `inactive_access_token` /
    ///   `access_token_insufficient_scope`; 400 `bad_request` / `invalid_oxd_id`.
    mutating func authorizeOXD(
        _ request: HTTPRequestMessage, params: [String: JSONValue], now: Int64
    ) throws(DevReply) -> Client {
        guard let token = DevRequest.bearerToken(request) else {
            throw DevReply.error(403, "blank_access_token", "access_token is blank")
        }
        let rp = try self.requireRP(params)
        var tokenOwner = rp
        if let other = request.header("AuthorizationOxdId")?.trimmingSpaces(), !other.isEmpty {
            guard let client = self.client(oxdId: other) else {
                throw DevReply.error(400, "invalid_oxd_id", "AuthorizationOxdId names no registered site")
            }
            tokenOwner = client
        }
        guard let record = self.accessTokens[token] else {
            throw DevReply.error(403, "invalid_access_token", "access_token is not valid")
        }
        guard now < record.expiresAt else {
            throw DevReply.error(403, "inactive_access_token", "access_token is expired or inactive")
        }
        guard record.scopes.contains("oxd") else {
            throw DevReply.error(403, "access_token_insufficient_scope", "access_token does not have oxd scope")
        }
        guard record.clientId == tokenOwner.clientId else {
            throw DevReply.error(403, "invalid_access_token", "access_token was issued to another client")
        }
        return rp
    }

    /// The RP named by `oxd_id`. Throws 400 `bad_request` (missing) or `invalid_oxd_id` (unknown).
    func requireRP(_ params: [String: JSONValue]) throws(DevReply) -> Client {
        guard let oxdId = DevRequest.nonBlank(params["oxd_id"]) else {
            throw DevReply.error(400, "bad_request", "oxd_id is empty or not specified")
        }
        guard let rp = self.client(oxdId: oxdId) else {
            throw DevReply.error(400, "invalid_oxd_id", "Invalid oxd_id: no site is registered with it")
        }
        return rp
    }

    /// `op_host` (or the issuer part of `op_configuration_endpoint`). Throws 400
    /// `invalid_op_host_and_configuration_endpoint` when neither is a usable http(s) URL.
    func requireOPHost(_ params: [String: JSONValue]) throws(DevReply) -> String {
        var host = DevRequest.nonBlank(params["op_host"])
        if host == nil, let endpoint = DevRequest.nonBlank(params["op_configuration_endpoint"]) {
            host = endpoint.components(separatedBy: "/.well-known/").first
        }
        guard var value = host, Self.isSafeURL(value) else {
            throw DevReply.error(
                400, "invalid_op_host_and_configuration_endpoint",
                "op_host or op_configuration_endpoint must be an http(s) URL")
        }
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    /// An absolute http(s) URL with no whitespace, control characters, quotes, commas or backslashes (so it can
    /// go into a header or a `Location` verbatim).
    static func isSafeURL(_ text: String) -> Bool {
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), text.utf8.count > 8 else { return false }
        return text.utf8.allSatisfy {
            $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: ",")
                && $0 != UInt8(ascii: "\\")
        }
    }

    /// `/get-client-token` (SPEC Part B §4.1): client credentials → oxd access token with the requested scopes
    /// plus `openid`. Wrong credentials → 500 `internal_error` (oxd reports the AS refusing as no token received).
    mutating func getClientToken(_ params: [String: JSONValue], now: Int64) throws(DevReply) -> HTTPResponseMessage {
        guard let clientId = DevRequest.nonBlank(params["client_id"]) else {
            throw DevReply.error(400, "invalid_client_id", "client_id is empty or not specified")
        }
        if params["authentication_method"]?.stringValue == "private_key_jwt" {
            throw DevReply.error(400, "invalid_request", "private_key_jwt is not supported by the development server")
        }
        guard let secret = DevRequest.nonBlank(params["client_secret"]) else {
            throw DevReply.error(400, "invalid_client_secret", "client_secret is empty or not specified")
        }
        _ = try self.requireOPHost(params)
        var scopes: [String] = []
        if let value = params["scope"], value != .null {
            guard let requested = DevRequest.strings(value) else {
                throw DevReply.error(400, "invalid_scope", "scope must be an array of strings")
            }
            scopes = requested
        }
        if !scopes.contains("openid") { scopes.append("openid") }
        guard let client = self.authenticate(clientId: clientId, secret: secret) else {
            throw DevReply.error(
                500, "internal_error", "Failed to get client token: the authorization server answered invalid_client")
        }
        let (token, refresh, lifetime) = self.issueAccessToken(clientId: client.clientId, scopes: scopes, now: now)
        return Self.tokenResponse(token, refresh: refresh, lifetime: lifetime, scopes: scopes)
    }

    /// `/get-access-token-by-refresh-token` (SPEC Part B §4.2). Blank `refresh_token` → 400 `bad_request`;
    /// unknown or another client's → 500 `internal_error`. The refresh token is rotated.
    mutating func refreshClientToken(
        _ params: [String: JSONValue], rp: Client, now: Int64
    ) throws(DevReply) -> HTTPResponseMessage {
        guard let refresh = DevRequest.nonBlank(params["refresh_token"]) else {
            throw DevReply.error(400, "bad_request", "refresh_token is empty or not specified")
        }
        guard let record = self.refreshTokens[refresh], record.clientId == rp.clientId else {
            throw DevReply.error(500, "internal_error", "Failed to get access token by refresh token")
        }
        var scopes = record.scopes
        if let requested = DevRequest.strings(params["scope"]), !requested.isEmpty { scopes = requested }
        self.refreshTokens[refresh] = nil
        let (token, newRefresh, lifetime) = self.issueAccessToken(clientId: rp.clientId, scopes: scopes, now: now)
        return Self.tokenResponse(token, refresh: newRefresh, lifetime: lifetime, scopes: scopes)
    }

    /// `/get-jwks` (SPEC Part B §4.9): the signing key set. Needs `op_host` or `op_configuration_endpoint`.
    mutating func getJWKS(_ params: [String: JSONValue], now: Int64) throws(DevReply) -> HTTPResponseMessage {
        _ = try self.requireOPHost(params)
        guard let key = self.key(now: now) else {
            throw DevReply.error(500, "internal_error", "the signing key could not be created")
        }
        return DevResponse.json(200, .object(["keys": .array([key.jwk])]))
    }

    /// The oxd token response shape `{access_token, expires_in, refresh_token, scope[]}`.
    static func tokenResponse(_ token: String, refresh: String, lifetime: Int64, scopes: [String])
        -> HTTPResponseMessage
    {
        DevResponse.json(
            200,
            .object([
                "access_token": .string(token), "expires_in": .int(lifetime), "refresh_token": .string(refresh),
                "scope": .array(scopes.map { .string($0) }),
            ]), noStore: true)
    }
}
