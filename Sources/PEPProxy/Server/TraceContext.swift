/// W3C Trace Context (https://www.w3.org/TR/trace-context/, Level 1): the `traceparent` of one request, kept
/// when the client sent a valid one, created when it sent none (or an invalid one, which is never forwarded).
///
/// `traceparent: 00-<trace-id: 32 lower-case hex>-<parent-id: 16 lower-case hex>-<trace-flags: 2 hex>`; an
/// all-zero trace-id or parent-id is invalid, version `ff` is invalid, and a higher version is read by its first
/// four fields (§3.2.4) and forwarded as version `00`, the version uma-pep speaks. uma-pep does not record spans:
/// a kept `traceparent` goes upstream (and to oxd / the authorization server) unchanged, so the upstream's span
/// is a child of the client's.
///
/// A value type of three integers: no allocation per request.
public struct TraceContext: Sendable, Hashable {
    /// The trace-id's high 64 bits (its first 16 hex digits).
    public var traceHigh: UInt64
    /// The trace-id's low 64 bits (its last 16 hex digits).
    public var traceLow: UInt64
    /// The parent-id (the caller's span).
    public var parent: UInt64
    /// The trace-flags (bit 0: sampled).
    public var flags: UInt8

    /// The length of a version-00 `traceparent` value.
    public static let length = 55

    /// Creates a context from its fields (tests; `parse` and `generate` for real ones).
    public init(traceHigh: UInt64, traceLow: UInt64, parent: UInt64, flags: UInt8) {
        self.traceHigh = traceHigh
        self.traceLow = traceLow
        self.parent = parent
        self.flags = flags
    }

    /// Parses a `traceparent` value; `nil` when it is not valid (§3.2.2–3.2.4).
    public static func parse(_ value: UnsafeRawBufferPointer) -> TraceContext? {
        guard value.count >= Self.length,
            let version = Self.hex(value, 0, 2), version != 0xFF,
            value[2] == UInt8(ascii: "-"), value[35] == UInt8(ascii: "-"), value[52] == UInt8(ascii: "-"),
            let high = Self.hex(value, 3, 16), let low = Self.hex(value, 19, 16), high | low != 0,
            let parent = Self.hex(value, 36, 16), parent != 0,
            let flags = Self.hex(value, 53, 2)
        else { return nil }
        // Version 00 is exactly 55 bytes; a higher version may carry more fields after a `-`.
        if version == 0 ? value.count != Self.length : (value.count > Self.length && value[55] != UInt8(ascii: "-")) {
            return nil
        }
        return TraceContext(traceHigh: high, traceLow: low, parent: parent, flags: UInt8(flags))
    }

    /// A new context (a new trace, not sampled) from `random`: non-zero ids.
    public static func generate(_ random: inout TraceIDGenerator) -> TraceContext {
        TraceContext(
            traceHigh: random.next(), traceLow: random.next() | 1, parent: random.next() | 1, flags: 0)
    }

    /// The `traceparent` value (version 00) into `out`.
    func append(to out: HeadBuffer) {
        out.append(count: Self.length) { self.write(to: $0) }
    }

