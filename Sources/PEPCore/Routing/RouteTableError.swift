/// Why a set of services' host patterns cannot form a `RouteTable`.
public enum RouteTableError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The same pattern (same name kind, name and port) appears twice, so one entry could never be chosen.
    /// `entryIndex`/`patternIndex` locate the second occurrence (`services[entryIndex].hosts[patternIndex]`);
    /// `existingEntryIndex` is the entry that listed it first (possibly the same entry).
    case duplicateHost(pattern: HostPattern, entryIndex: Int, patternIndex: Int, existingEntryIndex: Int)

    /// Stable machine-readable reason (STYLE.md rule 8).
    public var detail: String {
        switch self {
        case .duplicateHost: "route.duplicate_host"
        }
    }

    /// A human-readable message naming the pattern and both entries.
    public var description: String {
        switch self {
        case .duplicateHost(let pattern, let entry, let index, let existing):
            "host \"\(pattern)\" (entry \(entry), host \(index)) is already routed by entry \(existing)"
        }
    }
}
