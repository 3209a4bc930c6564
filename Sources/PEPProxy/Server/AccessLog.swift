import Foundation
import PEPCore
import Synchronization

/// The numbers of one access-log line (the strings are passed on their own,
/// ``AccessLogBuffer/append(peer:method:path:service:decision:figures:)``): a trivial value, copied without
/// reference counting.
struct AccessLogFigures {
    /// The status sent to the client (0: none, the connection was cut).
    var status: Int
    /// Request body bytes relayed upstream.
    var bytesIn: UInt64
    /// Response body bytes sent to the client.
    var bytesOut: UInt64
    /// Time from sending the request upstream to the end of the response, or `nil` (no upstream).
    var upstreamNanoseconds: Int64?
    /// Time from the request head to the end of the exchange.
    var totalNanoseconds: Int64
    /// The request's trace context, or `nil`.
    var trace: TraceContext?
}

/// The four values of a line that repeat from one request to the next (peer, method, service, decision), each
/// already written as the line format writes it (``AccessLogFormatter/value(_:format:_:)``: escaped, and `-`
/// or `""` when empty). Made by ``AccessLogFieldCache``s; the pointers are valid until their next use.
struct AccessLogFields {
    var peer: UnsafeBufferPointer<UInt8>
    var method: UnsafeBufferPointer<UInt8>
    var service: UnsafeBufferPointer<UInt8>
    var decision: UnsafeBufferPointer<UInt8>
}

/// Formats access-log lines by appending bytes (no `String(format:)`, no dictionaries): pure, table-tested.
///
/// Text: `2026-12-06T02:13:19.123Z access worker=0 peer=127.0.0.1 bytes_in=0 bytes_out=3 decision=pep.granted
/// method=GET path=/ service=api status=200 total_ms=0.412 upstream_ms=0.230
/// trace_id=4bf92f3577b34da6a3ce929d0e0e4736` (one line; `-` for an empty value; bytes outside printable ASCII,
/// spaces, `"` and `\` written as `\xHH`).
/// JSON: `{"time":"…","worker":0,"peer":"…","method":"GET","path":"/","status":200,"service":"api",
/// "decision":"pep.granted","bytes_in":0,"bytes_out":3,"total_ms":0.412,"upstream_ms":0.230,
/// "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}` (`null` for no upstream or no trace, `""` for an empty value;
/// strings escaped per RFC 8259).
enum AccessLogFormatter {
    /// Appends one line (ending in `\n`).
    /// - Parameters:
    ///   - fields: the line's peer, method, service and decision as `format` writes them
    ///     (``value(_:format:_:)``).
    ///   - path: the canonical path (escaped here).
    ///   - figures: the line's numbers.
    ///   - time: the wall-clock time as `2026-12-06T02:13:19.123Z` bytes (``AccessLogClock``).
    @inline(__always)
    static func append<Output: LineOutput>(
        fields: AccessLogFields, path: String, figures: AccessLogFigures, time: UnsafeBufferPointer<UInt8>,
        worker: Int, format: AccessLogSettings.Format, to out: inout Output
    ) {
        switch format {
        case .text: Self.appendText(fields, path, figures, time: time, worker: worker, to: &out)
        case .json: Self.appendJSON(fields, path, figures, time: time, worker: worker, to: &out)
        }
    }

    /// Bytes a line may need besides its four fields and its path: the time (24), the keys and punctuation
    /// (under 200 in either format), four numbers of at most 20 digits (worker, bytes in and out, status) and two
    /// durations of at most 24 characters, the trace-id (32), and 8 bytes of room for ``LineCursor``'s eight-byte
    /// copies: at most about 350 (AccessLogFormatterTests.longestLineBoundsEveryLine writes the largest values).
    static let fixedBound = 512

    /// The most bytes the line for these fields and `path` can take in either format: ``fixedBound``, the
    /// fields, and six bytes per path byte (`\u00XX` is the longest escape).
    @inline(__always)
    static func longestLine(fields: AccessLogFields, path: String) -> Int {
        Self.fixedBound &+ fields.peer.count &+ fields.method.count &+ fields.service.count &+ fields.decision.count
            &+ 6 &* path.utf8.count
    }

