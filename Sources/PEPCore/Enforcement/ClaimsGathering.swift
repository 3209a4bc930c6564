/// A service's claims-gathering settings (SPEC Part B §1.1 `obtain_rpt`, `redirect_claim_gathering_url`,
/// `claims_redirect_path`; §2.5): the gateway turns a browser's permission ticket into an RPT itself and, when
/// the authorization server needs claims, sends the browser to its claims-gathering page.
public struct ClaimsGatheringPolicy: Sendable, Equatable {
    /// `obtain_rpt`: with no usable token on a protected path, uma-pep asks for an RPT with the fresh ticket
    /// (`/uma-rp-get-rpt`, or the token endpoint in uma2 mode) instead of answering 401 + ticket. Default `false`.
    public var obtainRPT: Bool
    /// `redirect_claim_gathering_url`: a `need_info` answer sends the browser (302) to the claims-gathering page
    /// and enables the callback at `claims_redirect_path`. Default `false` (need_info → 403).
    public var redirectClaimGatheringURL: Bool
    /// `claims_redirect_path`: the local path the authorization server redirects back to (canonical form, starts
    /// with `/`). Required with `redirect_claim_gathering_url`.
    public var claimsRedirectPath: String?
    /// `pushed_claims: bearer_token` + `pushed_claims_format`: the request's `Authorization: Bearer` value is not an
    /// RPT but a claim token (an OpenID Connect ID token, say) pushed with every RPT request as `claim_token` in
    /// this `claim_token_format` (UMA 2.0 Grant §3.3.1); `nil` = off (the default).
    public var pushedClaimTokenFormat: String?

    /// The `claim_token_format` of an OpenID Connect ID token (UMA 2.0 Grant §3.3.1): `pushed_claims_format`'s
    /// default.
    public static let idTokenFormat = "http://openid.net/specs/openid-connect-core-1_0.html#IDToken"

    /// Creates settings; the defaults turn the flow off.
    public init(
        obtainRPT: Bool = false, redirectClaimGatheringURL: Bool = false, claimsRedirectPath: String? = nil,
        pushedClaimTokenFormat: String? = nil
    ) {
        self.obtainRPT = obtainRPT
        self.redirectClaimGatheringURL = redirectClaimGatheringURL
        self.claimsRedirectPath = claimsRedirectPath
        self.pushedClaimTokenFormat = pushedClaimTokenFormat
    }

    /// Off: the reference default.
    public static let off = ClaimsGatheringPolicy()

    /// Whether `path` (canonical) is this service's claims callback (Part B §2.4 P0). Exact match only: a
    /// callback path is never matched by prefix or substring (SECURITY.md "special internal path").
    public func isCallback(_ path: String) -> Bool {
        self.redirectClaimGatheringURL && self.claimsRedirectPath == path
    }
}

/// The answer to an RPT request as enforcement sees it (UMA 2.0 Grant §3.3.5, §3.3.6; Part B §2.5 B).
public enum RPTOutcome: Sendable, Equatable {
    /// The RPT was issued.
    case rpt(String)
    /// `need_info`: more claims are needed; `ticket` is the new ticket, `redirectUser` the AS's claims
    /// interaction URL when it gave one.
    case needInfo(ticket: String, redirectUser: String?)
    /// The authorization server refused (`request_denied`, `forbidden_by_policy`, `not_authorized`, …).
    case denied(error: String)

    /// The `error` codes that mean "the requesting party is not authorized" rather than a failure (UMA 2.0 Grant
    /// §3.3.6; Gluu codes, SPEC Part B §5.7).
    public static let denialCodes: Set<String> = [
        "request_denied", "forbidden_by_policy", "not_authorized", "not_authorized_permission", "access_denied",
        "invalid_grant", "expired_ticket", "invalid_ticket",
    ]
}

/// The claims-gathering session of one browser (Part B §2.5: the reference's `gluu_uma_pep_session`), carried in
/// an encrypted, authenticated cookie (`SessionCookieCodec`). Either pending (a redirect to the claims-gathering
/// page is under way: `state` and `returnTarget` set) or holding an RPT (`rpt` set), never both.
public struct ClaimsSession: Sendable, Equatable {
    /// The service the session belongs to: a cookie of another service is no session (SECURITY "foreign cookie").
    public var service: String
    /// Seconds since the epoch after which the session is void.
    public var expiresAt: Int64
    /// Pending: the `state` sent to the authorization server, to be echoed to the callback.
    public var state: String?
    /// Pending: the same-origin path and query to return to after the callback (`ClaimsSession.safeReturnTarget`).
    public var returnTarget: String?
    /// The RPT obtained for this browser; presented as its bearer token on later requests.
    public var rpt: String?

