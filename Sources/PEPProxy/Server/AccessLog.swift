import Foundation
import PEPCore
import Synchronization

/// One finished request as the access log sees it (Kong's log phase). Built by the exchange at its end; every
/// field is a value the exchange already holds, so building one allocates nothing.
struct AccessLogRecord {
    /// The client's address (host only), or empty when unknown.
    var peer: String
    /// The request method, or empty when the request was refused before its head could be trusted.
    var method: String
    /// The canonical path (what was matched and forwarded), or empty. Never the query string.
    var path: String
    /// The status sent to the client (0: none, the connection was cut).
    var status: Int
    /// The routed service's name, or empty.
    var service: String
    /// The stable detail string of the outcome (`pep.granted`, `upstream.timeout`, `http1.*`, …).
    var decision: String
    /// Request body bytes relayed upstream.
    var bytesIn: UInt64
    /// Response body bytes sent to the client.
    var bytesOut: UInt64
    /// Time from sending the request upstream to the end of the response, or `nil` (no upstream).
    var upstreamNanoseconds: Int64?
    /// Time from the request head to the end of the exchange.
    var totalNanoseconds: Int64
    /// The request's W3C trace context (its trace-id is logged as `trace_id`), or `nil` (refused before an
    /// exchange began).
    var trace: TraceContext? = nil
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
    /// Appends one line (ending in `\n`) for `record`.
    /// - Parameters:
    ///   - time: the wall-clock time as `2026-12-06T02:13:19.123Z` bytes (``AccessLogClock``).
    static func append(
        _ record: AccessLogRecord, time: UnsafeBufferPointer<UInt8>, worker: Int, format: AccessLogSettings.Format,
        to out: inout LineWriter
    ) {
        switch format {
        case .text: Self.appendText(record, time: time, worker: worker, to: &out)
        case .json: Self.appendJSON(record, time: time, worker: worker, to: &out)
        }
    }

