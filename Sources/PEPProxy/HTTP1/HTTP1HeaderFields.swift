#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where one field line sits inside a parsed head's bytes (offsets from the first byte of the start line).
///
/// 32-bit offsets keep 100 fields in 2 KB; heads are bounded by `HTTP1Limits.maxHeadBytes`, far below 2^31.
struct HTTP1FieldRange: Sendable, Hashable {
    /// First byte of the field name, which is also the first byte of the line.
    var nameStart: Int32
    /// One past the last byte of the name (the colon, or the whitespace before it in a tolerated response).
    var nameEnd: Int32
    /// First byte of the value after leading OWS.
    var valueStart: Int32
    /// One past the last byte of the value before trailing OWS.
    var valueEnd: Int32
    /// One past the line's LF.
    var lineEnd: Int32
}

/// One header field as strings (allocates; the cold-path view of `HTTP1HeaderFields`).
public struct HTTP1HeaderField: Sendable, Hashable {
    /// The field name as received (case preserved).
    public var name: String
    /// The field value with leading and trailing OWS removed (RFC 9110 §5.5).
    public var value: String

    /// Creates a field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The field lines of one parsed head, in order, without one allocation per field.
///
/// Storage is one copy of the head bytes (start line through the blank line) and its field offsets
/// (`HTTP1HeadStorage`), reused by the parser for a later head once no head holds it: the codec's whole
/// allocation budget per head, and none on a connection whose previous head was released. Names and values are
/// materialized as `String` only when asked (`subscript`, `name(at:)`, `value(at:)`); the hot path compares bytes
/// in place (`nameEquals(at:_:)`, `withUnsafeBytes(_:)` with `nameRange(at:)` / `valueRange(at:)` /
/// `lineRange(at:)`).
public struct HTTP1HeaderFields: Sendable, Equatable, RandomAccessCollection {
    /// The head's bytes (start line first) and one offset entry per field line; never written once a head holds it.
    let storage: HTTP1HeadStorage

