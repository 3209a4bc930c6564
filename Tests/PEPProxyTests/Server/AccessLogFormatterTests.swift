import Foundation
import PEPCore
import Testing

@testable import PEPProxy

@Suite struct AccessLogFormatterTests {
    static let granted = AccessLogRecord(
        peer: "127.0.0.1", method: "GET", path: "/posts/1", status: 200, service: "api", decision: "pep.granted",
        bytesIn: 0, bytesOut: 60, upstreamNanoseconds: 458_900, totalNanoseconds: 681_000,
        trace: TraceContext(
            traceHigh: 0x4bf9_2f35_77b3_4da6, traceLow: 0xa3ce_929d_0e0e_4736, parent: 0x00f0_67aa_0ba9_02b7, flags: 1))

    /// 2026-12-06T02:13:19.123Z
    static let seconds = 1_796_523_199
    static let nanoseconds = 123_456_789

    static func line(
        _ record: AccessLogRecord, format: AccessLogSettings.Format, capacity: Int = 4096
    ) -> (text: String, fits: Bool, count: Int) {
        var clock = AccessLogClock()
        let caches = FieldCaches(format: format)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { storage.deallocate() }
        var writer = LineWriter(base: storage, capacity: capacity)
        let time = clock.at(seconds: Self.seconds, nanoseconds: Self.nanoseconds)
        withExtendedLifetime(caches) {
            AccessLogFormatter.append(
                fields: caches.fields(record), path: record.path, figures: record.figures, time: time, worker: 3,
                format: format, to: &writer)
        }
        let written = min(writer.count, capacity)
        let text = String(decoding: UnsafeBufferPointer(start: storage, count: written), as: UTF8.self)
        return (text, writer.fits, writer.count)
    }

    /// The same line through ``LineCursor`` (no bounds checks: the buffer's path when the longest line fits),
    /// with room only for ``AccessLogFormatter/longestLine(fields:path:)``.
    static func cursorLine(_ record: AccessLogRecord, format: AccessLogSettings.Format, worker: Int = 3) -> String {
        var clock = AccessLogClock()
        let caches = FieldCaches(format: format)
        let time = clock.at(seconds: Self.seconds, nanoseconds: Self.nanoseconds)
        return withExtendedLifetime(caches) {
            let fields = caches.fields(record)
            let room = AccessLogFormatter.longestLine(fields: fields, path: record.path)
            let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
            defer { storage.deallocate() }
            var cursor = LineCursor(storage)
            AccessLogFormatter.append(
                fields: fields, path: record.path, figures: record.figures, time: time, worker: worker,
                format: format, to: &cursor)
            return String(decoding: UnsafeBufferPointer(start: storage, count: cursor.next - storage), as: UTF8.self)
        }
    }

    static let variedRecords: [AccessLogRecord] = [
        Self.granted,
        AccessLogRecord(
            peer: "", method: "", path: "", status: 0, service: "", decision: "http1.invalid_header", bytesIn: 0,
            bytesOut: 0, upstreamNanoseconds: nil, totalNanoseconds: -3),
        AccessLogRecord(
            peer: "2001:db8:85a3::8a2e:370:7334", method: "PROPFIND", path: "/a b/\"q\"/\\/é/\u{7F}\t",
            status: 207, service: String(repeating: "long-service-name.", count: 9), decision: "pep.report_only.denied",
            bytesIn: 1_234_567_890, bytesOut: 98_765, upstreamNanoseconds: 12_345_678_901,
            totalNanoseconds: 99_999_999_999),
        AccessLogRecord(
            peer: "10.0.0.1", method: "POST", path: String(repeating: "/segment", count: 40), status: 502,
            service: "s", decision: "upstream.connect_failed", bytesIn: 7, bytesOut: 0, upstreamNanoseconds: 0,
            totalNanoseconds: 1_000),
    ]

    @Test(arguments: [AccessLogSettings.Format.text, .json])
    func cursorWritesWhatTheWriterWrites(format: AccessLogSettings.Format) {
        for record in Self.variedRecords {
            #expect(Self.cursorLine(record, format: format) == Self.line(record, format: format).text)
        }
    }

