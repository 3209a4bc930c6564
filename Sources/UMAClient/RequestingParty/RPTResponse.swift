import PEPCore

/// A requesting party token as issued by the token endpoint (UMA 2.0 Grant §3.3.5) or oxd `/uma-rp-get-rpt`
/// (SPEC §4.6).
public struct RequestingPartyToken: Sendable, Equatable {
    /// The RPT (`access_token`). Never logged.
    public var accessToken: String
    /// `token_type`, normally `Bearer`.
    public var tokenType: String?
    /// Persisted claims token (`pct`), for later requests.
    public var pct: String?
    /// Whether an existing RPT was upgraded (`upgraded`; oxd spells it `updated`).
    public var upgraded: Bool?

    /// Creates a token.
    public init(accessToken: String, tokenType: String? = nil, pct: String? = nil, upgraded: Bool? = nil) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.pct = pct
        self.upgraded = upgraded
    }
}

/// The authorization server needs more claims before it issues an RPT (UMA 2.0 Grant §3.3.6 `need_info`).
public struct NeedInfo: Sendable, Equatable {
    /// The new permission ticket to use for claims gathering and the next RPT request.
    public var ticket: String
    /// The claims-interaction URL (`redirect_user`), if the AS offers interactive gathering.
    public var redirectUser: String?
    /// `required_claims` as received (Gluu items: `name`, `friendly_name`, `claim_type`, `claim_token_format`,
    /// `issuer`), or `nil`.
    public var requiredClaims: JSONValue?
    /// The whole error body.
    public var raw: JSONValue

    /// Creates a need_info answer.
    public init(ticket: String, redirectUser: String? = nil, requiredClaims: JSONValue? = nil, raw: JSONValue = .null) {
        self.ticket = ticket
        self.redirectUser = redirectUser
        self.requiredClaims = requiredClaims
        self.raw = raw
    }
}

/// The answer to an RPT request: a token, or a request for more claims. Every other error is a failure.
public enum RPTResponse: Sendable, Equatable {
    /// The RPT was issued.
    case rpt(RequestingPartyToken)
    /// `403 need_info` (SPEC §4.6, §5.7).
    case needInfo(NeedInfo)
}

/// A claims-gathering URL to send the requesting party's browser to (SPEC §4.7, §5.8).
public struct ClaimsGatheringURL: Sendable, Equatable {
    /// The URL.
    public var url: String
    /// The `state` value the AS will echo back to the claims redirect URI.
    public var state: String?

    /// Creates a URL answer.
    public init(url: String, state: String?) {
        self.url = url
        self.state = state
    }
}

extension RPTResponse {
    /// Reads a 2xx token response or a 400/403 `need_info` error body; `nil` when the reply is neither (the caller
    /// reports its status).
    /// - Throws: `invalid(field, isMissing)` for a missing or ill-typed `access_token` / `ticket`.
    static func decode<Failure: Error>(
        status: Int, json: JSONValue, invalid: (String, Bool) -> Failure
    ) throws(Failure) -> RPTResponse? {
        if (200..<300).contains(status) {
            guard let accessToken = json["access_token"]?.stringValue, !accessToken.isEmpty else {
                throw invalid("access_token", json["access_token"] == nil)
            }
            return .rpt(
                RequestingPartyToken(
                    accessToken: accessToken, tokenType: json["token_type"]?.stringValue, pct: json["pct"]?.stringValue,
                    upgraded: json["upgraded"]?.boolValue ?? json["updated"]?.boolValue))
        }
        guard status == 400 || status == 403, json["error"]?.stringValue == "need_info" else { return nil }
        guard let ticket = json["ticket"]?.stringValue, !ticket.isEmpty else {
            throw invalid("ticket", json["ticket"] == nil)
        }
        var requiredClaims = json["required_claims"]
        if requiredClaims == .null { requiredClaims = nil }
        return .needInfo(
            NeedInfo(
                ticket: ticket, redirectUser: json["redirect_user"]?.stringValue, requiredClaims: requiredClaims,
                raw: json))
    }
}
