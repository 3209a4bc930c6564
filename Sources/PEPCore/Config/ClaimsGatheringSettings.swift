/// `claims_gathering`: the session cookie of the claims-gathering flow (services with
/// `redirect_claim_gathering_url`; docs/configuration.md, docs/security.md).
///
/// ```yaml
/// claims_gathering:
///   cookie_name: uma_pep_session          # default
///   cookie_keys:                          # the first seals new cookies; every listed key still opens cookies
///     - {id: k2, key: "${UMA_PEP_COOKIE_KEY}"}   # base64 (or base64url) of 32 random bytes
///     - {id: k1, key: "${UMA_PEP_OLD_COOKIE_KEY}"}
///   session_lifetime: 1h                  # a cookie holding an RPT; default 1h
///   pending_lifetime: 10m                 # a cookie waiting for its callback; default 10m
/// ```
public struct ClaimsGatheringSettings: Sendable, Equatable {
    /// One AES-256-GCM key with its id (the id travels in the cookie, authenticated, for rotation).
    public struct CookieKey: Sendable, Equatable {
        /// `id`: 1…32 of `[A-Za-z0-9._-]`, unique in the list.
        public let id: String
        /// `key`: the 32 key bytes. Never logged or served (`/config` shows `REDACTED`).
        public let key: ConfigSecretBytes

        /// Creates a key.
        public init(id: String, key: [UInt8]) {
            self.id = id
            self.key = ConfigSecretBytes(key)
        }
    }

    /// `cookie_name`: an RFC 6265 cookie-name token. Default `uma_pep_session`.
    public let cookieName: String
    /// `cookie_keys`: the first seals, all open. Empty when no service gathers claims.
    public let cookieKeys: [CookieKey]
    /// `session_lifetime`: how long a session holding an RPT lives (the RPT's own expiry still applies at the
    /// authorization server). Default 1 h.
    public let sessionLifetime: Duration
    /// `pending_lifetime`: how long the browser has to come back from the claims-gathering page. Default 10 min.
    public let pendingLifetime: Duration

    /// Creates settings.
    public init(
        cookieName: String = "uma_pep_session", cookieKeys: [CookieKey] = [],
        sessionLifetime: Duration = .seconds(3600),
        pendingLifetime: Duration = .seconds(600)
    ) {
        self.cookieName = cookieName
        self.cookieKeys = cookieKeys
        self.sessionLifetime = sessionLifetime
        self.pendingLifetime = pendingLifetime
    }
}

