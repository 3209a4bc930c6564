/// Frozen host → value routing (DESIGN.md request flow "route by Host"; SPEC Part B §1: Kong picks the route
/// by `Host`). `Value` is typically the compiled service.
///
/// Precedence, first hit wins:
/// 1. an exact name pattern, restricted to the listener port;
/// 2. an exact name pattern without port;
/// 3. wildcard patterns by **longest suffix** (`*.a.example.com` before `*.example.com`), at each suffix the
///    port-restricted one before the one without port.
///
/// Exact names are one dictionary lookup; wildcards one lookup per label of the request name. Immutable after
/// `init`; a config reload builds a new table.
public struct RouteTable<Value: Sendable>: Sendable {
    /// Entries of one name key: by listener port, and the any-port entry. Values are entry indices.
    struct Slot: Sendable {
        var byPort: [Int: Int] = [:]
        var anyPort: Int? = nil

        func entry(listenerPort: Int) -> Int? {
            self.byPort[listenerPort] ?? self.anyPort
        }
    }

    /// The entries' values, in configuration order.
    public let values: [Value]
    let exact: [String: Slot]
    let wildcards: [String: Slot]

    /// Builds the table.
    /// - Parameter entries: each value with the host patterns that select it, in configuration order.
    /// - Throws: `RouteTableError.duplicateHost` for the first pattern (same name kind, name and port) that
    ///   was already listed, by this or an earlier entry.
    public init(_ entries: [(patterns: [HostPattern], value: Value)]) throws(RouteTableError) {
        var exact: [String: Slot] = [:]
        var wildcards: [String: Slot] = [:]
        for (entryIndex, entry) in entries.enumerated() {
            for (patternIndex, pattern) in entry.patterns.enumerated() {
                let existing: Int?
                switch pattern.name {
                case .exact(let name):
                    existing = RouteTable.register(entryIndex, port: pattern.port, in: &exact[name, default: Slot()])
                case .wildcard(let suffix):
                    existing = RouteTable.register(
                        entryIndex, port: pattern.port, in: &wildcards[suffix, default: Slot()])
                }
                if let existing {
                    throw .duplicateHost(
                        pattern: pattern, entryIndex: entryIndex, patternIndex: patternIndex,
                        existingEntryIndex: existing)
                }
            }
        }
        self.values = entries.map(\.value)
        self.exact = exact
        self.wildcards = wildcards
    }

    /// Stores `entryIndex` under `port`; returns the entry already there instead, if any.
    private static func register(_ entryIndex: Int, port: Int?, in slot: inout Slot) -> Int? {
        if let port {
            if let existing = slot.byPort[port] { return existing }
            slot.byPort[port] = entryIndex
        } else {
            if let existing = slot.anyPort { return existing }
            slot.anyPort = entryIndex
        }
        return nil
    }

    /// Routes a request by its `Host` header.
    /// - Parameters:
    ///   - hostHeader: the `Host` field value (`name`, `name:port`, `[v6]:port`; see `HostPattern.HostHeader`).
    ///   - listenerPort: the local port the connection was accepted on (the header's port is not used).
    /// - Returns: the routed value, or `nil` when the header is malformed or no pattern matches.
    public func route(hostHeader: String, listenerPort: Int) -> Value? {
        guard let host = HostPattern.HostHeader(parsing: hostHeader) else { return nil }
        return self.route(hostName: host.name, listenerPort: listenerPort)
    }

    /// Routes a request by an already normalized host name (`HostPattern.HostHeader.name`).
    /// - Parameters:
    ///   - hostName: lowercased name without trailing dot, or an IPv6 literal without brackets.
    ///   - listenerPort: the local port the connection was accepted on.
    /// - Returns: the routed value, or `nil` when no pattern matches.
    public func route(hostName: String, listenerPort: Int) -> Value? {
        if let slot = self.exact[hostName], let entry = slot.entry(listenerPort: listenerPort) {
            return self.values[entry]
        }
        guard !self.wildcards.isEmpty else { return nil }
        let utf8 = hostName.utf8
        var searchStart = utf8.startIndex
        // Longest suffix first: strip one leading label at a time. The apex itself is never tried.
        while let dot = utf8[searchStart...].firstIndex(of: UInt8(ascii: ".")) {
            let suffixStart = utf8.index(after: dot)
            if let slot = self.wildcards[String(hostName[suffixStart...])],
                let entry = slot.entry(listenerPort: listenerPort)
            {
                return self.values[entry]
            }
            searchStart = suffixStart
        }
        return nil
    }
}
