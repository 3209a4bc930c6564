import Testing

@testable import PEPProxy

/// The fast forms of the field values read on every message (`Host`, a response's `Content-Length`) against
/// the full rules.
@Suite struct FieldValueFastPathTests {
    /// `Host = uri-host [ ":" port ]` rule by rule, one byte class at a time (what `isValidHost` was before its
    /// reg-name loop became one table test per byte): the reference the parser's version must agree with.
    static func isValidHostByTheRules(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        if index < end && buffer[index] == UInt8(ascii: "[") {
            index += 1
            let literalStart = index
            while index < end && buffer[index] != UInt8(ascii: "]") {
                let byte = buffer[index]
                guard HTTP1Grammar.isHostChar(byte), byte != UInt8(ascii: "["), byte != UInt8(ascii: "%") else {
                    return false
                }
                index += 1
            }
            guard index < end, index > literalStart else { return false }
            index += 1
        } else {
            while index < end && buffer[index] != UInt8(ascii: ":") {
                let byte = buffer[index]
                guard HTTP1Grammar.isHostChar(byte), byte != UInt8(ascii: "["), byte != UInt8(ascii: "]") else {
                    return false
                }
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < end, HTTP1Grammar.hexValue(buffer[index + 1]) != nil,
                        HTTP1Grammar.hexValue(buffer[index + 2]) != nil
                    else { return false }
                    index += 2
                }
                index += 1
            }
        }
        guard index < end else { return true }
        guard buffer[index] == UInt8(ascii: ":") else { return false }
        index += 1
        while index < end {
            guard buffer[index] >= UInt8(ascii: "0") && buffer[index] <= UInt8(ascii: "9") else { return false }
            index += 1
        }
        return true
    }

    static let hosts: [String] = [
        "", "a", "example.com", "127.0.0.1", "127.0.0.1:25602", "host:", ":80", "a:8080", "a:80x", "a:8:0",
        "[::1]", "[::1]:443", "[v1.fe]", "[]", "[::1", "::1]", "a]b", "a[b", "ex%41mple", "ex%4", "ex%zz.com",
        "a b", "a\u{7F}", "ä.com", "xn--nxasmq6b.com", "a_b~c!$&'()*+,;=", "a:80:80", "a::80", "%41:80",
        "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "a/b", "a?b", "a#b", "a@b", "a\"b",
    ]

    @Test(arguments: Self.hosts) func hostAgreesWithTheRules(_ host: String) {
        let bytes = Array(host.utf8)
        bytes.withUnsafeBytes { buffer in
            #expect(
                HTTP1FieldValues.isValidHost(buffer, 0..<buffer.count)
                    == Self.isValidHostByTheRules(buffer, 0..<buffer.count))
        }
    }

    @Test func randomHostsAgreeWithTheRules() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("a0.-:[]%Ff9_~!;=, \u{7F}".utf8) + [0x00, 0x80, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0..<12, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            bytes.withUnsafeBytes { buffer in
                #expect(
                    HTTP1FieldValues.isValidHost(buffer, 0..<buffer.count)
                        == Self.isValidHostByTheRules(buffer, 0..<buffer.count), "\(bytes)")
            }
        }
    }

    @Test func hostsInRequestsAreJudgedAsBefore() {
        let cases: [(String, Bool)] = [
            ("127.0.0.1:25602", true), ("example.com", true), ("[::1]:80", true), ("ex%41mple", true),
            ("a:80x", false), ("a]b", false), ("ex%4", false), ("a:8:0", false),
        ]
        for (host, valid) in cases {
            let result = agreedResult(parseRequestEverySlicing("GET / HTTP/1.1\nHost: \(host)\n\n".bytes()))
            if valid {
                #expect(result.isComplete, "\(host)")
            } else {
                #expect(result == .rejected(.invalidHost), "\(host)")
            }
        }
    }

    /// A response's Content-Length: the single plain line (fast), and what goes through the list walk.
    @Test func responseContentLengthSingleLineAndTheRest() {
        let cases: [(String, Result<UInt64, HTTP1ParseError>)] = [
            ("Content-Length: 3\n", .success(3)),
            ("Content-Length: 0\n", .success(0)),
            ("Content-Length:  42 \n", .success(42)),
            ("Content-Length: 9223372036854775807\n", .success(9_223_372_036_854_775_807)),
            ("Content-Length: 9223372036854775808\n", .failure(.invalidContentLength)),
            ("Content-Length: 5, 5\n", .success(5)),
            ("Content-Length: 5, 6\n", .failure(.conflictingContentLength)),
            ("Content-Length: 5\nContent-Length: 5\n", .success(5)),
            ("Content-Length: 5\nContent-Length: 6\n", .failure(.conflictingContentLength)),
            ("Content-Length: +5\n", .failure(.invalidContentLength)),
            ("Content-Length: 5 5\n", .failure(.invalidContentLength)),
            ("Content-Length:\n", .failure(.invalidContentLength)),
            ("Content-Length: ,\n", .failure(.invalidContentLength)),
        ]
        for (fields, expected) in cases {
            let raw = "HTTP/1.1 200 OK\n\(fields)\n".bytes()
            let result = agreedResult(parseResponseEverySlicing(raw))
            switch (result, expected) {
            case (.complete(let head, _), .success(let length)):
                #expect(head.framing == .contentLength(length), "\(fields)")
            case (.rejected(let error), .failure(let expectedError)):
                #expect(error == expectedError, "\(fields)")
            default:
                Issue.record("\(fields): \(result), expected \(expected)")
            }
        }
    }
}
