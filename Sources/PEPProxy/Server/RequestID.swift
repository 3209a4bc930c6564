import Synchronization

/// Per-request ids for `X-Request-Id`: a random per-process prefix plus a process-wide counter (unique, cheap,
/// no syscall per request).
enum RequestID {
    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        return String(value, radix: 16).leftPadded(to: 16)
    }()
    private static let counter = Atomic<UInt64>(0)

    /// A new id, `<16 hex>-<counter hex>`.
    static func generate() -> String {
        let bytes = HeadBuffer(capacity: 64)
        Self.append(to: bytes)
        return String(decoding: bytes.bytes, as: UTF8.self)
    }

    private static let prefixBytes: [UInt8] = Array(Self.prefix.utf8) + [UInt8(ascii: "-")]

    /// Appends a new id (as ``generate()`` makes) to `out`, without building a `String`.
    static func append(to out: HeadBuffer) {
        Self.append(counter: Self.counter.wrappingAdd(1, ordering: .relaxed).newValue, to: out)
    }

    /// Appends the id numbered `n`: the prefix and `n`'s hex digits (no leading zeros, `0` for zero) as one
    /// reserved run, digits from a table.
    @inline(__always)
    static func append(counter n: UInt64, to out: HeadBuffer) {
        let digits = max(1, (64 &- n.leadingZeroBitCount &+ 3) >> 2)
        let hex = Self.hexDigits.utf8Start
        Self.prefixBytes.withUnsafeBytes { prefix in
            guard let source = prefix.baseAddress else { return }
            out.append(count: prefix.count &+ digits) { target in
                target.copyMemory(from: source, byteCount: prefix.count)
                var rest = n
                var index = prefix.count &+ digits
                repeat {
                    index &-= 1
                    target.storeBytes(of: hex[Int(truncatingIfNeeded: rest & 0xF)], toByteOffset: index, as: UInt8.self)
                    rest >>= 4
                } while index > prefix.count
            }
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Whether a client-sent id may be kept: 1–200 characters of `[A-Za-z0-9._-]`.
    static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= 200 else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                || b == 0x5F || b == 0x2D
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
