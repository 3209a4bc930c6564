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
    /// The trace-id, high and low 64 bits.
    public var traceHigh: UInt64
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

    /// 16 lower-case hex digits of `value` at `target`.
    @inline(__always)
    private static func writeHex(_ value: UInt64, to target: UnsafeMutableRawPointer) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF
            target.storeBytes(of: Self.hexDigit(nibble), toByteOffset: index, as: UInt8.self)
        }
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

    /// Whether a `tracestate` value may be forwarded with a kept `traceparent` (§3.3): at most 512 bytes and 32
    /// comma-separated members, each `key=value` with printable ASCII only (no control bytes). Otherwise it is
    /// dropped, as is any `tracestate` whose `traceparent` was not kept.
    public static func isForwardableState(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count <= 512 else { return false }
        var members = 0
        var sawEquals = false
        var memberLength = 0
        for byte in value {
            guard byte >= 0x20, byte < 0x7F else { return false }
            if byte == UInt8(ascii: ",") {
                if memberLength > 0 {
                    guard sawEquals else { return false }
                    members += 1
                }
                sawEquals = false
                memberLength = 0
                continue
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { continue }
            if byte == UInt8(ascii: "=") { sawEquals = true }
            memberLength += 1
        }
        if memberLength > 0 {
            guard sawEquals else { return false }
            members += 1
        }
        return members >= 1 && members <= 32
    }
}

/// Random ids for new traces: xoshiro256** seeded once from the system's generator, one per worker (no lock,
/// no system call per request). Trace ids need to be unique, not secret.
public struct TraceIDGenerator: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds from `SystemRandomNumberGenerator`.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.state = (system.next(), system.next(), system.next(), system.next() | 1)
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