/// Secret bytes that never print.
public struct ConfigSecretBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The bytes.
    public let bytes: [UInt8]

    /// Wraps secret bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// `REDACTED`.
    public var description: String { "REDACTED" }
    /// `REDACTED`.
    public var debugDescription: String { "REDACTED" }
    /// A mirror without children.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension ConfigLoader {
    /// `claims_gathering` (see `ClaimsGatheringSettings`); `cookie_keys` is required when `needed`.
    static func loadClaimsGathering(_ reader: ConfigReader, needed: String?) throws(ConfigError)
        -> ClaimsGatheringSettings
    {
        let defaults = ClaimsGatheringSettings()
        guard let node = reader.node("claims_gathering") else {
            if let needed {
                throw reader.error(
                    "claims_gathering", .missingField,
                    "service '\(needed)' has redirect_claim_gathering_url: claims_gathering.cookie_keys is needed to "
                        + "encrypt its session cookie")
            }
            return defaults
        }
        let section = try ConfigReader(
            node, at: reader.path["claims_gathering"], file: reader.file,
            allowed: ["cookie_name", "cookie_keys", "session_lifetime", "pending_lifetime"])
        let name = try section.string("cookie_name") ?? defaults.cookieName
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(Self.isCookieNameByte) else {
            throw section.error(
                "cookie_name", .invalidValue, "'\(name)' is not a cookie name (letters, digits, '_', '-', '.')")
        }
        var keys: [ClaimsGatheringSettings.CookieKey] = []
        for (index, item) in (try section.sequence("cookie_keys") ?? []).enumerated() {
            let path = section.path["cookie_keys"][index]
            let entry = try ConfigReader(item, at: path, file: reader.file, allowed: ["id", "key"])
            let id = try entry.requiredString("id")
            guard (1...32).contains(id.utf8.count), id.utf8.allSatisfy(Self.isCookieNameByte) else {
                throw entry.error(
                    "id", .invalidValue, "'\(id)' is not a key id (1 to 32 letters, digits, '_', '-', '.')")
            }
            guard !keys.contains(where: { $0.id == id }) else {
                throw entry.error("id", .invalidValue, "key id '\(id)' is listed twice")
            }
            let text = try entry.requiredString("key")
            guard let bytes = Self.decodeKey(text), bytes.count == 32 else {
                throw entry.error(
                    "key", .invalidValue,
                    "must be the base64 (or base64url) encoding of exactly 32 random bytes, e.g. from "
                        + "'openssl rand -base64 32' (the value is not shown)")
            }
            keys.append(.init(id: id, key: bytes))
        }
        if let needed, keys.isEmpty {
            throw section.error(
                "cookie_keys", .missingField,
                "service '\(needed)' has redirect_claim_gathering_url: at least one cookie key is needed")
        }
        let session = try section.duration("session_lifetime", default: defaults.sessionLifetime, minimum: .seconds(1))
        let pending = try section.duration("pending_lifetime", default: defaults.pendingLifetime, minimum: .seconds(1))
        return ClaimsGatheringSettings(
            cookieName: name, cookieKeys: keys, sessionLifetime: session, pendingLifetime: pending)
    }

    private static func isCookieNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default: return false
        }
    }

    /// Standard or URL-safe base64, padded or not.
    static func decodeKey(_ text: String) -> [UInt8]? {
        let normalized = text.utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): return UInt8(ascii: "-")
            case UInt8(ascii: "/"): return UInt8(ascii: "_")
            case UInt8(ascii: "="), UInt8(ascii: " "), UInt8(ascii: "\n"): return nil
            default: return byte
            }
        }
        return Base64URL.decode(normalized)
    }

    /// `obtain_rpt`, `redirect_claim_gathering_url`, `claims_redirect_path` of a service.
    static func loadClaimsPolicy(_ entry: ConfigReader, isPlain: Bool) throws(ConfigError) -> ClaimsGatheringPolicy {
        let obtain = try entry.bool("obtain_rpt", default: false)
        let redirect = try entry.bool("redirect_claim_gathering_url", default: false)
        let path = try entry.string("claims_redirect_path")
        if isPlain, obtain || redirect || path != nil {
            let field = obtain ? "obtain_rpt" : redirect ? "redirect_claim_gathering_url" : "claims_redirect_path"
            throw entry.error(field, .fieldNotAllowed, "'\(field)' needs an authorization_server")
        }
        if redirect, !obtain {
            throw entry.error(
                "redirect_claim_gathering_url", .fieldNotAllowed,
                "redirect_claim_gathering_url needs obtain_rpt: true (the gateway obtains the RPT)")
        }
        if redirect, path == nil {
            throw entry.error(
                "claims_redirect_path", .missingField,
                "redirect_claim_gathering_url needs claims_redirect_path (the local callback path)")
        }
        if let path {
            guard redirect else {
                throw entry.error(
                    "claims_redirect_path", .fieldNotAllowed,
                    "claims_redirect_path only acts with redirect_claim_gathering_url: true")
            }
            let canonical = try? CanonicalTarget.canonicalize(requestTarget: path, method: "GET", host: nil)
            guard path.hasPrefix("/"), !path.contains("?"), canonical?.path == path else {
                throw entry.error(
                    "claims_redirect_path", .invalidPath,
                    "'\(path)' is not a canonical absolute path (no query, dot segments, '//' or encoded bytes)")
            }
        }
        var pushedFormat: String?
        switch try entry.string("pushed_claims") ?? "none" {
        case "none":
            if entry.has("pushed_claims_format") {
                throw entry.error(
                    "pushed_claims_format", .fieldNotAllowed,
                    "pushed_claims_format only acts with pushed_claims: bearer_token")
            }
        case "bearer_token":
            guard obtain else {
                throw entry.error(
                    "pushed_claims", .fieldNotAllowed,
                    "pushed_claims needs obtain_rpt: true (claims are pushed with the "
                        + "gateway's RPT request)")
            }
            let format = try entry.string("pushed_claims_format") ?? ClaimsGatheringPolicy.idTokenFormat
            guard format.contains(":"), format.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw entry.error("pushed_claims_format", .invalidValue, "'\(format)' is not an absolute URI")
            }
            pushedFormat = format
        case let other:
            throw entry.error("pushed_claims", .invalidValue, "'\(other)' is not one of: none, bearer_token")
        }
        return ClaimsGatheringPolicy(
            obtainRPT: obtain, redirectClaimGatheringURL: redirect, claimsRedirectPath: path,
            pushedClaimTokenFormat: pushedFormat)
    }
}
