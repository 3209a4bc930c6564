/// `authorization_servers.<name>.jwt_rpts`: local verification of RPTs issued as JWTs (Gluu `rpt_as_jwt` /
/// `umaRptAsJwt`; Part B §2.3; RFC 7515, RFC 7517, RFC 7519).
///
/// ```yaml
/// jwt_rpts:
///   local_verification: true     # default; false = introspect every token, JWT or not
///   audience: my-api             # optional: `aud` must be (or contain) this
///   kid_refetch_interval: 30s    # least time between JWK Set fetches caused by unknown `kid`s
/// ```
public struct JWTRPTSettings: Sendable, Equatable {
    /// `local_verification`: verify bearer tokens that parse as JWTs with the authorization server's JWK Set
    /// instead of introspecting them. Default `true` (the reference does so).
    public var localVerification: Bool
    /// `audience`: when set, `aud` must equal it or be an array containing it. Default none.
    public var audience: String?
    /// `kid_refetch_interval`: at most one JWK Set fetch per interval for unknown `kid`s. Default 30 s, at least
    /// 1 s, at most 1 h.
    public var kidRefetchInterval: Duration

    /// Creates settings (defaults: local verification on, no audience, 30 s).
    public init(localVerification: Bool = true, audience: String? = nil, kidRefetchInterval: Duration = .seconds(30)) {
        self.localVerification = localVerification
        self.audience = audience
        self.kidRefetchInterval = kidRefetchInterval
    }
}

extension ConfigLoader {
    /// Reads `jwt_rpts` of an authorization server entry (absent = defaults).
    /// - Throws: `ConfigError` naming the field: unknown key, wrong type, empty `audience`, interval out of range.
    static func loadJWTRPTSettings(_ entry: ConfigReader) throws(ConfigError) -> JWTRPTSettings {
        guard let node = entry.node("jwt_rpts") else { return JWTRPTSettings() }
        let reader = try ConfigReader(
            node, at: entry.path["jwt_rpts"], file: entry.file,
            allowed: ["local_verification", "audience", "kid_refetch_interval"])
        let audience = try reader.string("audience")
        if let audience, audience.isEmpty {
            throw reader.error("audience", .invalidValue, "audience must not be empty (leave it out to not check aud)")
        }
        let interval = try reader.duration("kid_refetch_interval", default: .seconds(30), minimum: .seconds(1))
        guard interval <= .seconds(3600) else {
            throw reader.error("kid_refetch_interval", .invalidDuration, "must be at most 1h")
        }
        return JWTRPTSettings(
            localVerification: try reader.bool("local_verification", default: true), audience: audience,
            kidRefetchInterval: interval)
    }
}