    /// Creates a session.
    public init(
        service: String, expiresAt: Int64, state: String? = nil, returnTarget: String? = nil, rpt: String? = nil
    ) {
        self.service = service
        self.expiresAt = expiresAt
        self.state = state
        self.returnTarget = returnTarget
        self.rpt = rpt
    }

    /// Whether the session is waiting for its callback.
    public var isPending: Bool { self.state != nil }

    /// The session's bytes (compact JSON; encrypted by the caller, never stored in plain text).
    public func encoded() -> [UInt8] {
        var members: [String: JSONValue] = ["v": .int(1), "svc": .string(self.service)]
        if let state = self.state { members["st"] = .string(state) }
        if let target = self.returnTarget { members["ret"] = .string(target) }
        if let rpt = self.rpt { members["rpt"] = .string(rpt) }
        return CanonicalJSON.encode(.object(members))
    }

    /// Reads a session from decrypted bytes; `nil` when they do not hold one, when it belongs to another service
    /// or when it has expired.
    /// - Parameters:
    ///   - bytes: the decrypted payload.
    ///   - expiresAt: the expiry the cookie was sealed with (authenticated by the codec).
    ///   - service: the service the request is for.
    ///   - now: seconds since the epoch.
    public static func decode(_ bytes: [UInt8], expiresAt: Int64, service: String, now: Int64) -> ClaimsSession? {
        guard now < expiresAt, case .success(let members) = JSONBody.parseObject(bytes),
            members["v"]?.intValue == 1, members["svc"]?.stringValue == service
        else { return nil }
        let session = ClaimsSession(
            service: service, expiresAt: expiresAt, state: members["st"]?.stringValue,
            returnTarget: members["ret"]?.stringValue, rpt: members["rpt"]?.stringValue)
        // Exactly one of the two shapes.
        guard (session.state != nil) == (session.returnTarget != nil), (session.state != nil) != (session.rpt != nil)
        else { return nil }
        // The return target is checked again when read, not only when sealed: a cookie sealed with a known key (the
        // tutorial's public default, a leaked one) must not turn the callback into an open redirect.
        if let target = session.returnTarget, !Self.isSafeReturnTarget(target) { return nil }
        return session
    }

    /// The target the callback may redirect to: the request's own canonical path and query, saved when the
    /// flow started — never a URL from the callback's query (no open redirect). Anything that is not an
    /// origin-form path (`//host`, `/\host`, a scheme, control bytes) becomes `/`.
    /// - Parameters:
    ///   - path: the canonical path (SPEC A5).
    ///   - query: the raw query, if any.
    public static func safeReturnTarget(path: String, query: String?) -> String {
        var target = path
        if let query { target += "?" + query }
        return Self.isSafeReturnTarget(target) ? target : "/"
    }

    /// Whether `target` is an origin-form path and query the callback may redirect to: starts with one `/` (not
    /// `//` or `/\`), visible ASCII only, no `\`.
    public static func isSafeReturnTarget(_ target: String) -> Bool {
        let bytes = Array(target.utf8)
        return bytes.first == UInt8(ascii: "/")
            && (bytes.count == 1 || (bytes[1] != UInt8(ascii: "/") && bytes[1] != UInt8(ascii: "\\")))
            && !bytes.contains(where: { $0 < 0x21 || $0 >= 0x7F || $0 == UInt8(ascii: "\\") })
    }
}

/// The `claims_redirect_uri` sent to the authorization server: the request's own scheme, host and listening port
/// plus `claims_redirect_path` (Part B §1.1: port omitted for 80/http and 443/https).
public enum ClaimsRedirectURI {
    /// Builds the URI.
    /// - Parameters:
    ///   - scheme: `http` or `https` (the listener's, never a client header).
    ///   - host: the request's `Host` name (already validated by routing), bracketed when IPv6.
    ///   - port: the listening port.
    ///   - path: `claims_redirect_path`.
    public static func build(scheme: String, host: String, port: Int, path: String) -> String {
        let defaultPort = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return scheme + "://" + host + (defaultPort ? "" : ":\(port)") + path
    }
}
