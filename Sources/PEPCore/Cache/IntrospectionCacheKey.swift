/// Key of the introspection cache: (authorization server, token) (SPEC A7; A3 scopes keys by authorization
/// server; SECURITY.md case 23).
///
/// The strings are hashed once, at construction, with the process-seeded `Hasher` (so hostile tokens cannot
/// aim at one bucket); `hash(into:)` then feeds only that word, so the cache's per-operation hashing does not
/// depend on the token's length. Equality compares the hash first, then the strings.
///
/// `description` never contains the token (only its length): keys may end up in logs.
public struct IntrospectionCacheKey: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// Identifies the authorization server (its issuer or `op_url`, or the oxd id): the same token at two
    /// servers is two entries.
    public let authorizationServer: String
    /// The bearer token exactly as presented.
    public let token: String
    @usableFromInline let precomputedHash: Int

    /// Creates a key; hashes both strings once.
    public init(authorizationServer: String, token: String) {
        self.authorizationServer = authorizationServer
        self.token = token
        var hasher = Hasher()
        hasher.combine(authorizationServer)
        hasher.combine(token)
        self.precomputedHash = hasher.finalize()
    }

    /// Equal when the authorization server and the token are equal.
    @inlinable
    public static func == (lhs: IntrospectionCacheKey, rhs: IntrospectionCacheKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.token == rhs.token
            && lhs.authorizationServer == rhs.authorizationServer
    }

    /// Feeds the precomputed hash.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.precomputedHash)
    }

    /// `introspection(<authorization server>, token: <n> bytes)`: the token itself is never shown.
    public var description: String {
        "introspection(\(self.authorizationServer), token: \(self.token.utf8.count) bytes)"
    }

    /// A mirror without the token (for `dump` and debuggers).
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["authorizationServer": self.authorizationServer, "tokenBytes": self.token.utf8.count]
                as KeyValuePairs<String, Any>)
    }
}
