import Synchronization

/// Shares the storage of equal strings, string arrays and permission lists among cached introspection results,
/// so a member that repeats from token to token (a permission's `resource_id` and scopes, `iss`, `client_id`,
/// the permission list) is held once instead of once per cached token (docs/benchmarks.md, "Memory with 100 000
/// tokens"). Per-user members (`sub`) are not interned: they would fill the bounded string table and crowd out
/// the members that do repeat.
///
/// A decoded result owns a fresh heap string per member longer than 15 UTF-8 bytes (shorter ones are stored
/// inline and are returned unchanged) and a fresh array per scope list; ``interned(_:)`` swaps them for the first
/// equal copy seen. Bounded: once `limit` distinct strings (arrays, lists, descriptors) are held, new ones are
/// returned as they are, so hostile answers cannot grow it past `limit` entries of each kind. Thread-safe (one
/// lock); used only when a result is stored in the cache, never on a cache hit.
public final class CacheInterner: Sendable {
    struct State {
        var strings: Set<String> = []
        var arrays: Set<[String]> = []
        var permissionLists: Set<[IntrospectionResult.Permission]> = []
        var descriptors: Set<IntrospectionResult.Descriptor> = []

        /// The held string equal to `value`, or `value` (then held, while under `limit`); a small string is
        /// returned as it is.
        mutating func string(_ value: String, limit: Int) -> String {
            guard value.utf8.count > 15 else { return value }  // small strings live inline: nothing to share
            return self.strings.shared(value, limit: limit)
        }
    }

    /// The most distinct strings, string arrays and permission lists held (each).
    public let limit: Int
    private let state = Mutex(State())

    /// Creates an empty interner holding at most `limit` strings, `limit` arrays, `limit` permission lists and
    /// `limit` descriptors (default 4096).
    public init(limit: Int = 4096) {
        self.limit = max(0, limit)
    }

    /// The held copy equal to `value`, or `value` (then held, while under the limit).
    public func intern(_ value: String) -> String {
        guard value.utf8.count > 15 else { return value }  // no lock for what cannot be shared
        return self.state.withLock { $0.string(value, limit: self.limit) }
    }

    /// The held copy equal to `value` (its elements interned too), or `value`.
    public func intern(_ value: [String]) -> [String] {
        guard !value.isEmpty else { return value }
        return self.state.withLock { state in
            if let index = state.arrays.firstIndex(of: value) { return state.arrays[index] }
            guard state.arrays.count < self.limit else { return value }
            let elements = value.map { state.string($0, limit: self.limit) }
            state.arrays.insert(elements)
            return elements
        }
    }

    /// The held permission list equal to `value`, or `value` (then held, while under the limit). Its members
    /// are expected to be interned already.
    public func intern(_ value: [IntrospectionResult.Permission]) -> [IntrospectionResult.Permission] {
        guard !value.isEmpty else { return value }
        return self.state.withLock { $0.permissionLists.shared(value, limit: self.limit) }
    }

    /// The held descriptor (`client_id`, `iss`, flags) equal to `value` (its strings interned too), or `value`.
    func intern(_ value: IntrospectionResult.Descriptor) -> IntrospectionResult.Descriptor {
        self.state.withLock { state in
            if let index = state.descriptors.firstIndex(of: value) { return state.descriptors[index] }
            guard state.descriptors.count < self.limit else { return value }
            let shared = IntrospectionResult.Descriptor(
                clientId: value.clientId.map { state.string($0, limit: self.limit) },
                iss: value.iss.map { state.string($0, limit: self.limit) }, flags: value.flags)
            state.descriptors.insert(shared)
            return shared
        }
    }

    /// Distinct strings, string arrays and permission lists held (for tests).
    public var counts: (strings: Int, arrays: Int, permissionLists: Int) {
        self.state.withLock { ($0.strings.count, $0.arrays.count, $0.permissionLists.count) }
    }
}

extension Set {
    /// The member equal to `value`, or `value` itself, inserted while the set has fewer than `limit` members
    /// (one hash while under the limit).
    fileprivate mutating func shared(_ value: Element, limit: Int) -> Element {
        if self.count < limit { return self.insert(value).memberAfterInsert }
        guard let index = self.firstIndex(of: value) else { return value }
        return self[index]
    }
}

extension IntrospectionResult {
    /// This result with its repeating members shared through `interner`: `client_id`, `iss` and the flags (one
    /// descriptor), each permission's resource id and scope list, and the permission list itself when an equal one
    /// was seen (permissions with their own `exp` rarely repeat; see ``withoutRedundantPermissionExpiries``).
    /// Equal to `self`.
    public func interned(_ interner: CacheInterner) -> IntrospectionResult {
        var copy = self
        copy.descriptor = self.descriptor.map(interner.intern)
        var permissions = self.permissions
        for index in permissions.indices {
            permissions[index].resourceId = interner.intern(permissions[index].resourceId)
            permissions[index].scopes = interner.intern(permissions[index].scopes)
        }
        copy.permissions = interner.intern(permissions)
        return copy
    }
}