    /// Appends a string field's value as `format` writes it: text `-` when empty, otherwise the bytes with those
    /// that would break the line's `key=value` shape escaped as `\xHH`; JSON a quoted RFC 8259 string.
    static func value<Output: LineOutput>(_ value: String, format: AccessLogSettings.Format, _ out: inout Output) {
        switch format {
        case .text: Self.textValue(value, &out)
        case .json: Self.jsonString(value, &out)
        }
    }

    private static func appendText<Output: LineOutput>(
        _ fields: AccessLogFields, _ path: String, _ record: AccessLogFigures, time: UnsafeBufferPointer<UInt8>,
        worker: Int, to out: inout Output
    ) {
        out.append(padded: time)
        Self.literal(" access worker=", &out)
        Self.decimal(UInt64(max(0, worker)), &out)
        Self.literal(" peer=", &out)
        out.append(padded: fields.peer)
        Self.literal(" bytes_in=", &out)
        Self.decimal(record.bytesIn, &out)
        Self.literal(" bytes_out=", &out)
        Self.decimal(record.bytesOut, &out)
        Self.literal(" decision=", &out)
        out.append(padded: fields.decision)
        Self.literal(" method=", &out)
        out.append(padded: fields.method)
        Self.literal(" path=", &out)
        Self.textValue(path, &out)
        Self.literal(" service=", &out)
        out.append(padded: fields.service)
        Self.literal(" status=", &out)
        Self.decimal(UInt64(max(0, record.status)), &out)
        Self.literal(" total_ms=", &out)
        Self.milliseconds(record.totalNanoseconds, &out)
        Self.literal(" upstream_ms=", &out)
        if let upstream = record.upstreamNanoseconds {
            Self.milliseconds(upstream, &out)
        } else {
            out.append(UInt8(ascii: "-"))
        }
        Self.literal(" trace_id=", &out)
        if let trace = record.trace {
            out.append(count: 32) { trace.writeTraceID(to: $0) }
        } else {
            out.append(UInt8(ascii: "-"))
        }
        out.append(UInt8(ascii: "\n"))
    }

