import PEPCore

extension OXDClient {
    /// `POST /uma-rp-get-rpt` (SPEC §4.6, §2.5 B), protected: body `{"oxd_id","ticket"}` plus whichever of
    /// `claim_token` + `claim_token_format`, `pct`, `rpt`, `scope`, `state` are given.
    ///
    /// 200 → `.rpt`; 403 (or 400) with `error:"need_info"` → `.needInfo`; anything else → `.unexpectedStatus`
    /// carrying oxd's/the AS's `error` code (`forbidden_by_policy`, `invalid_ticket`, …).
    public func umaRPGetRPT(
        ticket: String, claimToken: String? = nil, claimTokenFormat: String? = nil, pct: String? = nil,
        rpt: String? = nil, scope: [String]? = nil, state: String? = nil,
        completion: @escaping @Sendable (Result<RPTResponse, OXDError>) -> Void
    ) {
        let command = "uma-rp-get-rpt"
        var members: [String: JSONValue] = ["oxd_id": .string(self.configuration.oxdId), "ticket": .string(ticket)]
        if let claimToken { members["claim_token"] = .string(claimToken) }
        if let claimTokenFormat { members["claim_token_format"] = .string(claimTokenFormat) }
        if let pct { members["pct"] = .string(pct) }
        if let rpt { members["rpt"] = .string(rpt) }
        if let scope { members["scope"] = .array(scope.map { .string($0) }) }
        if let state { members["state"] = .string(state) }
        self.protectedCommand(
            command, body: .object(members),
            decode: { reply throws(OXDError) in
                guard case .success(let json) = reply.json, json.objectValue != nil else {
                    _ = try OXDClient.object(reply, command: command)
                    throw .invalidField(command: command, field: "body")
                }
                let decoded = try RPTResponse.decode(status: reply.status, json: json) { field, missing in
                    missing
                        ? OXDError.missingField(command: command, field: field)
                        : OXDError.invalidField(command: command, field: field)
                }
                guard let decoded else {
                    throw .unexpectedStatus(command: command, status: reply.status, error: reply.errorCode)
                }
                return decoded
            }, completion: completion)
    }

    /// `POST /uma-rp-get-claims-gathering-url` (SPEC §4.7, §2.5 B), protected: body `{"oxd_id","ticket",
    /// "claims_redirect_uri"}` plus `state` and `custom_parameters` when given. Accepts only 200 with a `url`.
    public func umaRPGetClaimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String? = nil, customParameters: [String: String] = [:],
        completion: @escaping @Sendable (Result<ClaimsGatheringURL, OXDError>) -> Void
    ) {
        let command = "uma-rp-get-claims-gathering-url"
        var members: [String: JSONValue] = [
            "oxd_id": .string(self.configuration.oxdId), "ticket": .string(ticket),
            "claims_redirect_uri": .string(claimsRedirectURI),
        ]
        if let state { members["state"] = .string(state) }
        if !customParameters.isEmpty {
            members["custom_parameters"] = .object(customParameters.mapValues { .string($0) })
        }
        self.protectedCommand(
            command, body: .object(members),
            decode: { reply throws(OXDError) in
                let json = try OXDClient.object(reply, command: command)
                guard let url = try OXDClient.optionalString(json, "url", command: command), !url.isEmpty else {
                    throw .missingField(command: command, field: "url")
                }
                return ClaimsGatheringURL(
                    url: url, state: try OXDClient.optionalString(json, "state", command: command))
            }, completion: completion)
    }

    /// `POST /get-rp` (SPEC §4.8), sent with the oxd access token (Appendix A row 10): body `{"oxd_id"}`. Returns
    /// `node` (the RP record, or `.null`); the PEP reads `node.rpt_pct` for `read_claims_from_pct`.
    public func getRP(completion: @escaping @Sendable (Result<JSONValue, OXDError>) -> Void) {
        let command = "get-rp"
        let body: JSONValue = .object(["oxd_id": .string(self.configuration.oxdId)])
        self.protectedCommand(
            command, body: body,
            decode: { reply throws(OXDError) in
                let json = try OXDClient.object(reply, command: command)
                return json["node"] ?? .null
            }, completion: completion)
    }
}