    init(storage: HTTP1HeadStorage) {
        self.storage = storage
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// The number of field lines.
    public var endIndex: Int { self.storage.rangeCount }

    /// The number of head bytes (start line through the blank line).
    var byteCount: Int { self.storage.byteCount }

    /// Field line `index`'s offsets.
    @inline(__always)
    private func range(_ index: Int) -> HTTP1FieldRange {
        precondition(index >= 0 && index < self.storage.rangeCount, "field index out of range")
        return withExtendedLifetime(self.storage) { self.storage.ranges[index] }
    }

    /// The field at `position` as strings (allocates).
    public subscript(position: Int) -> HTTP1HeaderField {
        HTTP1HeaderField(name: self.name(at: position), value: self.value(at: position))
    }

    /// Byte offsets of the name of field `index` in the head bytes (see `withUnsafeBytes(_:)`).
    public func nameRange(at index: Int) -> Range<Int> {
        let range = self.range(index)
        return Int(range.nameStart)..<Int(range.nameEnd)
    }

    /// Byte offsets of the value of field `index` (OWS trimmed) in the head bytes.
    public func valueRange(at index: Int) -> Range<Int> {
        let range = self.range(index)
        return Int(range.valueStart)..<Int(range.valueEnd)
    }

    /// Byte offsets of the whole line of field `index`, CRLF included, for verbatim relaying.
    public func lineRange(at index: Int) -> Range<Int> {
        let range = self.range(index)
        return Int(range.nameStart)..<Int(range.lineEnd)
    }

    /// The bytes at `range` (offsets into the head bytes) as a string; bytes that are not UTF-8 become U+FFFD.
    func string(at range: Range<Int>) -> String {
        self.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// The name of field `index` as received.
    public func name(at index: Int) -> String {
        self.string(at: self.nameRange(at: index))
    }

    /// The value of field `index`; obs-text bytes that are not UTF-8 are replaced by U+FFFD in this view only.
    public func value(at index: Int) -> String {
        self.string(at: self.valueRange(at: index))
    }

    /// Whether field `index` is named `name`, compared ASCII case-insensitively (RFC 9110 §5.1), in place.
    public func nameEquals(at index: Int, _ name: String) -> Bool {
        let range = self.nameRange(at: index)
        guard range.count == name.utf8.count else { return false }
        return self.withUnsafeBytes { bytes in
            var offset = range.lowerBound
            for expected in name.utf8 {
                if HTTP1Grammar.lowercased(bytes[offset]) != HTTP1Grammar.lowercased(expected) { return false }
                offset += 1
            }
            return true
        }
    }

    /// The index of the first field named `name` (case-insensitive), or nil.
    public func firstIndex(named name: String) -> Int? {
        self.indices.first { self.nameEquals(at: $0, name) }
    }

    /// The value of the first field named `name` (case-insensitive), or nil.
    public func first(named name: String) -> String? {
        self.firstIndex(named: name).map { self.value(at: $0) }
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public func values(named name: String) -> [String] {
        self.indices.filter { self.nameEquals(at: $0, name) }.map { self.value(at: $0) }
    }

    /// Calls `body` with the head's bytes; the ranges above index into them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self.storage) {
            try body(UnsafeRawBufferPointer(start: self.storage.bytes, count: self.storage.byteCount))
        }
    }

    /// The same head bytes and field offsets.
    public static func == (lhs: HTTP1HeaderFields, rhs: HTTP1HeaderFields) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.hasSameContents(as: rhs.storage)
    }
}

extension HTTP1HeaderFields {
    /// The byte ranges (into `bytes`) of every token the `Connection` fields list (RFC 9110 §7.6.1), in order;
    /// empty without a `Connection` field. Collected once per head, so that checking each forwarded field
    /// against them (`lists`) does not rescan every field.
    ///
    /// - Parameter bytes: these fields' head bytes (from `withUnsafeBytes`).
    func connectionTokens(in bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var tokens: [Range<Int>] = []
        for index in self.indices where self.nameEquals(at: index, "connection") {
            _ = HTTP1FieldValues.forEachListElement(bytes, self.valueRange(at: index)) { element in
                tokens.append(element)
                return true
            }
        }
        return tokens
    }

    /// Whether `name` equals one of `tokens` (from `connectionTokens`), compared as bytes, ASCII
    /// case-insensitively, without allocating.
    static func lists(_ tokens: [Range<Int>], _ name: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer) -> Bool
    {
        for token in tokens where token.count == name.count {
            var equal = true
            for (offset, byte) in name.enumerated()
            where HTTP1Grammar.lowercased(bytes[token.lowerBound + offset]) != HTTP1Grammar.lowercased(byte) {
                equal = false
                break
            }
            if equal { return true }
        }
        return false
    }
}

/// The bytes of one parsed head and the offsets of its field lines, in memory that grows and is reused.
///
/// Copy-on-write by hand: a parser fills a storage only while it holds the sole reference
/// (`SpareHeadStorage.take`), then hands it out inside a head, which only reads it; while any head still holds
/// it, the parser fills a new one. That is why the class may be `@unchecked Sendable`: once shared it never
/// changes.
final class HTTP1HeadStorage: @unchecked Sendable {
    /// The head bytes, `byteCount` of them.
    private(set) var bytes: UnsafeMutableRawPointer
    private(set) var byteCount = 0
    private(set) var byteCapacity: Int
    /// The field offsets, `rangeCount` of them.
    private(set) var ranges: UnsafeMutablePointer<HTTP1FieldRange>
    private(set) var rangeCount = 0
    private(set) var rangeCapacity: Int

    /// Grown past what a usual head needs (4 KiB of bytes or 64 fields): not kept idle as a spare.
    var isLarge: Bool { self.byteCapacity > 4096 || self.rangeCapacity > 64 }