    private static func appendJSON<Output: LineOutput>(
        _ fields: AccessLogFields, _ path: String, _ record: AccessLogFigures, time: UnsafeBufferPointer<UInt8>,
        worker: Int, to out: inout Output
    ) {
        Self.literal(#"{"time":""#, &out)
        out.append(padded: time)
        Self.literal(#"","worker":"#, &out)
        Self.decimal(UInt64(max(0, worker)), &out)
        Self.literal(#","peer":"#, &out)
        out.append(padded: fields.peer)
        Self.literal(#","method":"#, &out)
        out.append(padded: fields.method)
        Self.literal(#","path":"#, &out)
        Self.jsonString(path, &out)
        Self.literal(#","status":"#, &out)
        Self.decimal(UInt64(max(0, record.status)), &out)
        Self.literal(#","service":"#, &out)
        out.append(padded: fields.service)
        Self.literal(#","decision":"#, &out)
        out.append(padded: fields.decision)
        Self.literal(#","bytes_in":"#, &out)
        Self.decimal(record.bytesIn, &out)
        Self.literal(#","bytes_out":"#, &out)
        Self.decimal(record.bytesOut, &out)
        Self.literal(#","total_ms":"#, &out)
        Self.milliseconds(record.totalNanoseconds, &out)
        Self.literal(#","upstream_ms":"#, &out)
        if let upstream = record.upstreamNanoseconds {
            Self.milliseconds(upstream, &out)
        } else {
            Self.literal("null", &out)
        }
        Self.literal(#","trace_id":"#, &out)
        if let trace = record.trace {
            out.append(UInt8(ascii: "\""))
            out.append(count: 32) { trace.writeTraceID(to: $0) }
            out.append(UInt8(ascii: "\""))
        } else {
            Self.literal("null", &out)
        }
        Self.literal("}\n", &out)
    }

    // MARK: pieces

    @inline(__always)
    private static func literal<Output: LineOutput>(_ text: StaticString, _ out: inout Output) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// A text value: `-` when empty; bytes that would break the line's `key=value` shape escaped as `\xHH`.
    private static func textValue<Output: LineOutput>(_ value: String, _ out: inout Output) {
        if value.isEmpty {
            out.append(UInt8(ascii: "-"))
            return
        }
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { Self.appendText($0, &out) }
        if done == nil {
            var copy = value
            copy.withUTF8 { Self.appendText($0, &out) }
        }
    }

    @inline(__always)
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != 0x5C
    }

    /// How many bytes at the start of `bytes` are plain (`isPlain`): eight at a time, then one at a time.
    @inline(__always)
    static func plainPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var plain = 0
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let high: UInt64 = 0x8080_8080_8080_8080
            while plain &+ 8 <= bytes.count {
                let word = UnsafeRawPointer(base + plain).loadUnaligned(as: UInt64.self)
                // Some byte < 0x21; some byte >= 0x7F (0x7F + 1 sets the high bit; a carry out of 0xFF only
                // follows a byte already flagged); some byte equal to `"` or `\` (a zero after the XOR).
                let below = (word &- ones &* 0x21) & ~word & high
                let above = (word | (word &+ ones)) & high
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let equal = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & high
                if below | above | equal != 0 { break }
                plain &+= 8
            }
        }
        while plain < bytes.count, Self.isPlain(bytes[plain]) { plain += 1 }
        return plain
    }

    @inline(__always)
    private static func appendText<Output: LineOutput>(_ bytes: UnsafeBufferPointer<UInt8>, _ out: inout Output) {
        let plain = Self.plainPrefix(bytes)
        if plain == bytes.count {
            out.append(short: bytes)
            return
        }
        for byte in bytes {
            if Self.isPlain(byte) {
                out.append(byte)
            } else {
                Self.hexEscape(byte, prefix: UInt8(ascii: "x"), width: 2, &out)
            }
        }
    }

    /// A JSON string (RFC 8259 §7): quotes, backslash and control characters escaped; other bytes kept (the
    /// values are ASCII or valid UTF-8, as Swift strings are).
    private static func jsonString<Output: LineOutput>(_ value: String, _ out: inout Output) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""):
                    Self.literal(#"\""#, &out)
                case 0x5C:
                    Self.literal(#"\\"#, &out)
                case 0x00..<0x20, 0x7F:
                    Self.hexEscape(byte, prefix: UInt8(ascii: "u"), width: 4, &out)
                default:
                    out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexEscape<Output: LineOutput>(_ byte: UInt8, prefix: UInt8, width: Int, _ out: inout Output) {
        out.append(0x5C)
        out.append(prefix)
        for _ in 2..<max(2, width) { out.append(UInt8(ascii: "0")) }
        Self.hexDigits.withUTF8Buffer { digits in
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// Decimal digits of `value` (1 to 20 bytes), no allocation (``ByteText/writeDecimal(_:width:to:)``).
    @inline(__always)
    static func decimal<Output: LineOutput>(_ value: UInt64, _ out: inout Output) {
        if value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        let width = ByteText.decimalWidth(value)
        out.append(count: width) { ByteText.writeDecimal(value, width: width, to: $0) }
    }

    /// Nanoseconds as milliseconds with three decimals (`0.412`); negative values as `0.000`.
    @inline(__always)
    static func milliseconds<Output: LineOutput>(_ nanoseconds: Int64, _ out: inout Output) {
        let micros = UInt64(max(0, nanoseconds)) / 1000
        Self.decimal(micros / 1000, &out)
        let fraction = Int(truncatingIfNeeded: micros % 1000)
        out.append(count: 4) { raw in
            raw.storeBytes(of: UInt8(ascii: "."), as: UInt8.self)
            raw.storeBytes(
                of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction / 100), toByteOffset: 1, as: UInt8.self)
            ByteText.writeDecimal(UInt64(truncatingIfNeeded: fraction % 100), width: 2, to: raw + 2)
        }
    }
}

/// One string field of the log line (peer, method, service or decision) as the line format writes it, kept for
/// the next line: these values nearly always repeat the previous line's (the connection's peer, the route's
/// service, `GET`, `pep.granted`), so they are escaped once rather than scanned and copied from the string on
/// every line. A value is the same when its string is (the same two words: the same storage, or the same small
/// string) or has the same bytes; only then are the kept bytes used.
///
/// Thread rules: one owner (a worker's ``AccessLogBuffer``).
struct AccessLogFieldCache: ~Copyable {
    /// The format the kept bytes are written in.
    let format: AccessLogSettings.Format
    /// The value the kept bytes stand for (held, so its storage cannot be reused for another value).
    private var value = ""
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity = 64
    private var count = 0

    init(format: AccessLogSettings.Format) {
        self.format = format
        self.storage = .allocate(capacity: self.capacity)
        self.render("")
    }

    deinit { self.storage.deallocate() }

    /// `value` as ``format`` writes it (``AccessLogFormatter/value(_:format:_:)``); valid until the next call.
    /// The storage can be read up to the next multiple of 8 bytes (``LineOutput/append(padded:)``).
    @inline(__always)
    mutating func rendered(_ value: String) -> UnsafeBufferPointer<UInt8> {
        if !Self.sameWords(value, self.value) { self.miss(value) }
        return UnsafeBufferPointer(start: self.storage, count: self.count)
    }

    /// Whether `a` and `b` are the same string value: two words compared; equal words mean equal bytes.
    @inline(__always)
    private static func sameWords(_ a: String, _ b: String) -> Bool {
        let first = unsafeBitCast(a, to: (UInt64, UInt64).self)
        let second = unsafeBitCast(b, to: (UInt64, UInt64).self)
        return first.0 == second.0 && first.1 == second.1
    }

    private mutating func miss(_ value: String) {
        var fresh = value
        var kept = self.value
        let same = fresh.withUTF8 { new in
            kept.withUTF8 { old in
                new.count == old.count && (new.isEmpty || memcmp(new.baseAddress!, old.baseAddress!, new.count) == 0)
            }
        }
        if same {
            self.value = value
        } else {
            self.render(value)
        }
    }

    private mutating func render(_ value: String) {
        var writer = LineWriter(base: self.storage, capacity: self.capacity)
        AccessLogFormatter.value(value, format: self.format, &writer)
        if !writer.fits {
            self.storage.deallocate()
            self.capacity = (writer.count + 7) & ~7  // a multiple of 8: read eight bytes at a time (`padded`)
            self.storage = .allocate(capacity: self.capacity)
            writer = LineWriter(base: self.storage, capacity: self.capacity)
            AccessLogFormatter.value(value, format: self.format, &writer)
        }
        self.count = writer.count
        self.value = value
    }
}

/// The wall-clock time as `YYYY-MM-DDThh:mm:ss.mmmZ` bytes, with the calendar part recomputed only when the
/// second changes and the milliseconds only when they change (nginx's cached time does the same).
struct AccessLogClock: ~Copyable {
    /// `YYYY-MM-DDThh:mm:ss.mmmZ`: 24 bytes.
    static let width = 24
    private var second = Int.min
    private var millisecond = -1
    private let bytes: UnsafeMutablePointer<UInt8>

    init() {
        self.bytes = .allocate(capacity: Self.width)
        self.bytes.initialize(repeating: 0, count: Self.width)
    }

    deinit { self.bytes.deallocate() }

    /// The current time (`CLOCK_REALTIME`); the bytes are valid until the next call.
    mutating func now() -> UnsafeBufferPointer<UInt8> {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return self.at(seconds: spec.tv_sec, nanoseconds: spec.tv_nsec)
    }

    /// The given time since the epoch (tests); the bytes are valid until the next call.
    mutating func at(seconds: Int, nanoseconds: Int) -> UnsafeBufferPointer<UInt8> {
        let millisecond = max(0, min(999, nanoseconds / 1_000_000))
        if seconds != self.second {
            self.second = seconds
            self.millisecond = -1
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            Self.put(Int(parts.tm_year) + 1900, width: 4, at: 0, self.bytes)
            self.bytes[4] = UInt8(ascii: "-")
            Self.put(Int(parts.tm_mon) + 1, width: 2, at: 5, self.bytes)
            self.bytes[7] = UInt8(ascii: "-")
            Self.put(Int(parts.tm_mday), width: 2, at: 8, self.bytes)
            self.bytes[10] = UInt8(ascii: "T")
            Self.put(Int(parts.tm_hour), width: 2, at: 11, self.bytes)
            self.bytes[13] = UInt8(ascii: ":")
            Self.put(Int(parts.tm_min), width: 2, at: 14, self.bytes)
            self.bytes[16] = UInt8(ascii: ":")
            Self.put(Int(parts.tm_sec), width: 2, at: 17, self.bytes)
            self.bytes[19] = UInt8(ascii: ".")
            self.bytes[23] = UInt8(ascii: "Z")
        }
        if millisecond != self.millisecond {
            self.millisecond = millisecond
            Self.put(millisecond, width: 3, at: 20, self.bytes)
        }
        return UnsafeBufferPointer(start: self.bytes, count: Self.width)
    }

    private static func put(_ value: Int, width: Int, at offset: Int, _ bytes: UnsafeMutablePointer<UInt8>) {
        var rest = value
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
            bytes[index] = UInt8(ascii: "0") &+ UInt8(rest % 10)
            rest /= 10
        }
    }
}

/// Where access-log bytes go: one per process, shared by the workers. Workers hand it whole buffers of lines
/// (never a line at a time); one writer thread of its own writes them, so a destination that stops taking
/// bytes (a stalled pipe reader, a full disk) never blocks a worker: past `maxQueuedBytes` waiting, buffers are
/// dropped and counted (``droppedBytes``, reported through ``onDropped``). A file is opened `O_APPEND` and can
/// be reopened (``reopen()``, `SIGUSR1`) after logrotate moved it.
public final class AccessLogSink: @unchecked Sendable {
    /// The settings the sink was made from.
    public let settings: AccessLogSettings
    /// Bytes that may wait for the writer before buffers are dropped.
    let maxQueuedBytes: Int
    private let descriptor: Mutex<Int32>
    private let dropped = Atomic<Int>(0)
    private let condition = NSCondition()
    /// A buffer waiting for the writer: bytes copied in, or a worker's whole buffer handed over (``take(_:count:)``).
    private enum Chunk {
        case copied([UInt8])
        case taken(UnsafeMutablePointer<UInt8>, count: Int)

        var count: Int {
            switch self {
            case .copied(let bytes): bytes.count
            case .taken(_, let count): count
            }
        }
    }
    /// Guarded by `condition`.
    private var queue: [Chunk] = []
    /// Written buffers of `bufferCapacity` bytes, for the next ``take(_:count:)`` (at most `maxSpares`).
    private var spares: [UnsafeMutablePointer<UInt8>] = []
    private static let maxSpares = 4
    private var queuedBytes = 0
    private var finishing = false
    private var writerDone = false
    private let reportedDrops = Mutex<(count: Int, at: ContinuousClock.Instant?)>((0, nil))
    /// Called on the writer thread, at most every 10 s, with the total bytes dropped so far.
    public let onDropped = Mutex<(@Sendable (Int) -> Void)?>(nil)

    /// Opens the destination and starts the writer thread.
    /// - Parameter maxQueuedBytes: bytes that may wait for the writer (default 16 MiB).
    /// - Throws: `AccessLogError.cannotOpen` naming the file and the system's reason.
    public init(settings: AccessLogSettings, maxQueuedBytes: Int = 16 << 20) throws(AccessLogError) {
        self.settings = settings
        self.maxQueuedBytes = maxQueuedBytes
        self.descriptor = Mutex(try Self.open(settings.destination))
        let thread = Thread { [self] in
            ThreadName.setCurrent("uma-pep-acclog")
            self.writerLoop()
        }
        thread.name = "uma-pep-acclog"
        thread.start()
    }

    deinit {
        let fd = self.descriptor.withLock { $0 }
        if fd != STDERR_FILENO { Foundation.close(fd) }
        for spare in self.spares { spare.deallocate() }
        for case .taken(let buffer, _) in self.queue { buffer.deallocate() }
    }

    private static func open(_ destination: AccessLogSettings.Destination) throws(AccessLogError) -> Int32 {
        switch destination {
        case .standardError:
            return STDERR_FILENO
        case .file(let path):
            let fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw AccessLogError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            return fd
        }
    }

    /// Opens the file again and swaps it in (logrotate's `postrotate`: `kill -USR1`); buffers written meanwhile
    /// go to the old file. Does nothing for standard error.
    /// - Throws: `AccessLogError.cannotOpen`; the old file stays in use.
    public func reopen() throws(AccessLogError) {
        guard case .file = self.settings.destination else { return }
        let fresh = try Self.open(self.settings.destination)
        let old = self.descriptor.withLock { fd in
            let old = fd
            fd = fresh
            return old
        }
        Foundation.close(old)
    }

    /// Bytes dropped because the destination refused them or did not take them in time.
    public var droppedBytes: Int { self.dropped.load(ordering: .relaxed) }

    /// Hands `bytes` to the writer thread (copied); drops them when `maxQueuedBytes` are already waiting.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        self.condition.lock()
        defer { self.condition.unlock() }
        guard !self.writerDone, self.queuedBytes + bytes.count <= self.maxQueuedBytes else {
            self.dropped.add(bytes.count, ordering: .relaxed)
            return
        }
        self.queue.append(.copied(Array(bytes)))
        self.queuedBytes += bytes.count
        self.condition.signal()
    }

    /// Bytes in each buffer a worker hands over whole (``AccessLogBuffer``): `bufferBytes` plus room for one
    /// more line.
    var bufferCapacity: Int { self.settings.bufferBytes + 16 * 1024 }

    /// A fresh buffer of `bufferCapacity` bytes (a written one when there is one).
    func freshBuffer() -> UnsafeMutablePointer<UInt8> {
        self.condition.lock()
        let spare = self.spares.popLast()
        self.condition.unlock()
        return spare ?? .allocate(capacity: self.bufferCapacity)
    }

    /// Takes `count` bytes of the worker's `buffer` (of `bufferCapacity` bytes) to write, without copying them,
    /// and returns the buffer the worker goes on with; dropped (counted, `buffer` kept) when `maxQueuedBytes` are
    /// already waiting. The copy in ``write(_:)`` cost about 220 instructions per logged request.
    func take(_ buffer: UnsafeMutablePointer<UInt8>, count: Int) -> UnsafeMutablePointer<UInt8> {
        guard count > 0 else { return buffer }
        self.condition.lock()
        guard !self.writerDone, self.queuedBytes + count <= self.maxQueuedBytes else {
            self.condition.unlock()
            self.dropped.add(count, ordering: .relaxed)
            return buffer
        }
        self.queue.append(.taken(buffer, count: count))
        self.queuedBytes += count
        let spare = self.spares.popLast()
        self.condition.signal()
        self.condition.unlock()
        return spare ?? .allocate(capacity: self.bufferCapacity)
    }

    /// Waits until everything handed over was written (or `timeout` passed), then stops the writer thread.
    /// Called once the workers have stopped (their last buffers are in the queue).
    public func finish(timeout: Duration = .seconds(5)) {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        self.condition.lock()
        self.finishing = true
        self.condition.broadcast()
        while !self.writerDone, Date() < deadline {
            _ = self.condition.wait(until: min(deadline, Date().addingTimeInterval(0.05)))
        }
        self.condition.unlock()
    }

    private func writerLoop() {
        while true {
            self.condition.lock()
            while self.queue.isEmpty, !self.finishing { self.condition.wait() }
            if self.queue.isEmpty {
                self.writerDone = true
                self.condition.broadcast()
                self.condition.unlock()
                return
            }
            let chunk = self.queue.removeFirst()
            self.condition.unlock()
            switch chunk {
            case .copied(let bytes): bytes.withUnsafeBytes { self.writeNow($0) }
            case .taken(let buffer, let count): self.writeNow(UnsafeRawBufferPointer(start: buffer, count: count))
            }
            self.condition.lock()
            self.queuedBytes -= chunk.count
            if case .taken(let buffer, _) = chunk {
                if self.spares.count < Self.maxSpares { self.spares.append(buffer) } else { buffer.deallocate() }
            }
            self.condition.unlock()
            self.reportDrops()
        }
    }

    /// Writes `bytes` whole on the writer thread (retrying short writes and interrupted calls, waiting for a
    /// non-blocking pipe); what the destination refuses is dropped and counted.
    private func writeNow(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let fd = self.descriptor.withLock { $0 }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, base + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&poller, 1, 1000)
            } else {
                break
            }
        }
        if offset < bytes.count { self.dropped.add(bytes.count - offset, ordering: .relaxed) }
    }

    private func reportDrops() {
        let total = self.dropped.load(ordering: .relaxed)
        let now = ContinuousClock.now
        let report = self.reportedDrops.withLock { last -> Bool in
            guard total > last.count else { return false }
            if let at = last.at, now - at < .seconds(10) { return false }
            last = (total, now)
            return true
        }
        if report, let action = self.onDropped.withLock({ $0 }) { action(total) }
    }
}

/// Why the access log could not be opened.
public enum AccessLogError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "access_log.destination: cannot open \(path): \(reason)"
        }
    }
}

/// Where a line's bytes go: ``LineWriter`` (bounded, counting what did not fit) or ``LineCursor`` (unbounded,
/// for a line whose longest possible size was checked first). The formatter is written once, generic over both.
protocol LineOutput {
    /// Appends one byte.
    mutating func append(_ byte: UInt8)
    /// Appends `bytes`.
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
    /// Appends `bytes`, whose storage may be read up to the next multiple of 8 bytes past their end (a
    /// ``LineCursor`` copies them eight at a time, and may write up to 7 bytes past them).
    mutating func append(padded bytes: UnsafeBufferPointer<UInt8>)
    /// Appends `count` bytes that `write` stores at the pointer it is given.
    mutating func append(count: Int, _ write: (UnsafeMutableRawPointer) -> Void)
}

extension LineOutput {
    /// Appends `bytes`: one at a time when there are at most 16 (a path such as `/`: no call to `memmove`).
    @inline(__always)
    mutating func append(short bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= 16, let source = bytes.baseAddress else {
            self.append(contentsOf: bytes)
            return
        }
        self.append(count: bytes.count) { target in
            for index in 0..<bytes.count { target.storeBytes(of: source[index], toByteOffset: index, as: UInt8.self) }
        }
    }
}

/// Bytes appended in place to a fixed region; past `capacity` nothing is written but `count` still grows, so
/// the caller learns the size a line needed and can retry it elsewhere.
struct LineWriter: LineOutput {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    private(set) var count = 0

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Whether everything appended fitted.
    var fits: Bool { self.count <= self.capacity }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if self.count < self.capacity { self.base[self.count] = byte }
        self.count &+= 1
    }

    /// Appends `count` bytes that `write` stores at the pointer it is given (when they fit; counted either way).
    @inline(__always)
    mutating func append(count: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        if self.count &+ count <= self.capacity { write(UnsafeMutableRawPointer(self.base + self.count)) }
        self.count &+= count
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        if let source = bytes.baseAddress, self.count &+ bytes.count <= self.capacity {
            (self.base + self.count).update(from: source, count: bytes.count)
        }
        self.count &+= bytes.count
    }

    /// Copies exactly `bytes` (never past them: the writer's region has no slack).
    @inline(__always)
    mutating func append(padded bytes: UnsafeBufferPointer<UInt8>) {
        self.append(contentsOf: bytes)
    }
}

/// Bytes appended in place with no bounds check: only for a line whose longest possible size
/// (``AccessLogFormatter/longestLine(fields:path:)``) fits in the region after ``next``.
struct LineCursor: LineOutput {
    /// Where the next byte goes.
    private(set) var next: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) {
        self.next = start
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        self.next.pointee = byte
        self.next += 1
    }

    @inline(__always)
    mutating func append(count: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        write(UnsafeMutableRawPointer(self.next))
        self.next += count
    }

    /// A plain copy (`memmove`, inlined for the formatter's literals, whose sizes are constants).
    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(self.next).copyMemory(from: source, byteCount: bytes.count)
        }
        self.next += bytes.count
    }

