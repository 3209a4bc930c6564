import Foundation
import PEPCore
import PEPProxy
import Synchronization

/// One service's claims-gathering session handling (`obtain_rpt` + `redirect_claim_gathering_url`): reads the
/// session cookie, seals new ones, and builds the redirect responses. Built once per configuration.
final class ClaimsSessionStore: Sendable {
    let serviceName: String
    let policy: ClaimsGatheringPolicy
    let settings: ClaimsGatheringSettings
    let codec: SessionCookieCodec

    init(serviceName: String, policy: ClaimsGatheringPolicy, settings: ClaimsGatheringSettings) {
        self.serviceName = serviceName
        self.policy = policy
        self.settings = settings
        self.codec = SessionCookieCodec(cookieName: settings.cookieName, keys: settings.cookieKeys)
    }

    /// The session in the request's cookies: the first cookie of this name that opens, is this service's and
    /// has not expired. Tampered, expired, foreign or undecryptable cookies are no session (start over).
    func session(from cookieHeaders: [String], now: Int64) -> ClaimsSession? {
        for value in Self.values(named: self.settings.cookieName, in: cookieHeaders) {
            guard let opened = self.codec.open(value, now: now),
                let session = ClaimsSession.decode(
                    opened.plaintext, expiresAt: opened.expiresAt, service: self.serviceName, now: now)
            else { continue }
            return session
        }
        return nil
    }

    /// Whether the request carries a cookie of the session's name (valid or not).
    func hasCookie(_ cookieHeaders: [String]) -> Bool {
        !Self.values(named: self.settings.cookieName, in: cookieHeaders).isEmpty
    }

    /// The `Cookie` value to forward upstream: the client's cookies without the session cookie (`nil` = none
    /// left). The session (and the RPT in it) never reaches the upstream.
    func upstreamCookie(_ cookieHeaders: [String]) -> String? {
        var kept: [Substring] = []
        for header in cookieHeaders {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop(while: { $0 == " " || $0 == "\t" })
                let name = trimmed.split(separator: "=", maxSplits: 1).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if name == self.settings.cookieName || trimmed.isEmpty { continue }
                kept.append(trimmed)
            }
        }
        return kept.isEmpty ? nil : kept.joined(separator: "; ")
    }

    /// `Set-Cookie` for a sealed session, or `nil` when sealing failed.
    func setCookie(_ session: ClaimsSession, secure: Bool, now: Int64) -> String? {
        guard let value = self.codec.seal(session.encoded(), expiresAt: session.expiresAt) else { return nil }
        return self.cookie(value, maxAge: max(0, session.expiresAt - now), secure: secure)
    }

    /// `Set-Cookie` that removes the session cookie.
    func clearCookie(secure: Bool) -> String {
        self.cookie("", maxAge: 0, secure: secure)
    }

    private func cookie(_ value: String, maxAge: Int64, secure: Bool) -> String {
        // RFC 6265 §4.1: HttpOnly keeps it from scripts; SameSite=Lax still sends it on the top-level GET back from
        // the authorization server; Secure behind TLS.
        "\(self.settings.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
            + (secure ? "; Secure" : "")
    }

    /// A pending session for a redirect to the claims-gathering page.
    func pendingSession(state: String, returnTarget: String, now: Int64) -> ClaimsSession {
        ClaimsSession(
            service: self.serviceName, expiresAt: now + Self.seconds(self.settings.pendingLifetime), state: state,
            returnTarget: returnTarget)
    }

    /// A session holding an RPT.
    func rptSession(_ rpt: String, now: Int64) -> ClaimsSession {
        ClaimsSession(service: self.serviceName, expiresAt: now + Self.seconds(self.settings.sessionLifetime), rpt: rpt)
    }

    /// `claims_redirect_uri`: the request's scheme (the listener's), `Host` name and listening port + the path.
    func redirectURI(_ request: ClaimsRequestContext) -> String? {
        guard let path = self.policy.claimsRedirectPath, let hostValue = request.host,
            let host = HostPattern.HostHeader(parsing: hostValue)
        else { return nil }
        return ClaimsRedirectURI.build(scheme: request.scheme, host: host.uriHost, port: request.port, path: path)
    }

    /// `302` to `location` with the session cookie set (or cleared), never cached.
    static func redirect(_ location: String, setCookie: String?) -> HTTPResponseMessage {
        var headers: [(name: String, value: String)] = [
            ("Location", location), ("Cache-Control", "no-cache, no-store, max-age=0"),
        ]
        if let setCookie { headers.append(("Set-Cookie", setCookie)) }
        return HTTPResponseMessage(status: 302, headers: headers, body: [])
    }

    static func seconds(_ duration: Duration) -> Int64 {
        duration.components.seconds
    }

    /// The values of cookie `name` in `Cookie` header values (RFC 6265 §5.4 `cookie-string`).
    static func values(named name: String, in headers: [String]) -> [String] {
        var out: [String] = []
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                out.append(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return out
    }
}

/// The callback `state` values already used, until their sessions expire: a callback is accepted once
/// (SECURITY "replayed callback"). Process-wide, so a reload does not forget them.
final class ClaimsStateLedger: Sendable {
    static let shared = ClaimsStateLedger(capacity: 100_000)

    private let used = Mutex<[String: Int64]>([:])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Records `state` as used until `expiresAt`.
    /// - Returns: `true` when it was not used before. When the ledger is full of live entries it answers `false`
    ///   (fail closed: the browser starts over).
    func consume(_ state: String, expiresAt: Int64, now: Int64) -> Bool {
        self.used.withLock { used in
            if used[state] != nil { return false }
            if used.count >= self.capacity { used = used.filter { $0.value > now } }
            guard used.count < self.capacity else { return false }
            used[state] = expiresAt
            return true
        }
    }
}
