import Foundation
import Testing

@testable import PEPProxy

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a test hands its bytes to a parser (STYLE rule 21: every codec case runs whole, byte by byte and in
/// N-byte slices, and must give the same result).
enum Slicing: Sendable, CaseIterable, CustomStringConvertible {
    case whole
    case byteByByte
    case slices3
    case slices7

    var step: Int? {
        switch self {
        case .whole: nil
        case .byteByByte: 1
        case .slices3: 3
        case .slices7: 7
        }
    }

    var description: String {
        switch self {
        case .whole: "whole"
        case .byteByByte: "byte by byte"
        case .slices3: "3-byte slices"
        case .slices7: "7-byte slices"
        }
    }
}

/// Memory whose last readable byte is followed by a `PROT_NONE` page, so a parser that reads one byte past the
/// input it was given faults at once (picohttpparser `test.c`).
final class GuardedBuffer {
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let capacity: Int

    init?(capacity: Int) {
        let pages = (capacity + self.pageSize - 1) / self.pageSize + 1
        self.length = pages * self.pageSize
        self.capacity = (pages - 1) * self.pageSize
        guard let memory = mmap(nil, self.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            memory != MAP_FAILED
        else { return nil }
        self.base = memory
        guard mprotect(memory + self.capacity, self.pageSize, PROT_NONE) == 0 else { return nil }
    }

    deinit { munmap(self.base, self.length) }

    /// Copies `bytes` so that they end right before the guard page and calls `body` with them.
    func withBytes<Result>(_ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        precondition(bytes.count <= self.capacity)
        let start = self.base + (self.capacity - bytes.count)
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress { start.copyMemory(from: address, byteCount: source.count) }
        }
        return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }
}

/// Inputs up to this size are re-copied to the guard page for every prefix; longer ones only for the whole run.
private let guardEveryPrefixUpTo = 8_192

/// Feeds growing prefixes of `input` to `parse` until it stops saying `.incomplete`; returns its last answer.
func feed<Head>(
    _ input: [UInt8], _ slicing: Slicing,
    _ parse: (UnsafeRawBufferPointer) -> HTTP1ParseResult<Head>
) -> HTTP1ParseResult<Head> {
    let guarded = GuardedBuffer(capacity: max(input.count, 1))
    func run(_ length: Int) -> HTTP1ParseResult<Head> {
        if let guarded, length == input.count || input.count <= guardEveryPrefixUpTo {
            return guarded.withBytes(input[0..<length], parse)
        }
        return input.withUnsafeBytes { parse(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
    guard let step = slicing.step else { return run(input.count) }
    var length = 0
    while true {
        length = min(length + step, input.count)
        let result = run(length)
        if case .incomplete = result, length < input.count { continue }
        return result
    }
}

/// Parses `raw` as a request head in every slicing; returns each slicing's result.
func parseRequestEverySlicing(
    _ raw: [UInt8], limits: HTTP1Limits = .default,
    options: RequestHeadParser.Options = RequestHeadParser.Options()
) -> [(Slicing, HTTP1ParseResult<RequestHead>)] {
    Slicing.allCases.map { slicing in
        var parser = RequestHeadParser(options: options)
        return (slicing, feed(raw, slicing) { parser.parse($0, limits: limits) })
    }
}

/// Parses `raw` as a response head in every slicing; returns each slicing's result.
func parseResponseEverySlicing(
    _ raw: [UInt8], requestMethod: String = "GET", limits: HTTP1Limits = .default
) -> [(Slicing, HTTP1ParseResult<ResponseHead>)] {
    Slicing.allCases.map { slicing in
        var parser = ResponseHeadParser()
        return (slicing, feed(raw, slicing) { parser.parse($0, requestMethod: requestMethod, limits: limits) })
    }
}

extension String {
    /// The string's bytes, with `\n` written as CRLF when `crlf` is set (most tables write heads that way).
    func bytes(crlf: Bool = true) -> [UInt8] {
        crlf ? Array(self.replacingOccurrences(of: "\n", with: "\r\n").utf8) : Array(self.utf8)
    }
}

/// The result every slicing agreed on; records an issue for each slicing that disagreed with the whole run.
func agreedResult<Head>(
    _ results: [(Slicing, HTTP1ParseResult<Head>)], sourceLocation: SourceLocation = #_sourceLocation
) -> HTTP1ParseResult<Head> {
    let whole = results[0].1
    for (slicing, result) in results.dropFirst() {
        #expect(result == whole, "\(slicing) differs from whole", sourceLocation: sourceLocation)
    }
    return whole
}

/// A raw head and a label, for `@Test(arguments:)` tables (picohttpparser-style labels).
struct LabeledHead: Sendable, CustomTestStringConvertible {
    let label: String
    let raw: [UInt8]
    var testDescription: String { self.label }

    /// `text` with each `\n` sent as CRLF.
    init(_ label: String, _ text: String) {
        self.label = label
        self.raw = text.bytes()
    }

    /// `raw` exactly as given.
    init(_ label: String, raw: [UInt8]) {
        self.label = label
        self.raw = raw
    }
}