    /// Eight bytes at a time (short values: no call to `memmove`); up to 7 bytes past the value are written and
    /// then overwritten by what follows (the line's longest size leaves room for them).
    @inline(__always)
    mutating func append(padded bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(self.next)
        var offset = 0
        while offset < bytes.count {
            to.storeBytes(
                of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
            offset &+= 8
        }
        self.next += bytes.count
    }
}

/// One worker's access-log buffer: lines are appended here and written to the sink when the buffer holds
/// `bufferBytes`, when `flushInterval` has passed since the first unwritten line, when the worker drains and
/// when it stops.
///
/// Thread rules: the worker's loop thread only.
final class AccessLogBuffer {
    let sink: AccessLogSink
    private let worker: Int
    private let format: AccessLogSettings.Format
    private let limit: Int
    private let capacity: Int
    /// The buffer lines are appended to; handed to the sink whole when flushed (``AccessLogSink/take(_:count:)``).
    private var storage: UnsafeMutablePointer<UInt8>
    private var used = 0
    private var clock = AccessLogClock()
    /// The line's repeating string fields, each kept as last written (``AccessLogFieldCache``).
    private var peer: AccessLogFieldCache
    private var method: AccessLogFieldCache
    private var service: AccessLogFieldCache
    private var decision: AccessLogFieldCache
    private var timer: LoopTimer?
    private var timerArmed = false

