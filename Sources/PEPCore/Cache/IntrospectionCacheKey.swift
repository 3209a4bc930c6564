/// Key of the introspection cache: (authorization server, token) (SPEC A7; A3 scopes keys by authorization
/// server; SECURITY.md case 23).
///
/// The members are hashed once, at construction, with the process-seeded `Hasher` (so hostile tokens cannot
/// aim at one bucket); `hash(into:)` then feeds only that word, so the cache's per-operation hashing does not
/// depend on the token's length. Equality compares the hash first, then the token's bytes (``CacheTokenBytes``:
/// kept inline up to 46 bytes, so a cached opaque RPT costs no heap block) and the authorization server.
///
/// `description` never contains the token (only its length): keys may end up in logs.
public struct IntrospectionCacheKey: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// Identifies the authorization server (its issuer or `op_url`, or the oxd id): the same token at two
    /// servers is two entries.
    public let authorizationServer: String
    /// The bearer token's bytes exactly as presented.
    public let tokenBytes: CacheTokenBytes
    @usableFromInline let precomputedHash: Int

    /// Creates a key; hashes both members once.
    public init(authorizationServer: String, token: String) {
        self.authorizationServer = authorizationServer
        self.tokenBytes = CacheTokenBytes(token)
        var hasher = Hasher()
        hasher.combine(authorizationServer)
        hasher.combine(self.tokenBytes)
        self.precomputedHash = hasher.finalize()
    }

    /// Whether this is `token`'s key (at some authorization server), without building a `String`.
    public func holds(token: String) -> Bool {
        self.tokenBytes.holds(token)
    }

    /// Equal when the authorization server and the token's bytes are equal.
    @inlinable
    public static func == (lhs: IntrospectionCacheKey, rhs: IntrospectionCacheKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.tokenBytes == rhs.tokenBytes
            && lhs.authorizationServer == rhs.authorizationServer
    }

    /// Feeds the precomputed hash.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.precomputedHash)
    }

    /// `introspection(<authorization server>, token: <n> bytes)`: the token itself is never shown.
    public var description: String {
        "introspection(\(self.authorizationServer), token: \(self.tokenBytes.count) bytes)"
    }

    /// A mirror without the token (for `dump` and debuggers).
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["authorizationServer": self.authorizationServer, "tokenBytes": self.tokenBytes.count]
                as KeyValuePairs<String, Any>)
    }
}
