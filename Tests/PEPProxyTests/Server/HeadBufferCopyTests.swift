import Testing

@testable import PEPProxy

/// `HeadBuffer` copies short runs with overlapping word loads and stores: every length, after every fill
/// level, must write exactly the bytes given, and nothing else.
@Suite struct HeadBufferCopyTests {
    @Test func everyLengthAfterEveryFillLevelAppendsExactlyItsBytes() {
        for filled in 0..<20 {
            for length in 0...40 {
                let out = HeadBuffer(capacity: 64)
                let prefix = (0..<filled).map { UInt8(truncatingIfNeeded: 0xA0 + $0) }
                let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
                prefix.withUnsafeBytes { out.append($0) }
                bytes.withUnsafeBytes { out.append($0) }
                // A sentinel after: a store past the copied run would have been overwritten by it.
                out.append(0xEE)
                #expect(Array(out.bytes) == prefix + bytes + [0xEE], "\(length) bytes after \(filled)")
            }
        }
    }

    @Test func growingPastTheCapacityKeepsEveryByte() {
        let out = HeadBuffer(capacity: 64)
        var expected: [UInt8] = []
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ length) }
            bytes.withUnsafeBytes { out.append($0) }
            out.append("literal")
            out.append("a string of more than fifteen bytes")
            expected += bytes + Array("literal".utf8) + Array("a string of more than fifteen bytes".utf8)
        }
        #expect(Array(out.bytes) == expected)
    }

    @Test func literalsMatchWordAtATimeAsByteByByte() {
        let literals: [StaticString] = ["", "H", "HT", "HTT", "HTTP", "HTTP/", "pep.gran", "pep.grant", "pep.granted"]
        for literal in literals {
            let text = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            for start in 0...2 {
                // Equal, then one byte changed at each position, then one byte short.
                var variants: [[UInt8]] = [text]
                for position in text.indices {
                    var changed = text
                    changed[position] ^= 0x01
                    variants.append(changed)
                }
                if !text.isEmpty { variants.append(Array(text.dropLast())) }
                for variant in variants {
                    let buffer = [UInt8](repeating: 0x2E, count: start) + variant
                    let expected = variant.count >= text.count && Array(variant.prefix(text.count)) == text
                    let found = buffer.withUnsafeBytes { HTTP1FieldLineParser.matchesExactly($0, start, literal) }
                    #expect(found == expected, "\(literal) against \(variant) at \(start)")
                }
            }
        }
    }

    @Test(arguments: [UInt64(0), 7, 9, 10, 99, 100, 12_345, 1_000_000_007, UInt64.max])
    func decimalDigitsMatchTheStandardLibrary(_ value: UInt64) {
        let out = HeadBuffer(capacity: 64)
        out.append("n=")
        out.appendDecimal(value)
        #expect(String(decoding: out.bytes, as: UTF8.self) == "n=" + String(value))
    }

    @Test func statusCodesAreWrittenInDecimal() {
        for status in [0, 7, 42, 99, 100, 101, 200, 204, 304, 404, 500, 599, 999, 1000, 12_345] {
            let out = HeadBuffer(capacity: 64)
            ResponseForwarder.appendStatus(status, to: out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == String(status), "\(status)")
        }
    }
}
