import PEPCore

extension UMA2Client {
    /// Asks the token endpoint for an RPT (SPEC §5.6, UMA 2.0 Grant §3.3.1): form
    /// `grant_type=urn:ietf:params:oauth:grant-type:uma-ticket&ticket=…` plus whichever of `claim_token` +
    /// `claim_token_format`, `pct`, `rpt`, `scope` (space-separated) are given, with client authentication.
    ///
    /// 200 → `.rpt`; 400/403 `need_info` → `.needInfo`; every other answer → `.unexpectedStatus` with the AS's
    /// `error` code (`request_denied`, `invalid_grant`, `forbidden_by_policy`, …).
    public func requestRPT(
        ticket: String, claimToken: String? = nil, claimTokenFormat: String? = nil, pct: String? = nil,
        rpt: String? = nil, scope: [String]? = nil,
        completion: @escaping @Sendable (Result<RPTResponse, UMA2Error>) -> Void
    ) {
        let operation = "token"
        var fields: [(name: String, value: String)] = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket"), ("ticket", ticket),
        ]
        if let claimToken { fields.append(("claim_token", claimToken)) }
        if let claimTokenFormat { fields.append(("claim_token_format", claimTokenFormat)) }
        if let pct { fields.append(("pct", pct)) }
        if let rpt { fields.append(("rpt", rpt)) }
        if let scope, !scope.isEmpty { fields.append(("scope", scope.joined(separator: " "))) }
        let form = fields
        self.metadata { metadataResult in
            guard case .success(let metadata) = metadataResult else {
                if case .failure(let error) = metadataResult { completion(.failure(error)) }
                return
            }
            let request = self.clientAuthenticatedForm(url: metadata.tokenEndpoint, fields: form)
            self.send(operation, request) { result in
                let outcome = result.flatMap { reply in
                    Result { () throws(UMA2Error) in try UMA2Client.decodeRPTResponse(reply) }
                }
                if case .failure(let error) = outcome { self.log(error) }
                completion(outcome)
            }
        }
    }

    /// The interactive claims-gathering URL (SPEC §5.8, §5.11): `claims_interaction_endpoint` with `client_id`,
    /// `ticket`, `claims_redirect_uri` and `state` appended, each percent-encoded.
    /// - Throws (via completion): `.missingEndpoint` when the AS offers no claims interaction (Keycloak).
    public func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<ClaimsGatheringURL, UMA2Error>) -> Void
    ) {
        let clientId = self.configuration.clientId
        self.metadata { metadataResult in
            completion(
                metadataResult.flatMap { metadata in
                    guard let endpoint = metadata.claimsInteractionEndpoint else {
                        return .failure(.missingEndpoint("claims_interaction_endpoint"))
                    }
                    let url = FormEncoding.appendingQuery(
                        to: endpoint,
                        [
                            ("client_id", clientId), ("ticket", ticket), ("claims_redirect_uri", claimsRedirectURI),
                            ("state", state),
                        ])
                    return .success(ClaimsGatheringURL(url: url, state: state))
                })
        }
    }

    static func decodeRPTResponse(_ reply: JSONReply) throws(UMA2Error) -> RPTResponse {
        let operation = "token"
        guard case .success(let json) = reply.json, json.objectValue != nil else {
            _ = try UMA2Client.object(reply, operation: operation)
            throw .invalidField(operation: operation, field: "body")
        }
        let decoded = try RPTResponse.decode(status: reply.status, json: json) { field, missing in
            missing
                ? UMA2Error.missingField(operation: operation, field: field)
                : UMA2Error.invalidField(operation: operation, field: field)
        }
        guard let decoded else {
            throw .unexpectedStatus(operation: operation, status: reply.status, error: reply.errorCode)
        }
        return decoded
    }
}
