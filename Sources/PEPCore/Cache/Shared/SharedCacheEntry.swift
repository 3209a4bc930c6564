/// What the shared second-level cache on Redis holds, and how it is keyed and encoded (pure; the Redis shell is
/// `UMAClient.SharedCacheClient`). Docs: docs/operations.md "Several instances: the Redis cache".
///
/// Keys are namespaced by authorization server and name the token only by its SHA-256 (never the token):
///
/// - `uma-pep:v1:<sha256(authorization server) hex>:intro:<sha256(token) hex>` — an introspection answer
///   (active or not: negative entries are shared too);
/// - `uma-pep:v1:<sha256(authorization server) hex>:grant:<sha256(token) hex>:<sha256(method SP path pattern) hex>`
///   — an oxd `/uma-rs-check-access` grant (Part B §4.4), keyed by what oxd decides on.
///
/// Values are JSON carrying a format version and their own key: `{"v":1,"k":K,"expires_at":E,"introspection":{…as
/// received…}}` or `{"v":1,"k":K,"expires_at":E,"grant":{"valid_until":U}}`, `E` and `U` in seconds since the
/// epoch. The key makes a value read for another key (a reply that went to the wrong request, after a protocol
/// slip between uma-pep and the server) an invalid value, never another token's answer. A value of
/// another version, or one that does not decode, is a miss (and counted as invalid): the request goes on to the
/// authorization server, whose answer overwrites it.
public enum SharedCacheEntry: Sendable, Equatable {
    /// An introspection answer (RFC 7662; oxd `/introspect-rpt`), as the authorization server sent it.
    case introspection(IntrospectionResult)
    /// A grant from oxd's `/uma-rs-check-access`.
    case grant(CachedGrant)

    /// The value format this build writes and reads (`"v"`).
    public static let formatVersion: Int64 = 1
    /// The prefix of every key; the `v1` is the key layout's version.
    public static let keyPrefix = "uma-pep:v1"

    /// The key of an introspection entry.
    /// - Parameters:
    ///   - serverDigest: lowercase hex SHA-256 of the authorization server's identifier (issuer, `op_url` or oxd id).
    ///   - tokenDigest: lowercase hex SHA-256 of the token.
    public static func introspectionKey(serverDigest: String, tokenDigest: String) -> String {
        "\(Self.keyPrefix):\(serverDigest):intro:\(tokenDigest)"
    }

    /// The key of a grant entry.
    /// - Parameters:
    ///   - serverDigest: lowercase hex SHA-256 of the authorization server's identifier.
    ///   - tokenDigest: lowercase hex SHA-256 of the RPT.
    ///   - requestDigest: lowercase hex SHA-256 of ``grantRequest(method:pattern:)``.
    public static func grantKey(serverDigest: String, tokenDigest: String, requestDigest: String) -> String {
        "\(Self.keyPrefix):\(serverDigest):grant:\(tokenDigest):\(requestDigest)"
    }

    /// What a grant depends on besides the RPT: `"<method> <path pattern>"` (oxd's `http_method` and `path`).
    public static func grantRequest(method: String, pattern: String) -> String {
        "\(method) \(pattern)"
    }

    /// The value to store.
    /// - Parameters:
    ///   - expiresAt: seconds since the epoch when the entry lapses (`now + ttl`, rounded up).
    ///   - key: the Redis key it is stored under, written into the value (`"k"`) and checked on read.
    /// - Returns: the JSON bytes.
    public func encoded(expiresAt: Int64, key: String? = nil) -> [UInt8] {
        var members: [String: JSONValue] = ["v": .int(Self.formatVersion), "expires_at": .int(expiresAt)]
        if let key { members["k"] = .string(key) }
        switch self {
        case .introspection(let result):
            // The object as received, or for a result cached without it (`IntrospectionResult.withoutRaw`) its
            // typed members.
            members["introspection"] = result.introspectData(consumer: nil)
        case .grant(let grant): members["grant"] = .object(["valid_until": .int(grant.validUntil)])
        }
        return JSONCodec.serialize(.object(members))
    }

    /// A value read back from Redis.
    public enum Read: Sendable, Equatable {
        /// Usable for at most `remaining` more (> 0; the entry's own lapse, whatever Redis's TTL says).
        case hit(SharedCacheEntry, remaining: Duration)
        /// Decoded, but lapsed at `now` (another instance's clock, or a grant past `valid_until`): a miss.
        case lapsed
        /// Another format version: a miss, not an error (a rolling upgrade).
        case otherVersion
        /// Not a value this build could have written: a miss, counted as an error.
        case invalid
    }

    /// Decodes a value for the expected kind of entry.
    /// - Parameters:
    ///   - bytes: the Redis string.
    ///   - expectingGrant: `true` for a grant key, `false` for an introspection key.
    ///   - now: seconds since the epoch.
    ///   - key: the key the value was read under: the value's `"k"` must name it (else `invalid`).
    /// - Returns: the verdict. An active introspection is `lapsed` once `now ≥ exp − 5 s` (``CacheTTL/isUsable``),
    ///   a grant once `now ≥ valid_until`, either once `now ≥ expires_at`.
    public static func decode(_ bytes: [UInt8], expectingGrant: Bool, now: Int64, key: String? = nil) -> Read {
        guard let json = try? JSONCodec.parse(bytes), let members = json.objectValue else { return .invalid }
        guard case .int(let version)? = members["v"] else { return .invalid }
        guard version == Self.formatVersion else { return .otherVersion }
        if let key {
            guard case .string(let stored)? = members["k"], stored == key else { return .invalid }
        }
        guard case .int(let expiresAt)? = members["expires_at"] else { return .invalid }
        let entry: SharedCacheEntry
        if expectingGrant {
            guard let grant = members["grant"]?.objectValue, case .int(let validUntil)? = grant["valid_until"] else {
                return .invalid
            }
            let cached = CachedGrant(validUntil: validUntil)
            guard cached.isValid(at: now) else { return .lapsed }
            entry = .grant(cached)
        } else {
            guard let raw = members["introspection"], case .success(let result) = IntrospectionResult.decode(json: raw)
            else { return .invalid }
            guard CacheTTL.isUsable(result, now: now) else { return .lapsed }
            entry = .introspection(result)
        }
        let (remaining, overflow) = expiresAt.subtractingReportingOverflow(now)
        guard !overflow, remaining > 0 else { return overflow && expiresAt > 0 ? .invalid : .lapsed }
        return .hit(entry, remaining: .seconds(remaining))
    }

    /// The Redis TTL (`SET … PX`, https://redis.io/commands/set/) of an entry whose local TTL is `ttl` (a
    /// `CacheUpdate`'s, decided by `EnforcementStateMachine` from `exp` / `nbf`, `cache.max_ttl`,
    /// `cache.negative_ttl`, `cache.ttl_without_exp`): the same lifetime, in whole milliseconds.
    /// - Returns: milliseconds > 0, or `nil` when nothing is to be stored.
    public static func redisTTLMilliseconds(_ ttl: Duration) -> Int64? {
        let milliseconds = CacheInstant.saturatingNanoseconds(ttl) / 1_000_000
        return milliseconds > 0 ? milliseconds : nil
    }

    /// `expires_at` for an entry stored at `now` for `ttl`: `now + ⌈ttl⌉` in seconds, saturating.
    public static func expiresAt(now: Int64, ttl: Duration) -> Int64 {
        var seconds = ttl.components.seconds
        if ttl.components.attoseconds > 0 { seconds += 1 }
        let (sum, overflow) = now.addingReportingOverflow(seconds)
        return overflow ? Int64.max : sum
    }
}