    /// An empty storage with room for `byteCapacity` bytes and `rangeCapacity` fields before it grows.
    init(byteCapacity: Int = 512, rangeCapacity: Int = 16) {
        self.byteCapacity = max(byteCapacity, 16)
        self.rangeCapacity = max(rangeCapacity, 4)
        self.bytes = UnsafeMutableRawPointer.allocate(byteCount: self.byteCapacity, alignment: 16)
        self.ranges = UnsafeMutablePointer<HTTP1FieldRange>.allocate(capacity: self.rangeCapacity)
    }

    deinit {
        self.bytes.deallocate()
        self.ranges.deallocate()
    }

    /// The field offsets appended so far.
    var rangeBuffer: UnsafeBufferPointer<HTTP1FieldRange> {
        UnsafeBufferPointer(start: self.ranges, count: self.rangeCount)
    }

    /// Forgets the bytes and offsets (keeps the memory).
    func removeAll() {
        self.byteCount = 0
        self.rangeCount = 0
    }

    /// Appends one field line's offsets, doubling the room when it is full.
    @inline(__always)
    func append(_ range: HTTP1FieldRange) {
        if self.rangeCount == self.rangeCapacity { self.growRanges() }
        (self.ranges + self.rangeCount).initialize(to: range)
        self.rangeCount &+= 1
    }

    private func growRanges() {
        let capacity = self.rangeCapacity * 2
        let grown = UnsafeMutablePointer<HTTP1FieldRange>.allocate(capacity: capacity)
        grown.moveInitialize(from: self.ranges, count: self.rangeCount)
        self.ranges.deallocate()
        self.ranges = grown
        self.rangeCapacity = capacity
    }

    /// Replaces the bytes with a copy of `head`.
    func setBytes(copying head: UnsafeRawBufferPointer) {
        if head.count > self.byteCapacity {
            self.bytes.deallocate()
            self.byteCapacity = max(head.count, self.byteCapacity * 2)
            self.bytes = UnsafeMutableRawPointer.allocate(byteCount: self.byteCapacity, alignment: 16)
        }
        if let source = head.baseAddress, head.count > 0 {
            self.bytes.copyMemory(from: source, byteCount: head.count)
        }
        self.byteCount = head.count
    }

    /// Whether `other` holds the same bytes and offsets.
    func hasSameContents(as other: HTTP1HeadStorage) -> Bool {
        guard self.byteCount == other.byteCount, self.rangeCount == other.rangeCount else { return false }
        return withExtendedLifetime(other) {
            memcmp(self.bytes, other.bytes, self.byteCount) == 0
                && self.rangeBuffer.elementsEqual(other.rangeBuffer)
        }
    }
}

/// A parser's storage for its next head: the previous head's, reused once nothing else holds it. Two storages
/// alternate: a connection keeps its last exchange (and that exchange its head) until the next request replaces
/// it, so the head before the last one is the free one.
struct SpareHeadStorage: Sendable {
    private var storage = HTTP1HeadStorage()
    private var previous: HTTP1HeadStorage?

    /// An empty storage the caller may fill: the last or the one before when no head holds it any more, else a
    /// new one.
    mutating func take() -> HTTP1HeadStorage {
        if !isKnownUniquelyReferenced(&self.storage) {
            if var previous = self.previous.take(), isKnownUniquelyReferenced(&previous) {
                self.previous = self.storage
                self.storage = previous
            } else {
                self.previous = self.storage
                self.storage = HTTP1HeadStorage()
            }
        }
        self.storage.removeAll()
        return self.storage
    }

    /// Drops the storage before the last one when a large head grew it (`HTTP1HeadStorage.isLarge`): an idle
    /// connection then keeps one large head's memory at most (its last head's, which its kept exchange holds), as
    /// it did before heads alternated. The next head after a large one allocates a storage again.
    mutating func dropLargePrevious() {
        if let previous = self.previous, previous.isLarge { self.previous = nil }
    }

    /// Bytes of head room this parser keeps (tests).
    var keptByteCapacity: Int { self.storage.byteCapacity + (self.previous?.byteCapacity ?? 0) }
}
