import PEPCore
import PEPProxy

extension DevAuthorizationServerState {
    /// `/uma-rp-get-rpt` (SPEC Part B §4.6) as the RP's client. Unlike oxd, a new RPT is issued for every ticket
    /// (Appendix A row 16); the last one is still shown by `/get-rp`.
    /// - Throws: 400 `invalid_ticket_parameter`, `invalid_claim_token_or_claim_token_form`; grant failures with
    ///   oxd's status mapping: 400 for `invalid_ticket` and `invalid_claim_token_format`, 500 `internal_error`
    ///   for server errors, 403 for everything else (`need_info` keeps `ticket`, `required_claims`,
    ///   `redirect_user`).
    mutating func getRPT(_ params: [String: JSONValue], rp: Client, now: Int64) throws(DevReply) -> HTTPResponseMessage
    {
        guard let ticket = DevRequest.nonBlank(params["ticket"]) else {
            throw DevReply.error(400, "invalid_ticket_parameter", "ticket is empty or not specified")
        }
        let claimToken = DevRequest.nonBlank(params["claim_token"])
        let claimTokenFormat = DevRequest.nonBlank(params["claim_token_format"])
        guard (claimToken == nil) == (claimTokenFormat == nil) else {
            throw DevReply.error(
                400, "invalid_claim_token_or_claim_token_form",
                "claim_token and claim_token_format must be given together")
        }
        let request = UMAGrantRequest(
            clientId: rp.clientId, ticket: ticket, claimToken: claimToken, claimTokenFormat: claimTokenFormat,
            pct: DevRequest.nonBlank(params["pct"]), rpt: DevRequest.nonBlank(params["rpt"]),
            scopes: DevRequest.strings(params["scope"]) ?? [])
        do {
            let success = try self.redeem(request, now: now)
            var updated = rp
            updated.lastRPT = success.accessToken
            updated.lastPCT = success.pct
            updated.lastRPTExpiresAt = now + success.expiresIn
            updated.lastRPTUpgraded = success.upgraded
            self.clients[rp.clientId] = updated
            return DevResponse.json(
                200,
                .object([
                    "access_token": .string(success.accessToken), "token_type": .string("Bearer"),
                    "pct": .string(success.pct), "updated": .bool(success.upgraded),
                ]), noStore: true)
        } catch {
            if error.status >= 500 {
                throw DevReply.error(500, "internal_error", "Failed to get RPT: \(error.description)")
            }
            let status = error.code == "invalid_ticket" || error.code == "invalid_claim_token_format" ? 400 : 403
            return DevResponse.json(status, error.body, noStore: true)
        }
    }

    /// `/uma-rp-get-claims-gathering-url` (SPEC Part B §4.7): `{url, state}` with
    /// `url = <issuer>/gather_claims?client_id&ticket&claims_redirect_uri&state[&custom…]` (all percent-encoded;
    /// oxd leaves `claims_redirect_uri` raw, which breaks on a URI with its own query).
    /// - Throws: 400 `invalid_ticket_parameter`, `invalid_claims_redirect_uri_parameter`,
    ///   `invalid_claims_redirect_uri` (not registered on the RP).
    func claimsGatheringURL(_ params: [String: JSONValue], rp: Client) throws(DevReply) -> HTTPResponseMessage {
        guard let ticket = DevRequest.nonBlank(params["ticket"]) else {
            throw DevReply.error(400, "invalid_ticket_parameter", "ticket is empty or not specified")
        }
        guard let redirect = DevRequest.nonBlank(params["claims_redirect_uri"]) else {
            throw DevReply.error(
                400, "invalid_claims_redirect_uri_parameter", "claims_redirect_uri is empty or not specified")
        }
        guard Self.isRegisteredClaimsRedirect(redirect, registered: rp.claimsRedirectURIs) else {
            throw DevReply.error(
                400, "invalid_claims_redirect_uri", "claims_redirect_uri is not registered for this site")
        }
        let state = DevRequest.nonBlank(params["state"]) ?? RandomToken.uuid()
        var pairs = [
            ("client_id", rp.clientId), ("ticket", ticket), ("claims_redirect_uri", redirect), ("state", state),
        ]
        let reserved: Set<String> = ["oxd_id", "client_id", "ticket", "state", "claims_redirect_uri"]
        if let custom = params["custom_parameters"]?.objectValue {
            for key in custom.keys.sorted() where !reserved.contains(key) {
                guard let value = custom[key], value != .null else { continue }
                pairs.append((key, value.stringValue ?? JSONText.render(value)))
            }
        }
        let url = self.issuer + "/gather_claims?" + FormURLEncoding.query(pairs)
        return DevResponse.json(200, .object(["url": .string(url), "state": .string(state)]))
    }
}
