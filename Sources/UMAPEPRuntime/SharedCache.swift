import Foundation
import Logging
import PEPCore
import PEPMetrics
import UMAClient

/// The enforcement side of the shared second-level cache on Redis (`cache.redis`; docs/operations.md "Several
/// instances: the Redis cache"): turns a single-flight leader's introspection or check-access into a Redis
/// lookup first, and its fresh answer into a Redis write, with the keys and values of ``SharedCacheEntry``.
///
/// Consulted only on a local miss, by the one task that leads the single flight, on the control-plane thread;
/// never on the data plane's cached-grant path. Every lookup completes within `cache.redis.timeout`: a miss, an
/// error or a timeout all mean "ask the authorization server".
final class SharedCache: Sendable {
    let client: SharedCacheClient
    let metrics: SharedCacheMetrics?
    let epochSeconds: @Sendable () -> Int64
    /// Per authorization server (config name): the hex SHA-256 of its identity, the keys' namespace.
    let namespaces: [String: String]

    /// - Parameters:
    ///   - servers: the configured authorization servers; each one's namespace is the SHA-256 of its identity
    ///     (``identity(of:)``), so instances configured alike share entries whatever the servers' names.
    init(
        client: SharedCacheClient, metrics: SharedCacheMetrics?, servers: [AuthorizationServerConfiguration],
        epochSeconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.client = client
        self.metrics = metrics
        self.epochSeconds = epochSeconds
        var namespaces: [String: String] = [:]
        for server in servers { namespaces[server.name] = SharedCacheDigest.sha256Hex(Self.identity(of: server)) }
        self.namespaces = namespaces
    }

    /// What an answer depends on besides the token: the mode, the authorization server's URL, the client the
    /// PAT belongs to, and in oxd mode the oxd server and `oxd_id` (whose resource set grants are decided on).
    static func identity(of server: AuthorizationServerConfiguration) -> String {
        switch server.mode {
        case .oxd: return "oxd \(server.oxdURL ?? "") \(server.oxdId ?? "") \(server.opURL) \(server.clientId)"
        case .uma2: return "uma2 \(server.opURL) \(server.clientId)"
        }
    }

    /// The Redis key of `token`'s introspection at the authorization server named `server`.
    func introspectionKey(server: String, token: String) -> String {
        SharedCacheEntry.introspectionKey(
            serverDigest: self.namespace(server), tokenDigest: SharedCacheDigest.sha256Hex(token))
    }

    /// The Redis key of an oxd grant for `token` on `method pattern` at the authorization server named `server`.
    func grantKey(server: String, token: String, method: String, pattern: String) -> String {
        SharedCacheEntry.grantKey(
            serverDigest: self.namespace(server), tokenDigest: SharedCacheDigest.sha256Hex(token),
            requestDigest: SharedCacheDigest.sha256Hex(SharedCacheEntry.grantRequest(method: method, pattern: pattern)))
    }

    private func namespace(_ server: String) -> String {
        self.namespaces[server] ?? SharedCacheDigest.sha256Hex("name \(server)")
    }

    /// Looks `key` up; `completion` gets the entry and how long it may still be used, or `nil` (ask the
    /// authorization server). Runs on the control-plane thread.
    func lookup(
        _ key: String, grant: Bool,
        completion: @escaping @Sendable ((entry: SharedCacheEntry, remaining: Duration)?) -> Void
    ) {
        let kind: SharedCacheMetrics.Kind = grant ? .grant : .introspection
        self.client.get(key) { [self] reply in
            switch reply {
            case .failed(let failure):
                self.metrics?.recordError(kind, reason: failure.rawValue)
                completion(nil)
            case .none:
                self.metrics?.recordLookup(kind, .miss)
                completion(nil)
            case .value(let bytes):
                switch SharedCacheEntry.decode(bytes, expectingGrant: grant, now: self.epochSeconds(), key: key) {
                case .hit(let entry, let remaining):
                    self.metrics?.recordLookup(kind, .hit)
                    completion((entry, remaining))
                case .lapsed:
                    self.metrics?.recordLookup(kind, .miss)
                    completion(nil)
                case .otherVersion:
                    self.metrics?.recordLookup(kind, .otherVersion)
                    completion(nil)
                case .invalid:
                    self.metrics?.recordLookup(kind, .invalid)
                    completion(nil)
                }
            }
        }
    }

    /// Stores `entry` under `key` for `ttl` (the local cache's TTL for it); nothing when `ttl` ≤ 0.
    func store(_ entry: SharedCacheEntry, key: String, ttl: Duration) {
        guard let milliseconds = SharedCacheEntry.redisTTLMilliseconds(ttl) else { return }
        let kind: SharedCacheMetrics.Kind
        if case .grant = entry { kind = .grant } else { kind = .introspection }
        let value = entry.encoded(
            expiresAt: SharedCacheEntry.expiresAt(now: self.epochSeconds(), ttl: ttl), key: key)
        self.client.set(key, value: value, milliseconds: milliseconds) { [metrics] reply in
            if case .failed(let failure) = reply {
                metrics?.recordError(kind, reason: failure.rawValue, write: true)
            } else {
                metrics?.recordWrite(kind)
            }
        }
    }
}
