import Foundation
import Testing

@testable import PEPProxy

/// W3C Trace Context `traceparent` / `tracestate` handling (https://www.w3.org/TR/trace-context/ §3.2, §3.3).
@Suite struct TraceContextTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static func parse(_ text: String) -> TraceContext? {
        Array(text.utf8).withUnsafeBytes { TraceContext.parse($0) }
    }

    @Test func validVersion00IsKeptAndWrittenBackByteForByte() throws {
        let context = try #require(Self.parse(Self.valid))
        #expect(context.traceHigh == 0x4bf9_2f35_77b3_4da6)
        #expect(context.traceLow == 0xa3ce_929d_0e0e_4736)
        #expect(context.parent == 0x00f0_67aa_0ba9_02b7)
        #expect(context.flags == 1)
        #expect(context.traceparent == Self.valid)
    }

    @Test(arguments: [
        "",  // empty
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",  // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // version 00 with more
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace-id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent-id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // wrong separator
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // a higher version without '-' after flags
    ])
    func invalidValuesAreRefused(text: String) {
        #expect(Self.parse(text) == nil, "\(text)")
    }

    @Test func aHigherVersionIsReadByItsFirstFieldsAndWrittenAsVersion00() throws {
        let future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future"
        let context = try #require(Self.parse(future))
        #expect(context.traceparent == Self.valid)
    }

    @Test func generatedContextsAreValidNewAndUnsampled() {
        var random = TraceIDGenerator()
        var seen = Set<TraceContext>()
        for _ in 0..<1_000 {
            let context = TraceContext.generate(&random)
            #expect(context.flags == 0)
            #expect(Self.parse(context.traceparent) == context)
            seen.insert(context)
        }
        #expect(seen.count == 1_000)
    }

    @Test(arguments: [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", true), ("a=1", true), ("a=1, b=2 ,c=3", true),
        ("a=1,,b=2", true), ("tenant@system=v", true), ("k/1*_-=x y", true),
        ("", false), ("novalue", false), ("a=1,\u{01}b=2", false), ("=x", false), ("a=", false), ("a=b=c", false),
        ("@@@=1", false), ("k ey=v", false), ("UPPER=x", false), ("a=b,a=c", false), ("1abc=x", false),
        ("a=v ", true), ("t@1sys=x", false), ("t@system-too-long=x", false),
        (String(repeating: "a", count: 300) + "=x", false),
        ((1...33).map { "k\($0)=1" }.joined(separator: ","), false),
        ((1...32).map { "k\($0)=1" }.joined(separator: ","), true),
    ])
    func tracestateIsForwardedOnlyWhenWellFormed(value: String, forwardable: Bool) {
        #expect(Array(value.utf8).withUnsafeBytes { TraceContext.isForwardableState($0) } == forwardable)
    }
}

/// What the upstream receives: the client's valid `traceparent` (and its `tracestate`), or a new trace in place of
/// a missing, invalid or repeated one, never the client's invalid bytes.
@Suite struct TraceContextForwardingTests {
    /// The `traceparent` and `tracestate` lines the upstream got for one request with `fields`.
    static func forwarded(_ fields: String) throws -> (traceparent: [String], tracestate: [String]) {
        let upstream = try ScriptedUpstream { _ in Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8) }
        defer { upstream.stop() }
        let proxy = try TestProxy(scripted: upstream)
        defer { proxy.stop() }
        let client = try proxy.client()
        client.send("GET /t HTTP/1.1\r\nHost: api.test\r\n\(fields)\r\n")
        #expect(client.readResponse()?.status == 200)
        let lines = upstream.receivedText.split(separator: "\r\n").map(String.init)
        let values = { (name: String) in
            lines.filter { $0.lowercased().hasPrefix(name + ":") }.map {
                $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
            }
        }
        return (values("traceparent"), values("tracestate"))
    }

    @Test func aValidTraceparentAndItsTracestateAreKept() throws {
        let sent = try Self.forwarded(
            "traceparent: \(TraceContextTests.valid)\r\ntracestate: rojo=00f067aa0ba902b7\r\n")
        #expect(sent.traceparent == [TraceContextTests.valid])
        #expect(sent.tracestate == ["rojo=00f067aa0ba902b7"])
    }

    @Test(arguments: [
        "",
        "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01\r\ntracestate: rojo=1\r\n",
        "traceparent: \(TraceContextTests.valid)\r\ntraceparent: \(TraceContextTests.valid)\r\n",
        "traceparent: garbage\r\n",
    ])
    func otherwiseANewTraceReplacesItAndTracestateIsDropped(fields: String) throws {
        let sent = try Self.forwarded(fields)
        #expect(sent.traceparent.count == 1)
        let value = try #require(sent.traceparent.first)
        #expect(value != TraceContextTests.valid && !value.contains("4BF9"))
        #expect(TraceContextTests.parse(value) != nil, "\(value)")
        #expect(value.hasSuffix("-00"))
        #expect(sent.tracestate.isEmpty)
    }

    @Test func aRepeatedTracestateIsDroppedButTheTraceKept() throws {
        let sent = try Self.forwarded(
            "traceparent: \(TraceContextTests.valid)\r\ntracestate: a=1\r\ntracestate: b=2\r\n")
        #expect(sent.traceparent == [TraceContextTests.valid])
        #expect(sent.tracestate.isEmpty)
    }
}