    /// The longest line bound holds for the largest numbers and a path of bytes that all need escaping, with the
    /// eight bytes of slack the cursor's copies need.
    @Test(arguments: [AccessLogSettings.Format.text, .json])
    func longestLineBoundsEveryLine(format: AccessLogSettings.Format) {
        let record = AccessLogRecord(
            peer: "\u{01}\u{02}", method: "\"", path: String(repeating: "\u{01}", count: 300), status: Int.max,
            service: "\\\\", decision: " ", bytesIn: UInt64.max, bytesOut: UInt64.max,
            upstreamNanoseconds: Int64.max, totalNanoseconds: Int64.max, trace: Self.granted.trace)
        let caches = FieldCaches(format: format)
        var clock = AccessLogClock()
        let time = clock.at(seconds: Self.seconds, nanoseconds: Self.nanoseconds)
        withExtendedLifetime(caches) {
            let fields = caches.fields(record)
            let bound = AccessLogFormatter.longestLine(fields: fields, path: record.path)
            let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 8192)
            defer { storage.deallocate() }
            var writer = LineWriter(base: storage, capacity: 8192)
            AccessLogFormatter.append(
                fields: fields, path: record.path, figures: record.figures,
                time: time, worker: Int.max, format: format, to: &writer)
            #expect(writer.fits)
            #expect(writer.count + 8 <= bound)
        }
        #expect(
            Self.cursorLine(record, format: format, worker: Int.max)
                == Self.line(record, format: format).text
                .replacingOccurrences(of: "worker=3 ", with: "worker=\(Int.max) ")
                .replacingOccurrences(of: "\"worker\":3,", with: "\"worker\":\(Int.max),"))
    }

    @Test func textLineHasEveryFieldInOrder() {
        let line = Self.line(Self.granted, format: .text).text
        #expect(
            line
                == "2026-12-06T02:13:19.123Z access worker=3 peer=127.0.0.1 bytes_in=0 bytes_out=60 "
                + "decision=pep.granted method=GET path=/posts/1 service=api status=200 total_ms=0.681 "
                + "upstream_ms=0.458 trace_id=4bf92f3577b34da6a3ce929d0e0e4736\n")
    }

    @Test func textLineMarksEmptyAndMissingValues() {
        let rejected = AccessLogRecord(
            peer: "", method: "", path: "", status: 400, service: "", decision: "http1.invalid_header",
            bytesIn: 0, bytesOut: 0, upstreamNanoseconds: nil, totalNanoseconds: 0)
        #expect(
            Self.line(rejected, format: .text).text
                == "2026-12-06T02:13:19.123Z access worker=3 peer=- bytes_in=0 bytes_out=0 "
                + "decision=http1.invalid_header method=- path=- service=- status=400 total_ms=0.000 upstream_ms=- "
                + "trace_id=-\n")
    }

    @Test(arguments: [
        ("/a b", "/a\\x20b"), ("/q\"x", "/q\\x22x"), ("/back\\slash", "/back\\x5cslash"), ("/tab\t", "/tab\\x09"),
        ("/é", "/\\xc3\\xa9"), ("/line\nbreak", "/line\\x0abreak"),
    ])
    func textValuesCannotBreakTheLine(path: String, expected: String) {
        var record = Self.granted
        record.path = path
        let line = Self.line(record, format: .text).text
        #expect(line.contains(" path=\(expected) service=api "))
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func jsonLineIsValidJSONWithTypedFields() throws {
        var record = Self.granted
        record.path = "/q\"x\\y\u{01}é"
        let line = Self.line(record, format: .json).text
        #expect(line.hasSuffix("}\n"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-06T02:13:19.123Z")
        #expect(object["worker"] as? Int == 3)
        #expect(object["path"] as? String == "/q\"x\\y\u{01}é")
        #expect(object["status"] as? Int == 200)
        #expect(object["decision"] as? String == "pep.granted")
        #expect(object["bytes_out"] as? Int == 60)
        #expect((object["total_ms"] as? Double).map { abs($0 - 0.681) < 1e-9 } == true)
        #expect((object["upstream_ms"] as? Double).map { abs($0 - 0.458) < 1e-9 } == true)
        #expect(object["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(object.count == 13)
    }

    @Test func jsonLineWritesNullForNoUpstream() throws {
        var record = Self.granted
        record.upstreamNanoseconds = nil
        let line = Self.line(record, format: .json).text
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["upstream_ms"] is NSNull)
        record.trace = nil
        let untraced = try #require(
            try JSONSerialization.jsonObject(with: Data(Self.line(record, format: .json).text.utf8)) as? [String: Any])
        #expect(untraced["trace_id"] is NSNull)
    }

    @Test(arguments: [
        (UInt64(0), "0"), (9, "9"), (10, "10"), (99, "99"), (100, "100"), (65_536, "65536"),
        (UInt64.max, "18446744073709551615"),
    ])
    func decimals(value: UInt64, expected: String) {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { storage.deallocate() }
        var writer = LineWriter(base: storage, capacity: 32)
        AccessLogFormatter.decimal(value, &writer)
        #expect(String(decoding: UnsafeBufferPointer(start: storage, count: writer.count), as: UTF8.self) == expected)
    }

    /// Every width from 1 to 20 digits, at both ends, and values mixing every digit pair: as `String(_:)` writes
    /// them.
    @Test func decimalsOfEveryWidth() {
        var values: [UInt64] = [UInt64.max, UInt64.max - 1, 10_000_000_000_000_000_000, 9_999_999_999_999_999_999]
        var power: UInt64 = 1
        for _ in 0..<19 {
            values += [power, power - 1, power + 1, power * 9 + power / 2]
            power *= 10
        }
        for pair in 0..<100 { values.append(UInt64(pair) * 1_010_101 + 7) }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { storage.deallocate() }
        for value in values {
            var writer = LineWriter(base: storage, capacity: 32)
            AccessLogFormatter.decimal(value, &writer)
            let written = String(decoding: UnsafeBufferPointer(start: storage, count: writer.count), as: UTF8.self)
            #expect(written == String(value))
        }
    }

    /// A decimal that does not fit is counted and not written past the capacity.
    @Test func decimalThatDoesNotFitWritesNothing() {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 8)
        defer { storage.deallocate() }
        storage.initialize(repeating: UInt8(ascii: "#"), count: 8)
        var writer = LineWriter(base: storage, capacity: 4)
        AccessLogFormatter.decimal(123_456, &writer)
        #expect(!writer.fits)
        #expect(writer.count == 6)
        #expect(Array(UnsafeBufferPointer(start: storage, count: 8)) == Array(repeating: UInt8(ascii: "#"), count: 8))
    }

    /// The trace-id (the access log's `trace_id`) and the whole `traceparent` value, written eight hex digits at a
    /// time, against `String(format:)`: every hex digit at every position, and random ids.
    @Test func traceIDsAndTraceparentsAgainstFormat() {
        var ids: [(UInt64, UInt64)] = [
            (0, 0), (UInt64.max, UInt64.max), (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        ]
        for digit in UInt64(0)...15 {
            for position in UInt64(0)..<16 { ids.append((digit << (4 * position), ~(digit << (4 * position)))) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 { ids.append((generator.next(), generator.next())) }
        var got = [UInt8](repeating: 0, count: 32)
        for (high, low) in ids {
            let trace = TraceContext(traceHigh: high, traceLow: low, parent: low ^ high, flags: UInt8(high & 0xFF))
            got.withUnsafeMutableBytes { trace.writeTraceID(to: $0.baseAddress!) }
            #expect(String(decoding: got, as: UTF8.self) == String(format: "%016llx%016llx", high, low))
            #expect(
                trace.traceparent
                    == String(format: "00-%016llx%016llx-%016llx-%02x", high, low, low ^ high, UInt8(high & 0xFF)))
        }
    }

    @Test(arguments: [
        (Int64(0), "0.000"), (999, "0.000"), (1_000, "0.001"), (1_234_567, "1.234"), (60_000_000_000, "60000.000"),
        (-5, "0.000"),
    ])
    func milliseconds(nanoseconds: Int64, expected: String) {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { storage.deallocate() }
        var writer = LineWriter(base: storage, capacity: 32)
        AccessLogFormatter.milliseconds(nanoseconds, &writer)
        #expect(String(decoding: UnsafeBufferPointer(start: storage, count: writer.count), as: UTF8.self) == expected)
    }

    /// A line that does not fit reports the size it needs and writes nothing past the capacity.
    @Test func writerReportsTheSizeALineNeeds() {
        let whole = Self.line(Self.granted, format: .text)
        let short = Self.line(Self.granted, format: .text, capacity: 40)
        #expect(whole.fits)
        #expect(!short.fits)
        #expect(short.count == whole.count)
    }

    @Test func clockFollowsTheCalendar() {
        var clock = AccessLogClock()
        let leap = String(decoding: clock.at(seconds: 951_782_400, nanoseconds: 999_999_999), as: UTF8.self)
        #expect(leap == "2000-02-29T00:00:00.999Z")
        let next = String(decoding: clock.at(seconds: 951_782_401, nanoseconds: 0), as: UTF8.self)
        #expect(next == "2000-02-29T00:00:01.000Z")
        let epoch = String(decoding: clock.at(seconds: 0, nanoseconds: 5_000_000), as: UTF8.self)
        #expect(epoch == "1970-01-01T00:00:00.005Z")
    }

    /// The bytes are kept between calls: the milliseconds are rewritten when they change, the whole time when
    /// the second changes (even with the same milliseconds), and a repeated time gives the same bytes.
    @Test(arguments: [
        [(0, 5), (0, 5), (0, 6)], [(0, 5), (1, 5)], [(59, 999), (60, 0), (60, 0)],
        [(951_782_400, 0), (951_782_400, 1), (951_782_401, 1), (951_782_401, 999), (951_782_461, 999)],
    ])
    func clockKeepsOnlyWhatIsStillTrue(times: [(seconds: Int, milliseconds: Int)]) {
        var clock = AccessLogClock()
        for time in times {
            var fresh = AccessLogClock()
            let expected = String(
                decoding: fresh.at(seconds: time.seconds, nanoseconds: time.milliseconds * 1_000_000 + 17),
                as: UTF8.self)
            let kept = String(
                decoding: clock.at(seconds: time.seconds, nanoseconds: time.milliseconds * 1_000_000 + 17),
                as: UTF8.self)
            #expect(kept == expected, "\(time)")
        }
    }
}

/// The four kept fields of a line, as a worker's buffer keeps them, for formatting records in tests.
final class FieldCaches {
    var peer: AccessLogFieldCache
    var method: AccessLogFieldCache
    var service: AccessLogFieldCache
    var decision: AccessLogFieldCache

    init(format: AccessLogSettings.Format) {
        self.peer = AccessLogFieldCache(format: format)
        self.method = AccessLogFieldCache(format: format)
        self.service = AccessLogFieldCache(format: format)
        self.decision = AccessLogFieldCache(format: format)
    }

    /// `record`'s four fields; valid until the next call.
    func fields(_ record: AccessLogRecord) -> AccessLogFields {
        AccessLogFields(
            peer: self.peer.rendered(record.peer), method: self.method.rendered(record.method),
            service: self.service.rendered(record.service), decision: self.decision.rendered(record.decision))
    }
}

/// A field kept from the previous line is used only for the same value: every value in turn gives the bytes a
/// fresh rendering gives, whether it repeats (the same string, or equal bytes in another string), changes, is
/// empty, needs escaping, or is longer than the kept storage.
@Suite struct AccessLogFieldCacheTests {
    static let long = String(repeating: "service-name-", count: 12)

    static func fresh(_ value: String, _ format: AccessLogSettings.Format) -> [UInt8] {
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        defer { storage.deallocate() }
        var writer = LineWriter(base: storage, capacity: 1024)
        AccessLogFormatter.value(value, format: format, &writer)
        return Array(UnsafeBufferPointer(start: storage, count: writer.count))
    }

    @Test(arguments: [AccessLogSettings.Format.text, .json])
    func everyValueGivesItsOwnBytes(format: AccessLogSettings.Format) {
        // The same bytes in separate storage (more than 15 bytes: not a small string).
        let built = String(decoding: Array("2001:db8::1234:5678:9abc".utf8), as: UTF8.self)
        let rebuilt = String(decoding: Array("2001:db8::1234:5678:9abc".utf8), as: UTF8.self)
        let values = [
            "", "GET", "GET", "", "pep.granted", "pep.denied", "pep.granted", built, rebuilt, built, "a b",
            "q\"x\\", "é", "e\u{301}", "é", Self.long, Self.long + "!", "", Self.long, "api",
        ]
        var cache = AccessLogFieldCache(format: format)
        for value in values {
            let kept = Array(cache.rendered(value))
            #expect(kept == Self.fresh(value, format), "\(value)")
        }
    }

    @Test func emptyIsADashInTextAndQuotesInJSON() {
        var text = AccessLogFieldCache(format: .text)
        var json = AccessLogFieldCache(format: .json)
        #expect(Array(text.rendered("")) == Array("-".utf8))
        #expect(Array(json.rendered("")) == Array("\"\"".utf8))
        #expect(Array(text.rendered("a\"b")) == Array("a\\x22b".utf8))
        #expect(Array(json.rendered("a\"b")) == Array("\"a\\\"b\"".utf8))
    }
}

/// The sink writes on a thread of its own: a destination that stops taking bytes never blocks a worker.
@Suite struct AccessLogSinkTests {
    @Test func stalledDestinationDropsInsteadOfBlocking() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let path = "/proc/self/fd/\(fds[1])"
        let sink = try AccessLogSink(
            settings: AccessLogSettings(destination: .file(path), bufferBytes: 0), maxQueuedBytes: 256 * 1024)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let started = Date()
        // Nobody reads the pipe: its 64 KiB buffer fills, the writer thread blocks, the queue fills, and the
        // rest is dropped, all without this thread waiting.
        for _ in 0..<40 { chunk.withUnsafeBytes { sink.write($0) } }
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(sink.droppedBytes >= 40 * 64 * 1024 - 256 * 1024 - 2 * 64 * 1024 - 65_536)
        // Reading unblocks the writer; what was queued arrives.
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(5)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        while Date() < deadline, total < 256 * 1024 {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 { total += n } else { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(total >= 256 * 1024)
        sink.finish(timeout: .seconds(2))
    }
}

/// A worker's buffer writes every line once and in order, whichever way it took: into the free space without
/// bounds checks, with checks when the free space is short of the longest line, after a flush when it did not
/// fit, or on its own when it is larger than the whole buffer; and the buffers the sink hands back (written
/// ones, reused) hold no stale bytes.
@Suite struct AccessLogBufferTests {
    @Test(arguments: [AccessLogSettings.Format.text, .json])
    func everyLineIsWrittenOnceInOrder(format: AccessLogSettings.Format) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 700 bytes: a flush every two or three lines (the buffers the sink hands back are reused).
        let sink = try AccessLogSink(
            settings: AccessLogSettings(destination: .file(path), format: format, bufferBytes: 700))
        let loop = try EventLoop()
        let varied = AccessLogFormatterTests.variedRecords
        // After the first line (`used` bytes), one that fits in the whole buffer but not in its free space: it
        // is written after a flush. Its path is plain, so the line grows by one byte per path byte.
        let used = AccessLogFormatterTests.line(varied[0], format: format).count
        var afterFlush = varied[3]
        afterFlush.path = ""
        afterFlush.path = String(
            repeating: "p",
            count: sink.bufferCapacity - used + 1 - AccessLogFormatterTests.line(afterFlush, format: format).count)
        var larger = varied[3]
        larger.path += String(repeating: "\u{01}", count: 5_000)  // escaped, larger than the whole buffer
        var records = [varied[0], afterFlush, varied[1], larger]
        for index in 0..<60 {
            var record = varied[index % varied.count]
            record.path += "/\(index)"
            records.append(record)
        }
        do {
            let buffer = AccessLogBuffer(sink: sink, worker: 3, loop: loop)
            for record in records { buffer.append(record) }
            buffer.flush()
        }
        sink.finish()
        let written = try String(contentsOfFile: path, encoding: .utf8)
        // The same lines formatted one by one; the time (the real clock's in the file) is left out of both.
        let time = format == .text ? 24 : #"{"time":"2026-12-06T02:13:19.123Z""#.utf8.count
        let expected = records.map {
            String(AccessLogFormatterTests.line($0, format: format, capacity: 1 << 16).text.dropFirst(time))
        }
        let lines = written.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == records.count)
        // The first line that differs, by its index (not the lines themselves: up to 30 KB).
        let differing = zip(lines, expected).map { String($0.dropFirst(time)) + "\n" == $1 }.firstIndex(of: false)
        #expect(differing == nil)
    }
}

/// One finished request as the tests describe it: the strings and the numbers of a line together (the data plane
/// passes them apart, ``AccessLogBuffer/append(peer:method:path:service:decision:figures:)``).
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

    /// The record's numbers.
    var figures: AccessLogFigures {
        AccessLogFigures(
            status: self.status, bytesIn: self.bytesIn, bytesOut: self.bytesOut,
            upstreamNanoseconds: self.upstreamNanoseconds, totalNanoseconds: self.totalNanoseconds, trace: self.trace)
    }
}

extension AccessLogBuffer {
    /// Appends `record`'s line.
    func append(_ record: AccessLogRecord) {
        self.append(
            peer: record.peer, method: record.method, path: record.path, service: record.service,
            decision: record.decision, figures: record.figures)
    }
}
