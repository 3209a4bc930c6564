#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A token's bytes as a cache key keeps them: up to 46 bytes in the key's own memory (an opaque RPT, a UUID),
/// longer ones (a JWT) in a `String`. 48 bytes.
///
/// Inline, a cached token costs no heap block of its own: a 43-byte token as a `String` is a 96-byte allocation
/// (docs/benchmarks.md, "Memory with 100 000 tokens"). Every token of up to ``inlineCapacity`` bytes is stored
/// inline and every longer one in a `String`, so equal tokens always have the same form.
///
/// Equality is byte equality: `String ==` compares canonical equivalence (U+212A KELVIN SIGN equals `K`), and a
/// token that only looks like a cached one must never be served its entry.
public struct CacheTokenBytes: Sendable, Hashable {
    /// The longest token kept inline.
    public static let inlineCapacity = 46

    /// 47 bytes: the token's bytes from the start, zero after them, the count in the last byte.
    @usableFromInline
    struct Inline: Sendable, Equatable {
        @usableFromInline var w0: UInt64 = 0
        @usableFromInline var w1: UInt64 = 0
        @usableFromInline var w2: UInt64 = 0
        @usableFromInline var w3: UInt64 = 0
        @usableFromInline var w4: UInt64 = 0
        @usableFromInline var w5: UInt32 = 0
        @usableFromInline var w6: UInt16 = 0
        @usableFromInline var count: UInt8 = 0

        @usableFromInline init() {}
    }

    @usableFromInline
    enum Storage: Sendable {
        case inline(Inline)
        case heap(String)
    }

    @usableFromInline let storage: Storage

    /// Keeps `token`'s UTF-8 bytes.
    @inlinable
    public init(_ token: String) {
        guard token.utf8.count <= Self.inlineCapacity else {
            self.storage = .heap(token)
            return
        }
        var bytes = token
        var inline = Inline()
        bytes.withUTF8 { utf8 in
            withUnsafeMutableBytes(of: &inline) { $0.copyMemory(from: UnsafeRawBufferPointer(utf8)) }
            inline.count = UInt8(truncatingIfNeeded: utf8.count)
        }
        self.storage = .inline(inline)
    }

    /// Calls `body` with the token's bytes.
    @inlinable
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self.storage {
        case .inline(var inline):
            let count = Int(inline.count)
            return try withUnsafeBytes(of: &inline) { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        case .heap(var string):
            return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// The token's length in bytes.
    @inlinable
    public var count: Int {
        switch self.storage {
        case .inline(let inline): return Int(inline.count)
        case .heap(let string): return string.utf8.count
        }
    }

    /// Whether `token`'s bytes are these, without building a `String`.
    @inlinable
    public func holds(_ token: String) -> Bool {
        var token = token
        return token.withUTF8 { other in
            self.withBytes { mine in
                mine.count == other.count
                    && (mine.isEmpty || memcmp(mine.baseAddress!, other.baseAddress!, mine.count) == 0)
            }
        }
    }

    /// Byte equality (see the type's documentation).
    @inlinable
    public static func == (lhs: CacheTokenBytes, rhs: CacheTokenBytes) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.inline(let a), .inline(let b)): return a == b
        case (.heap, .heap(let b)): return lhs.holds(b)
        default: return false
        }
    }

    /// Feeds the token's bytes and count.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        self.withBytes { hasher.combine(bytes: $0) }
        hasher.combine(self.count)
    }
}

extension CacheTokenBytes: CustomStringConvertible, CustomReflectable {
    /// `<n> bytes`: the token itself is never shown (keys may end up in logs).
    public var description: String { "\(self.count) bytes" }

    /// A mirror without the token (for `dump` and debuggers).
    public var customMirror: Mirror {
        Mirror(self, children: ["count": self.count] as KeyValuePairs<String, Any>)
    }
}
