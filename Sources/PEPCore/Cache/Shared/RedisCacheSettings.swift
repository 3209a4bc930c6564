/// `cache.redis`: the optional shared second-level cache on Redis (docs/operations.md "Several instances: the
/// Redis cache"). Introspection results, oxd grants and negative entries are shared between uma-pep instances;
/// each instance's own caches stay in front of it.
///
/// The URL follows the Redis URI scheme (IANA `redis`, https://www.iana.org/assignments/uri-schemes/prov/redis):
/// `redis://[[user]:password@]host[:port][/db]`. `user` and `password` are percent-decoded; the password usually
/// comes from the environment (`${REDIS_PASSWORD}`). `rediss://` (TLS) is refused: Debian 12's hiredis 0.14 has
/// no TLS (see the docs for a TLS sidecar).
public struct RedisCacheSettings: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP literal (IPv6 in brackets in the URL, without them here).
    public let host: String
    /// TCP port, 1…65535; default 6379.
    public let port: Int
    /// Logical database (`SELECT`); default 0.
    public let database: Int
    /// ACL user (Redis ≥ 6 `AUTH user password`), or `nil` for `AUTH password` / no AUTH.
    public let username: String?
    /// The password, or `nil` for no `AUTH`. Never logged.
    public let password: ConfigSecret?
    /// How long a request waits for a Redis answer before it goes on to the authorization server. Default 50 ms.
    public let timeout: Duration
    /// How long a connection attempt may take before it counts as failed. Default 1 s.
    public let connectTimeout: Duration
    /// The longest pause between reconnection attempts (exponential backoff from 100 ms). Default 30 s.
    public let maxBackoff: Duration
    /// Commands in flight at most; beyond it requests skip Redis. Default 1000.
    public let maxPending: Int

    /// Creates settings.
    public init(
        host: String, port: Int = 6379, database: Int = 0, username: String? = nil, password: ConfigSecret? = nil,
        timeout: Duration = .milliseconds(50), connectTimeout: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(30),
        maxPending: Int = 1000
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxBackoff = maxBackoff
        self.maxPending = maxPending
    }

    /// The URL with the password shown as `REDACTED`: `redis://user:REDACTED@host:port/db`.
    public var description: String {
        var credentials = ""
        if let username { credentials = username }
        if self.password != nil { credentials += ":REDACTED" }
        if !credentials.isEmpty { credentials += "@" }
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(credentials)\(host):\(self.port)/\(self.database)"
    }

    /// Why a Redis URL was refused.
    public enum URLError: Error, Equatable, Sendable {
        /// Not `redis://`; `rediss://` names TLS, which the packaged hiredis lacks.
        case unsupportedScheme(String)
        /// No host after the credentials.
        case missingHost
        /// A port that is not an integer in 1…65535.
        case invalidPort
        /// A database that is not an integer in 0…2^31−1.
        case invalidDatabase
        /// A `%` escape that is not two hex digits, or a query / fragment.
        case invalidSyntax(String)
    }

    /// The parts of a `redis://` URL (no I/O).
    /// - Parameter url: `redis://[[user]:password@]host[:port][/db]`.
    /// - Returns: host, port (default 6379), database (default 0), user and password (percent-decoded; empty
    ///   strings count as absent).
    /// - Throws: ``URLError``.
    public static func parseURL(_ url: String) throws(URLError) -> (
        host: String, port: Int, database: Int, username: String?, password: String?
    ) {
        guard let schemeEnd = url.range(of: "://") else { throw .unsupportedScheme(url.isEmpty ? "" : "none") }
        let scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        guard scheme == "redis" else { throw .unsupportedScheme(scheme) }
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") { throw .invalidSyntax("query or fragment") }
        var username: String?
        var password: String?
        // The last '@' ends the credentials: a password may contain '@' only percent-encoded, but be lenient.
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                username = try Self.percentDecoded(credentials[..<colon])
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                // `redis://secret@host`: a lone credential is the password (like redis-cli -u).
                password = try Self.percentDecoded(credentials)
            }
        }
        var authority = rest
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let value = Int(path), value >= 0, value <= Int(Int32.max) else { throw .invalidDatabase }
                database = value
            }
        }
        var host = authority
        var port = 6379
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidSyntax("unclosed '['") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) else {
                    throw .invalidPort
                }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else {
                throw .invalidPort
            }
            port = value
        }
        guard !host.isEmpty else { throw .missingHost }
        return (
            String(host), port, database, username.flatMap { $0.isEmpty ? nil : $0 },
            password.flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    /// RFC 3986 §2.1 percent-decoding.
    static func percentDecoded(_ text: Substring) throws(URLError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(CanonicalTarget.hexDigit),
                let low = iterator.next().flatMap(CanonicalTarget.hexDigit)
            else { throw .invalidSyntax("bad percent escape") }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