    init(sink: AccessLogSink, worker: Int, loop: EventLoop) {
        self.sink = sink
        self.worker = worker
        self.format = sink.settings.format
        self.limit = sink.settings.bufferBytes
        self.capacity = sink.bufferCapacity
        self.storage = sink.freshBuffer()
        self.peer = AccessLogFieldCache(format: self.format)
        self.method = AccessLogFieldCache(format: self.format)
        self.service = AccessLogFieldCache(format: self.format)
        self.decision = AccessLogFieldCache(format: self.format)
        self.timer = LoopTimer(loop: loop) { [unowned self] in
            self.timerArmed = false
            self.flush()
        }
    }

    deinit {
        self.flush()
        self.storage.deallocate()
    }

    /// Appends one line; writes the buffer if it is full. A line larger than the free space is written after
    /// what is buffered (one larger than the whole buffer goes out on its own). The strings are the caller's,
    /// borrowed (no record built and destroyed, no reference counting per line).
    /// - Parameters:
    ///   - peer: the client's address (host only), or empty when unknown.
    ///   - method: the request method, or empty when the request was refused before its head could be trusted.
    ///   - path: the canonical path (what was matched and forwarded), or empty; never the query string.
    ///   - service: the routed service's name, or empty.
    ///   - decision: the outcome's stable detail string (`pep.granted`, `upstream.timeout`, `http1.*`, …).
    func append(
        peer: String, method: String, path: String, service: String, decision: String, figures: AccessLogFigures
    ) {
        let time = self.clock.now()
        let fields = AccessLogFields(
            peer: self.peer.rendered(peer), method: self.method.rendered(method),
            service: self.service.rendered(service), decision: self.decision.rendered(decision))
        if self.capacity &- self.used >= AccessLogFormatter.longestLine(fields: fields, path: path) {
            var cursor = LineCursor(self.storage + self.used)
            AccessLogFormatter.append(
                fields: fields, path: path, figures: figures, time: time, worker: self.worker, format: self.format,
                to: &cursor)
            self.used = cursor.next - self.storage
        } else {
            self.appendChecked(fields: fields, path: path, figures: figures, time: time)
        }
        if self.used >= self.limit {
            self.flush()
        } else if !self.timerArmed {
            self.timerArmed = true
            self.timer?.schedule(after: self.sink.settings.flushInterval)
        }
    }

