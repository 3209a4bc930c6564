#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A growable byte buffer that the forwarders build message heads into, reused across requests: one per worker
/// and direction, so building a head costs `memcpy`s into memory that already exists, never an allocation once
/// the buffer has reached the size of the largest head (it starts at 4 KiB and doubles, up to the head limits).
///
/// The bytes are valid until the next `reset()`; callers hand them to a socket (which copies what it cannot send
/// at once) before they return to the event loop.
///
/// Thread rules: the owning worker's loop thread only.
final class HeadBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes written since the last `reset()`.
    private(set) var count = 0

    /// Creates an empty buffer of `capacity` bytes (at least 64).
    init(capacity: Int = 4096) {
        self.capacity = max(64, capacity)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit {
        self.base.deallocate()
    }

    /// Forgets the bytes written (keeps the memory).
    @inline(__always)
    func reset() {
        self.count = 0
    }

    /// The bytes written since the last `reset()`.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: self.base, count: self.count)
    }

    /// A copy of the bytes written (tests and cold paths).
    var array: [UInt8] { [UInt8](self.bytes) }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if self.count &+ extra > self.capacity { self.grow(to: self.count + extra) }
    }

    private func grow(to needed: Int) {
        var capacity = self.capacity
        while capacity < needed { capacity *= 2 }
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        base.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }

    /// Appends one byte.
    @inline(__always)
    func append(_ byte: UInt8) {
        self.reserve(1)
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.count &+= 1
    }

    /// Appends CR LF.
    @inline(__always)
    func appendCRLF() {
        self.reserve(2)
        self.base.storeBytes(of: 0x0A0D as UInt16, toByteOffset: self.count, as: UInt16.self)
        self.count &+= 2
    }

    /// Appends raw bytes.
    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        self.reserve(bytes.count)
        Self.copy(to: self.base + self.count, from: source, count: bytes.count)
        self.count &+= bytes.count
    }

    /// Copies `count` (> 0) bytes. Up to 16 bytes (most of what a head is built from: literals, names, short
    /// values) inline, as two overlapping loads and stores of the widest word that fits, which reads and
    /// writes only inside both ranges; `memmove` for more (a call cost about as much as a short copy).
    @inline(__always)
    static func copy(to target: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
        if count > 16 {
            target.copyMemory(from: source, byteCount: count)
        } else if count >= 8 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        } else {
            // 1 to 3 bytes: first, middle and last (some of them the same byte).
            let first = source.load(as: UInt8.self)
            let middle = source.load(fromByteOffset: count &>> 1, as: UInt8.self)
            let last = source.load(fromByteOffset: count &- 1, as: UInt8.self)
            target.storeBytes(of: first, as: UInt8.self)
            target.storeBytes(of: middle, toByteOffset: count &>> 1, as: UInt8.self)
            target.storeBytes(of: last, toByteOffset: count &- 1, as: UInt8.self)
        }
    }

    /// Appends `count` bytes that `write` stores at the pointer it is given (exactly `count` of them).
    @inline(__always)
    func append(count: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        self.reserve(count)
        write(self.base + self.count)
        self.count &+= count
    }

    /// Appends a literal's UTF-8 bytes.
    @inline(__always)
    func append(_ literal: StaticString) {
        self.append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends a string's UTF-8 bytes (one `memcpy` for native strings).
    @inline(__always)
    func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { self.append(UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in text.utf8 { self.append(byte) }
        }
    }

    /// Appends `value` in decimal (no sign, no leading zeros; `0` for zero): ``ByteText/writeDecimal(_:width:to:)``.
    func appendDecimal(_ value: UInt64) {
        let width = ByteText.decimalWidth(value)
        self.append(count: width) { ByteText.writeDecimal(value, width: width, to: $0) }
    }
}
