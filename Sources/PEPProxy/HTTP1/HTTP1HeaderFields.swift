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
/// Storage is one copy of the head bytes (start line through the blank line) and one array of offsets:
/// the codec's whole allocation budget per head. Names and values are materialized as `String` only when asked
/// (`subscript`, `name(at:)`, `value(at:)`); the hot path compares bytes in place (`nameEquals(at:_:)`,
/// `withUnsafeBytes(_:)` with `nameRange(at:)` / `valueRange(at:)` / `lineRange(at:)`).
public struct HTTP1HeaderFields: Sendable, Equatable, RandomAccessCollection {
    /// The head's bytes, start line first.
    let bytes: [UInt8]
    /// One entry per field line.
    let ranges: [HTTP1FieldRange]

    init(bytes: [UInt8], ranges: [HTTP1FieldRange]) {
        self.bytes = bytes
        self.ranges = ranges
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// The number of field lines.
    public var endIndex: Int { self.ranges.count }

    /// The field at `position` as strings (allocates).
    public subscript(position: Int) -> HTTP1HeaderField {
        HTTP1HeaderField(name: self.name(at: position), value: self.value(at: position))
    }

    /// Byte offsets of the name of field `index` in the head bytes (see `withUnsafeBytes(_:)`).
    public func nameRange(at index: Int) -> Range<Int> {
        let range = self.ranges[index]
        return Int(range.nameStart)..<Int(range.nameEnd)
    }

    /// Byte offsets of the value of field `index` (OWS trimmed) in the head bytes.
    public func valueRange(at index: Int) -> Range<Int> {
        let range = self.ranges[index]
        return Int(range.valueStart)..<Int(range.valueEnd)
    }

    /// Byte offsets of the whole line of field `index`, CRLF included, for verbatim relaying.
    public func lineRange(at index: Int) -> Range<Int> {
        let range = self.ranges[index]
        return Int(range.nameStart)..<Int(range.lineEnd)
    }

    /// The name of field `index` as received.
    public func name(at index: Int) -> String {
        String(decoding: self.bytes[self.nameRange(at: index)], as: UTF8.self)
    }

    /// The value of field `index`; obs-text bytes that are not UTF-8 are replaced by U+FFFD in this view only.
    public func value(at index: Int) -> String {
        String(decoding: self.bytes[self.valueRange(at: index)], as: UTF8.self)
    }

    /// Whether field `index` is named `name`, compared ASCII case-insensitively (RFC 9110 §5.1), in place.
    public func nameEquals(at index: Int, _ name: String) -> Bool {
        let range = self.nameRange(at: index)
        guard range.count == name.utf8.count else { return false }
        var offset = range.lowerBound
        for expected in name.utf8 {
            if HTTP1Grammar.lowercased(self.bytes[offset]) != HTTP1Grammar.lowercased(expected) { return false }
            offset += 1
        }
        return true
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
        try self.bytes.withUnsafeBytes(body)
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

/// The arrays of a parser's previous head, kept so that the next head reuses their memory once nothing else holds
/// them: copy-on-write makes fresh arrays while an exchange still holds the old head, so a head already handed
/// out never changes.
struct SpareHeadStorage: Sendable {
    private var bytes: [UInt8] = []
    private var ranges: [HTTP1FieldRange] = []

    /// An empty field-offset array for the next head, with room for `fieldLines`.
    mutating func takeRanges(reserving fieldLines: Int) -> [HTTP1FieldRange] {
        var ranges = self.ranges
        self.ranges = []
        ranges.removeAll(keepingCapacity: true)
        ranges.reserveCapacity(fieldLines)
        return ranges
    }

    /// The fields of a head: a copy of `head`'s bytes and `ranges`; both arrays are kept for the next head.
    mutating func fields(copying head: UnsafeRawBufferPointer, ranges: [HTTP1FieldRange]) -> HTTP1HeaderFields {
        var bytes = self.bytes
        self.bytes = []
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: head)
        self.bytes = bytes
        self.ranges = ranges
        return HTTP1HeaderFields(bytes: bytes, ranges: ranges)
    }
}