    /// Writes the 55 bytes of the version-00 `traceparent` value at `target`.
    @inline(__always)
    func write(to target: UnsafeMutableRawPointer) {
        target.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 0, as: UInt8.self)
        target.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 1, as: UInt8.self)
        target.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 2, as: UInt8.self)
        Self.writeHex(self.traceHigh, to: target + 3)
        Self.writeHex(self.traceLow, to: target + 19)
        target.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 35, as: UInt8.self)
        Self.writeHex(self.parent, to: target + 36)
        target.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 52, as: UInt8.self)
        target.storeBytes(of: Self.hexDigit(self.flags >> 4), toByteOffset: 53, as: UInt8.self)
        target.storeBytes(of: Self.hexDigit(self.flags & 0xF), toByteOffset: 54, as: UInt8.self)
    }

    /// The `traceparent` value (version 00) as a string (the control plane's outgoing calls).
    public var traceparent: String {
        String(unsafeUninitializedCapacity: Self.length) { buffer in
            self.write(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            return Self.length
        }
    }

    /// Writes the trace-id's 32 lower-case hex digits at `target` (the access log's `trace_id`).
    @inline(__always)
    func writeTraceID(to target: UnsafeMutableRawPointer) {
        Self.writeHex(self.traceHigh, to: target)
        Self.writeHex(self.traceLow, to: target + 16)
    }

    /// The 16 lower-case hex digits of `value` at `target`, eight at a time (about 25 instructions instead of 60).
    @inline(__always)
    private static func writeHex(_ value: UInt64, to target: UnsafeMutableRawPointer) {
        target.storeBytes(of: Self.hexDigits(of: UInt32(truncatingIfNeeded: value >> 32)), as: UInt64.self)
        target.storeBytes(of: Self.hexDigits(of: UInt32(truncatingIfNeeded: value)), toByteOffset: 8, as: UInt64.self)
    }

    /// The 8 lower-case hex digits of `value`, most significant first, as a word whose bytes in memory are the
    /// digits in order: each nibble spread into a byte of its own, then all turned into digits together.
    @inline(__always)
    static func hexDigits(of value: UInt32) -> UInt64 {
        var spread = UInt64(value)
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        spread = (spread | spread << 4) & 0x0F0F_0F0F_0F0F_0F0F  // one nibble per byte, the first one highest
        // Bytes 10 to 15 become `a` to `f`: 6 more than a byte >= 10 reaches 16 (no carry out of a byte).
        let letters = ((spread &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let digits = spread &+ 0x3030_3030_3030_3030 &+ letters &* UInt64(UInt8(ascii: "a") - UInt8(ascii: "0") - 10)
        return digits.bigEndian  // the first digit at the lowest address
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10
    }

    /// `count` lower-case hex digits at `offset` (upper case is invalid, §3.2.2.1), or nil.
    private static func hex(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in offset..<(offset + count) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// Whether a `tracestate` value may be forwarded with a kept `traceparent` (§3.3.1): at most 512 bytes and 32
    /// comma-separated members (empty ones ignored), each `key=value` with `key` a simple key (`lcalpha` then up to
    /// 255 of `a-z 0-9 _ - * /`) or `tenant@system` and `value` 1–256 printable characters other than `,` and `=`
    /// (no trailing space), no key twice. Otherwise it is dropped, as is any `tracestate` whose `traceparent` was
    /// not kept: a value that does not parse must not be propagated.
    public static func isForwardableState(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count <= 512 else { return false }
        // At most 32 keys, kept on the stack: no allocation per traced request.
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 32) { keys in
            var count = 0
            var start = 0
            while start <= value.count {
                var end = start
                while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
                var lower = start
                var upper = end
                while lower < upper && (value[lower] == 0x20 || value[lower] == 0x09) { lower += 1 }
                while upper > lower && (value[upper - 1] == 0x20 || value[upper - 1] == 0x09) { upper -= 1 }
                if lower < upper {
                    guard let key = Self.member(value, lower, upper), count < 32 else { return false }
                    for seen in keys[..<count] where seen.count == key.count {
                        if zip(seen, key).allSatisfy({ value[$0] == value[$1] }) { return false }
                    }
                    keys[count] = key
                    count += 1
                }
                start = end + 1
            }
            return count > 0
        }
    }

    /// The key range of a `key=value` list member in `bytes[lower..<upper]`, or nil when it is not one.
    private static func member(_ bytes: UnsafeRawBufferPointer, _ lower: Int, _ upper: Int) -> Range<Int>? {
        var equals = lower
        while equals < upper && bytes[equals] != UInt8(ascii: "=") { equals += 1 }
        guard equals < upper, Self.isKey(bytes, lower, equals) else { return nil }
        let valueLength = upper - equals - 1
        guard valueLength >= 1, valueLength <= 256 else { return nil }
        for index in (equals + 1)..<upper {
            let byte = bytes[index]
            guard byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: ","), byte != UInt8(ascii: "=") else { return nil }
        }
        return lower..<equals
    }

    /// `simple-key` or `tenant-id "@" system-id` (§3.3.1.3.1).
    private static func isKey(_ bytes: UnsafeRawBufferPointer, _ lower: Int, _ upper: Int) -> Bool {
        func isKeyChar(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "*")
                || byte == UInt8(ascii: "/")
        }
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        var at = lower
        while at < upper && bytes[at] != UInt8(ascii: "@") { at += 1 }
        guard upper > lower, (lower..<upper).allSatisfy({ $0 == at || isKeyChar(bytes[$0]) }) else { return false }
        if at == upper {
            return isLower(bytes[lower]) && upper - lower <= 256
        }
        let tenant = at - lower
        let system = upper - at - 1
        return tenant >= 1 && tenant <= 241 && system >= 1 && system <= 14 && isLower(bytes[at + 1])
    }
}

/// Random ids for new traces: xoshiro256** seeded once from the system's generator, one per worker (no lock,
/// no system call per request). Trace ids need to be unique, not secret. Also the seedable generator of the
/// randomised tests (``init(seed:)``: a failing run repeats).
public struct TraceIDGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds from `SystemRandomNumberGenerator`.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    /// The same sequence for the same `seed` on every platform (tests); the first 16 outputs are skipped, so that
    /// seeds that differ in a few bits give unrelated sequences.
    init(seed: UInt64) {
        self.state = (seed, seed ^ 0x9E37_79B9_7F4A_7C15, ~seed, seed | 1)
        for _ in 0..<16 { _ = self.next() }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotate(self.state.1 &* 5, 7) &* 9
        let t = self.state.1 << 17
        self.state.2 ^= self.state.0
        self.state.3 ^= self.state.1
        self.state.1 ^= self.state.2
        self.state.0 ^= self.state.3
        self.state.2 ^= t
        self.state.3 = Self.rotate(self.state.3, 45)
        return result
    }

    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
