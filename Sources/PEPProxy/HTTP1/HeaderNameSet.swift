/// A fixed set of lower-case field names, looked up by a received name's raw bytes, ASCII case-insensitively
/// (RFC 9110 §5.1: field names are case-insensitive), without allocating.
///
/// Names are bucketed by length, so a lookup compares bytes only with the (usually zero to three) names of the
/// received name's length. Used for the hop-by-hop, routing and reserved names the forwarders drop on every
/// request and response.
struct HeaderNameSet: Sendable {
    /// `buckets[n]`: the names of `n` bytes, lower-case.
    private let buckets: [[[UInt8]]]

    /// - Parameter names: field names (tokens), compared ASCII case-insensitively; duplicates are harmless.
    init(_ names: [String]) {
        let longest = names.map(\.utf8.count).max() ?? 0
        var buckets = [[[UInt8]]](repeating: [], count: longest + 1)
        for name in names { buckets[name.utf8.count].append(name.utf8.map(HTTP1Grammar.lowercased)) }
        self.buckets = buckets
    }

    /// Whether `name` (raw bytes as received) is in the set, ignoring ASCII case.
    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        guard name.count < self.buckets.count else { return false }
        for candidate in self.buckets[name.count] where Self.equalsLowercased(name, candidate) { return true }
        return false
    }

    /// Compares raw bytes with a lower-case name of the same length.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: [UInt8]) -> Bool {
        guard bytes.count == lowercased.count else { return false }
        for i in 0..<bytes.count where HTTP1Grammar.lowercased(bytes[i]) != lowercased[i] { return false }
        return true
    }
}