    private static func appendText(
        _ record: AccessLogRecord, time: UnsafeBufferPointer<UInt8>, worker: Int, to out: inout LineWriter
    ) {
        out.append(contentsOf: time)
        Self.literal(" access worker=", &out)
        Self.decimal(UInt64(max(0, worker)), &out)
        Self.literal(" peer=", &out)
        Self.textValue(record.peer, &out)
        Self.literal(" bytes_in=", &out)
        Self.decimal(record.bytesIn, &out)
        Self.literal(" bytes_out=", &out)
        Self.decimal(record.bytesOut, &out)
        Self.literal(" decision=", &out)
        Self.textValue(record.decision, &out)
        Self.literal(" method=", &out)
        Self.textValue(record.method, &out)
        Self.literal(" path=", &out)
        Self.textValue(record.path, &out)
        Self.literal(" service=", &out)
        Self.textValue(record.service, &out)
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

    private static func appendJSON(
        _ record: AccessLogRecord, time: UnsafeBufferPointer<UInt8>, worker: Int, to out: inout LineWriter
    ) {
        Self.literal(#"{"time":""#, &out)
        out.append(contentsOf: time)
        Self.literal(#"","worker":"#, &out)
        Self.decimal(UInt64(max(0, worker)), &out)
        Self.literal(#","peer":"#, &out)
        Self.jsonString(record.peer, &out)
        Self.literal(#","method":"#, &out)
        Self.jsonString(record.method, &out)
        Self.literal(#","path":"#, &out)
        Self.jsonString(record.path, &out)
        Self.literal(#","status":"#, &out)
        Self.decimal(UInt64(max(0, record.status)), &out)
        Self.literal(#","service":"#, &out)
        Self.jsonString(record.service, &out)
        Self.literal(#","decision":"#, &out)
        Self.jsonString(record.decision, &out)
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
    private static func literal(_ text: StaticString, _ out: inout LineWriter) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// A text value: `-` when empty; bytes that would break the line's `key=value` shape escaped as `\xHH`.
    private static func textValue(_ value: String, _ out: inout LineWriter) {
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

    private static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, _ out: inout LineWriter) {
        let plain = Self.plainPrefix(bytes)
        if plain == bytes.count {
            out.append(contentsOf: bytes)
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
    private static func jsonString(_ value: String, _ out: inout LineWriter) {
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

    private static func hexEscape(_ byte: UInt8, prefix: UInt8, width: Int, _ out: inout LineWriter) {
        out.append(0x5C)
        out.append(prefix)
        for _ in 2..<max(2, width) { out.append(UInt8(ascii: "0")) }
        Self.hexDigits.withUTF8Buffer { digits in
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// Decimal digits of `value`, no allocation.
    static func decimal(_ value: UInt64, _ out: inout LineWriter) {
        ByteText.withDecimal(value) { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Nanoseconds as milliseconds with three decimals (`0.412`); negative values as `0.000`.
    static func milliseconds(_ nanoseconds: Int64, _ out: inout LineWriter) {
        let micros = UInt64(max(0, nanoseconds)) / 1000
        Self.decimal(micros / 1000, &out)
        out.append(UInt8(ascii: "."))
        let fraction = micros % 1000
        out.append(UInt8(ascii: "0") &+ UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") &+ UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") &+ UInt8(fraction % 10))
    }
}

/// The wall-clock time as `YYYY-MM-DDThh:mm:ss.mmmZ` bytes, with the calendar part recomputed only when the
/// second changes (nginx's cached time does the same).
struct AccessLogClock {
    /// `YYYY-MM-DDThh:mm:ss.mmmZ`: 24 bytes.
    static let width = 24
    private var second = Int.min
    private var bytes = [UInt8](repeating: 0, count: AccessLogClock.width)

    /// The current time (`CLOCK_REALTIME`).
    mutating func now<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return self.at(seconds: spec.tv_sec, nanoseconds: spec.tv_nsec, body)
    }

    /// The given time since the epoch (tests).
    mutating func at<Result>(seconds: Int, nanoseconds: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result)
        -> Result
    {
        if seconds != self.second {
            self.second = seconds
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            Self.put(Int(parts.tm_year) + 1900, width: 4, at: 0, &self.bytes)
            self.bytes[4] = UInt8(ascii: "-")
            Self.put(Int(parts.tm_mon) + 1, width: 2, at: 5, &self.bytes)
            self.bytes[7] = UInt8(ascii: "-")
            Self.put(Int(parts.tm_mday), width: 2, at: 8, &self.bytes)
            self.bytes[10] = UInt8(ascii: "T")
            Self.put(Int(parts.tm_hour), width: 2, at: 11, &self.bytes)
            self.bytes[13] = UInt8(ascii: ":")
            Self.put(Int(parts.tm_min), width: 2, at: 14, &self.bytes)
            self.bytes[16] = UInt8(ascii: ":")
            Self.put(Int(parts.tm_sec), width: 2, at: 17, &self.bytes)
            self.bytes[19] = UInt8(ascii: ".")
            self.bytes[23] = UInt8(ascii: "Z")
        }
        Self.put(max(0, min(999, nanoseconds / 1_000_000)), width: 3, at: 20, &self.bytes)
        return self.bytes.withUnsafeBufferPointer(body)
    }

    private static func put(_ value: Int, width: Int, at offset: Int, _ bytes: inout [UInt8]) {
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

/// Bytes appended in place to a fixed region; past `capacity` nothing is written but `count` still grows, so
/// the caller learns the size a line needed and can retry it elsewhere.
struct LineWriter {
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
    private var timer: LoopTimer?
    private var timerArmed = false

    init(sink: AccessLogSink, worker: Int, loop: EventLoop) {
        self.sink = sink
        self.worker = worker
        self.format = sink.settings.format
        self.limit = sink.settings.bufferBytes
        self.capacity = sink.bufferCapacity
        self.storage = sink.freshBuffer()
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
    /// what is buffered (one larger than the whole buffer goes out on its own).
    func append(_ record: AccessLogRecord) {
        let worker = self.worker
        let format = self.format
        self.clock.now { time in
            var writer = LineWriter(base: self.storage + self.used, capacity: self.capacity - self.used)
            AccessLogFormatter.append(record, time: time, worker: worker, format: format, to: &writer)
            if writer.fits {
                self.used += writer.count
                return
            }
            self.flush()
            let size = writer.count
            if size <= self.capacity {
                var again = LineWriter(base: self.storage, capacity: self.capacity)
                AccessLogFormatter.append(record, time: time, worker: worker, format: format, to: &again)
                self.used = again.count
            } else {
                let line = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
                defer { line.deallocate() }
                var large = LineWriter(base: line, capacity: size)
                AccessLogFormatter.append(record, time: time, worker: worker, format: format, to: &large)
                self.sink.write(UnsafeRawBufferPointer(start: line, count: large.count))
            }
        }
        if self.used >= self.limit {
            self.flush()
        } else if !self.timerArmed {
            self.timerArmed = true
            self.timer?.schedule(after: self.sink.settings.flushInterval)
        }
    }

    /// Writes what is buffered.
    func flush() {
        guard self.used > 0 else { return }
        self.storage = self.sink.take(self.storage, count: self.used)
        self.used = 0
    }
}