    /// The line's longest size is more than the free space: the line is written with bounds checks, and when it
    /// does not fit, what is buffered is written, then the line into the emptied buffer, or on its own when it
    /// is larger than the whole buffer.
    private func appendChecked(
        fields: AccessLogFields, path: String, figures: AccessLogFigures, time: UnsafeBufferPointer<UInt8>
    ) {
        var writer = LineWriter(base: self.storage + self.used, capacity: self.capacity - self.used)
        AccessLogFormatter.append(
            fields: fields, path: path, figures: figures, time: time, worker: self.worker, format: self.format,
            to: &writer)
        if writer.fits {
            self.used += writer.count
            return
        }
        let size = writer.count
        self.flush()
        if size <= self.capacity {
            var again = LineWriter(base: self.storage, capacity: self.capacity)
            AccessLogFormatter.append(
                fields: fields, path: path, figures: figures, time: time, worker: self.worker, format: self.format,
                to: &again)
            self.used = again.count
        } else {
            let line = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
            defer { line.deallocate() }
            var large = LineWriter(base: line, capacity: size)
            AccessLogFormatter.append(
                fields: fields, path: path, figures: figures, time: time, worker: self.worker, format: self.format,
                to: &large)
            self.sink.write(UnsafeRawBufferPointer(start: line, count: large.count))
        }
    }

    /// Writes what is buffered.
    func flush() {
        guard self.used > 0 else { return }
        self.storage = self.sink.take(self.storage, count: self.used)
        self.used = 0
    }
}
