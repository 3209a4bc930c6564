import Testing

@testable import PEPProxy

/// `RequestID`: `<16 hex digits>-<counter in hex, no leading zeros>`, the counter growing per id.
@Suite struct RequestIDTests {
    static func parts(_ id: String) -> (prefix: Substring, counter: Substring)? {
        let pieces = id.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 2 else { return nil }
        return (pieces[0], pieces[1])
    }

    static func isLowerHex(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    @Test func idsHaveTheDocumentedShapeAndACounterWithoutLeadingZeros() throws {
        var previous: UInt64 = 0
        for _ in 0..<300 {
            let id = RequestID.generate()
            let parts = try #require(Self.parts(id), "\(id)")
            #expect(parts.prefix.count == 16 && Self.isLowerHex(parts.prefix), "\(id)")
            #expect(Self.isLowerHex(parts.counter), "\(id)")
            let counter = try #require(UInt64(parts.counter, radix: 16), "\(id)")
            #expect(String(counter, radix: 16) == String(parts.counter), "\(id)")
            // Other tests may take ids at the same time: the counter only grows.
            #expect(counter > previous, "\(id)")
            previous = counter
            #expect(RequestID.isValid(id))
        }
    }

    @Test func appendWritesTheSameShapeAfterWhatTheBufferHolds() throws {
        let out = HeadBuffer(capacity: 64)
        out.append("X-Request-Id: ")
        RequestID.append(to: out)
        let text = String(decoding: out.bytes, as: UTF8.self)
        #expect(text.hasPrefix("X-Request-Id: "))
        let parts = try #require(Self.parts(String(text.dropFirst("X-Request-Id: ".count))))
        #expect(parts.prefix.count == 16 && Self.isLowerHex(parts.prefix))
        #expect(Self.isLowerHex(parts.counter))
        #expect(parts.counter.first != "0")
    }

    @Test func everyCounterWidthIsWrittenWithoutLeadingZeros() throws {
        // Each power of 16 and the value before it: the digit count changes between them.
        var counters: [UInt64] = [0, 1, UInt64.max]
        for shift in stride(from: 4, through: 60, by: 4) {
            counters += [(1 << UInt64(shift)) - 1, 1 << UInt64(shift)]
        }
        for counter in counters {
            let out = HeadBuffer(capacity: 64)
            RequestID.append(counter: counter, to: out)
            let id = String(decoding: out.bytes, as: UTF8.self)
            let parts = try #require(Self.parts(id), "\(id)")
            #expect(parts.prefix.count == 16 && Self.isLowerHex(parts.prefix), "\(id)")
            #expect(String(parts.counter) == String(counter, radix: 16), "\(counter)")
        }
    }
}
