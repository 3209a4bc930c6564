extension CanonicalTarget {
    /// The canonical form of an origin-form path (steps 3–5 of the type's doc), built in one pass straight into
    /// the result string's storage: each segment is decoded as it is copied, then dropped (`.`, empty), popped
    /// with its predecessor (`..`) or kept. One allocation of the result's size (none for a result of up to 15
    /// bytes); a path over `stackPathBytes` is written into a string of its worst-case size instead.
    static func canonicalPath(
        _ path: UnsafeRawBufferPointer, options: Options
    ) throws(CanonicalTargetError) -> String {
        if path.isEmpty { return "/" }  // absolute-form without a path (RFC 9112 §3.2.2)
        guard path[0] == UInt8(ascii: "/") else { throw .notOriginForm }
        var failure: CanonicalTargetError?
        // Worst case: every byte percent-encoded (×3), plus a trailing slash.
        let capacity = path.count * 3 + 1
        let result: String
        if path.count <= Self.stackPathBytes {
            // Written on the stack, then made a string of its own size: a short result is a small string, with
            // no allocation (a string of the worst-case size was a heap one for any path over 4 bytes).
            result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { output in
                var writer = PathWriter(output: output, options: options)
                failure = writer.writeCatching(path)
                return String(decoding: UnsafeBufferPointer(rebasing: output[..<writer.count]), as: UTF8.self)
            }
        } else {
            result = String(unsafeUninitializedCapacity: capacity) { output in
                var writer = PathWriter(output: output, options: options)
                failure = writer.writeCatching(path)
                return writer.count
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Paths up to this many bytes are canonicalized in a stack buffer (3 × 1024 + 1 bytes at most).
    static let stackPathBytes = 1024
}

/// Writes a canonical path into a buffer that is large enough (3 × input + 1).
private struct PathWriter {
    let output: UnsafeMutableBufferPointer<UInt8>
    let options: CanonicalTarget.Options
    var count = 0

    init(output: UnsafeMutableBufferPointer<UInt8>, options: CanonicalTarget.Options) {
        self.output = output
        self.options = options
    }

    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")
    private static let hexDigits: StaticString = "0123456789ABCDEF"

    /// `write(_:)` with its failure returned instead of thrown (`nil`: the canonical path is the first `count`
    /// bytes), for the string initializers' closures.
    mutating func writeCatching(_ path: UnsafeRawBufferPointer) -> CanonicalTargetError? {
        do throws(CanonicalTargetError) {
            try self.write(path)
        } catch {
            return error
        }
        return nil
    }

    /// RFC 3986 §5.2.4 over decoded segments, merging empty ones (repeated `/`). A `.`/`..`/empty last segment
    /// leaves a trailing slash (`/a/b/..` → `/a/`), as the RFC's output buffer does.
    mutating func write(_ path: UnsafeRawBufferPointer) throws(CanonicalTargetError) {
        var index = 0
        var trailingSlash = false
        while index < path.count {
            // `path[index]` is a separator here: the path starts with one and every segment stops at one.
            index += 1
            let segmentStart = self.count
            self.append(Self.slash)
            while index < path.count && path[index] != Self.slash {
                index = try self.writeCharacter(path, at: index)
            }
            let length = self.count - segmentStart - 1
            let isLast = index >= path.count
            let content = segmentStart + 1
            if length == 0 || (length == 1 && self.output[content] == Self.dot) {
                self.count = segmentStart
                trailingSlash = isLast
            } else if length == 2 && self.output[content] == Self.dot && self.output[content + 1] == Self.dot {
                self.count = segmentStart
                while self.count > 0 {
                    self.count -= 1
                    if self.output[self.count] == Self.slash { break }
                }
                trailingSlash = isLast
            } else {
                trailingSlash = false
            }
        }
        if self.count == 0 || trailingSlash { self.append(Self.slash) }
    }

    /// Copies one character (a byte or a `%XX` triplet) canonically; returns the index after it.
    private mutating func writeCharacter(
        _ path: UnsafeRawBufferPointer, at index: Int
    ) throws(CanonicalTargetError) -> Int {
        let byte = path[index]
        if byte == UInt8(ascii: "%") {
            guard index + 2 < path.count, let high = CanonicalTarget.hexDigit(path[index + 1]),
                let low = CanonicalTarget.hexDigit(path[index + 2])
            else { throw .malformedPercent }
            try self.writeEncoded(high << 4 | low)
            return index + 3
        }
        switch byte {
        case UInt8(ascii: "\\"): throw .backslash
        case ...0x20, 0x7F...: throw .invalidCharacter
        case UInt8(ascii: ";"):
            guard self.options.pathParameters == .keep else { throw .pathParameters }
            self.append(byte)
        default:
            if Self.isPathChar(byte) {
                self.append(self.options.foldCase ? CanonicalTarget.lowercased(byte) : byte)
            } else {
                self.appendPercentEncoded(byte)
            }
        }
        return index + 1
    }

    /// Canonical form of a decoded `%XX` value.
    private mutating func writeEncoded(_ value: UInt8) throws(CanonicalTargetError) {
        if Self.isUnreserved(value) {
            self.append(self.options.foldCase ? CanonicalTarget.lowercased(value) : value)
            return
        }
        switch value {
        case UInt8(ascii: "/"):
            guard self.options.encodedSlashes == .keep else { throw .encodedSlash }
        case UInt8(ascii: "\\"):
            guard self.options.encodedSlashes == .keep else { throw .encodedBackslash }
        case 0x00: throw .encodedNul
        case 0x01...0x1F, 0x7F: throw .encodedControl
        case UInt8(ascii: ";"):
            guard self.options.pathParameters == .keep else { throw .pathParameters }
        default: break
        }
        self.appendPercentEncoded(value)
    }

    private mutating func appendPercentEncoded(_ value: UInt8) {
        self.append(UInt8(ascii: "%"))
        self.append(Self.hexDigits.utf8Start[Int(value >> 4)])
        self.append(Self.hexDigits.utf8Start[Int(value & 0x0F)])
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        self.output[self.count] = byte
        self.count += 1
    }

    /// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// `pchar` minus `%` (handled apart): unreserved / sub-delims / ":" / "@" (RFC 3986 §3.3).
    private static func isPathChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default: Self.isUnreserved(byte)
        }
    }
}
