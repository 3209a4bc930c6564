/// A fixed set of field names, looked up by a received name's raw bytes, ASCII case-insensitively (RFC 9110
/// §5.1: field names are case-insensitive), without allocating.
///
/// Names are bucketed by length, so a lookup compares bytes only with the (usually zero to three) names of the
/// received name's length. Used for the hop-by-hop, routing and reserved names the forwarders drop on every
/// request and response.
///
/// A comparison takes 8 bytes at a time (the last word overlapping the one before; two 4-byte words below 8
/// bytes): each stored name keeps a fold mask with 0x20 at its letters, and a received word OR-ed with the mask
/// must equal the stored word. That folds upper-case letters where the name has a letter and nothing anywhere
/// else, so the comparison is exact ASCII case-insensitive equality for any bytes.
struct HeaderNameSet: Sendable {
    /// One stored name: its lower-case bytes and the fold mask (0x20 at letters, 0 elsewhere).
    private struct Name: Sendable {
        let bytes: [UInt8]
        let fold: [UInt8]
    }
    /// `buckets[n]`: the names of `n` bytes.
    private let buckets: [[Name]]

    /// - Parameter names: field names, compared ASCII case-insensitively; duplicates are harmless.
    init(_ names: [String]) {
        let longest = names.map(\.utf8.count).max() ?? 0
        var buckets = [[Name]](repeating: [], count: longest + 1)
        for name in names {
            let bytes = name.utf8.map(HTTP1Grammar.lowercased)
            let fold = bytes.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? UInt8(0x20) : 0 }
            buckets[bytes.count].append(Name(bytes: bytes, fold: fold))
        }
        self.buckets = buckets
    }

    /// Whether `name` is one of the set's names, ignoring ASCII case.
    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        guard name.count < self.buckets.count else { return false }
        return self.buckets.withUnsafeBufferPointer { buckets in
            buckets[name.count].withUnsafeBufferPointer { candidates in
                for candidate in candidates where Self.equals(name, candidate) { return true }
                return false
            }
        }
    }

    @inline(__always)
    private static func equals(_ received: UnsafeRawBufferPointer, _ name: Name) -> Bool {
        name.bytes.withUnsafeBytes { stored in
            name.fold.withUnsafeBytes { fold in Self.equals(received, stored, fold) }
        }
    }

    /// `received` (any bytes) against `stored` (lower-case) under `fold`; all three have the same length.
    @inline(__always)
    static func equals(
        _ received: UnsafeRawBufferPointer, _ stored: UnsafeRawBufferPointer, _ fold: UnsafeRawBufferPointer
    ) -> Bool {
        let count = received.count
        guard count > 0, let r = received.baseAddress, let s = stored.baseAddress, let f = fold.baseAddress else {
            return count == 0
        }
        if count >= 8 {
            var offset = 0
            while true {
                let at = min(offset, count - 8)
                let word =
                    r.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    | f.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                guard word == s.loadUnaligned(fromByteOffset: at, as: UInt64.self) else { return false }
                if at == count - 8 { return true }
                offset += 8
            }
        }
        if count >= 4 {
            let last = count - 4
            return r.loadUnaligned(as: UInt32.self) | f.loadUnaligned(as: UInt32.self)
                == s.loadUnaligned(as: UInt32.self)
                && r.loadUnaligned(fromByteOffset: last, as: UInt32.self)
                    | f.loadUnaligned(fromByteOffset: last, as: UInt32.self)
                    == s.loadUnaligned(fromByteOffset: last, as: UInt32.self)
        }
        for index in 0..<count
        where r.load(fromByteOffset: index, as: UInt8.self)
            | f.load(
                fromByteOffset: index, as: UInt8.self) != s.load(fromByteOffset: index, as: UInt8.self)
        {
            return false
        }
        return true
    }
}
