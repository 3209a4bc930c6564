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
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { storage.deallocate() }
        var writer = LineWriter(base: storage, capacity: capacity)
        clock.at(seconds: Self.seconds, nanoseconds: Self.nanoseconds) { time in
            AccessLogFormatter.append(record, time: time, worker: 3, format: format, to: &writer)
        }
        let written = min(writer.count, capacity)
        let text = String(decoding: UnsafeBufferPointer(start: storage, count: written), as: UTF8.self)
        return (text, writer.fits, writer.count)
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
        let leap = clock.at(seconds: 951_782_400, nanoseconds: 999_999_999) { String(decoding: $0, as: UTF8.self) }
        #expect(leap == "2000-02-29T00:00:00.999Z")
        let next = clock.at(seconds: 951_782_401, nanoseconds: 0) { String(decoding: $0, as: UTF8.self) }
        #expect(next == "2000-02-29T00:00:01.000Z")
        let epoch = clock.at(seconds: 0, nanoseconds: 5_000_000) { String(decoding: $0, as: UTF8.self) }
        #expect(epoch == "1970-01-01T00:00:00.005Z")
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
