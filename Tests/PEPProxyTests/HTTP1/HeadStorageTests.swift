import Testing

@testable import PEPProxy

/// `HTTP1HeadStorage` is reused by a parser for its next head only while no head holds it: a head handed out
/// never changes, however many heads the parser parses after it.
@Suite struct HeadStorageTests {
    static func parse(_ parser: inout RequestHeadParser, _ text: String) -> RequestHead? {
        let raw = text.bytes()
        guard case .complete(let head, _) = raw.withUnsafeBytes({ parser.parse($0, limits: .default) }) else {
            return nil
        }
        return head
    }

    @Test func aHeadHeldElsewhereKeepsItsBytesAndTheParserUsesNewStorage() throws {
        var parser = RequestHeadParser()
        let first = try #require(Self.parse(&parser, "GET /one HTTP/1.1\nHost: a\nX-A: 1\n\n"))
        let second = try #require(Self.parse(&parser, "POST /two HTTP/1.1\nHost: bb\nContent-Length: 0\n\n"))
        #expect(first.headers.storage !== second.headers.storage)
        #expect(first.target == "/one")
        #expect(first.headers.first(named: "x-a") == "1")
        #expect(first.headers.count == 2)
        #expect(second.target == "/two")
        #expect(second.host == "bb")
        #expect(second.headers.count == 2)
    }

    @Test func aReleasedHeadsStorageIsReused() throws {
        var parser = RequestHeadParser()
        var identity: ObjectIdentifier?
        do {
            let head = try #require(Self.parse(&parser, "GET /one HTTP/1.1\nHost: a\n\n"))
            identity = ObjectIdentifier(head.headers.storage)
        }
        let next = try #require(Self.parse(&parser, "GET /two HTTP/1.1\nHost: b\nX-B: 2\n\n"))
        #expect(ObjectIdentifier(next.headers.storage) == identity)
        #expect(next.target == "/two")
        #expect(next.headers.count == 2)
        #expect(next.headers.first(named: "x-b") == "2")
    }

    /// Two storages alternate while a connection's kept exchange holds the last head; the one before it, once
    /// free, is reused, unless a large head grew it: then it is dropped, so an idle connection keeps one large
    /// head's memory at most.
    @Test func storagesAlternateAndALargeFreeOneIsDropped() throws {
        var parser = RequestHeadParser()
        var held = try #require(Self.parse(&parser, "GET /one HTTP/1.1\nHost: a\n\n"))
        let firstStorage = ObjectIdentifier(held.headers.storage)
        held = try #require(Self.parse(&parser, "GET /two HTTP/1.1\nHost: a\n\n"))
        #expect(ObjectIdentifier(held.headers.storage) != firstStorage)
        held = try #require(Self.parse(&parser, "GET /three HTTP/1.1\nHost: a\n\n"))
        #expect(ObjectIdentifier(held.headers.storage) == firstStorage)
        parser.releaseLargeSpare()
        let small = parser.spare.keptByteCapacity
        #expect(small == 1024)  // two storages of 512 bytes: a small free one is kept

        let pad = String(repeating: "p", count: 10_000)
        held = try #require(Self.parse(&parser, "GET /big HTTP/1.1\nHost: a\nX-Pad: \(pad)\n\n"))
        held = try #require(Self.parse(&parser, "GET /after HTTP/1.1\nHost: a\n\n"))
        // The large storage is free now (no head holds it) and kept as the spare until released.
        #expect(parser.spare.keptByteCapacity > 10_000)
        parser.releaseLargeSpare()
        #expect(parser.spare.keptByteCapacity == 512)
        #expect(held.target == "/after")
        // The next head gets a new storage (the one held is not free), and reads back exactly.
        let next = try #require(Self.parse(&parser, "GET /next HTTP/1.1\nHost: b\n\n"))
        #expect(next.target == "/next")
        #expect(held.target == "/after")
    }

    @Test func growsPastItsFirstCapacityForBytesAndFields() throws {
        var parser = RequestHeadParser()
        let names = (0..<40).map { "X-Field-\($0)" }
        let long = String(repeating: "v", count: 300)  // 40 lines: about 12.6 KiB, under the 16 KiB head limit
        let text = "GET / HTTP/1.1\nHost: a\n" + names.map { "\($0): \(long)\n" }.joined() + "\n"
        let head = try #require(Self.parse(&parser, text))
        #expect(head.headers.count == 41)
        #expect(head.headers.byteCount == text.bytes().count)
        for (index, name) in names.enumerated() {
            #expect(head.headers.name(at: index + 1) == name)
            #expect(head.headers.value(at: index + 1) == long)
        }
        // The grown storage is reused for a small head, which reads back exactly.
        let small = try #require(Self.parse(&parser, "GET /s HTTP/1.1\nHost: b\n\n"))
        #expect(small.target == "/s")
        #expect(small.headers.count == 1)
        #expect(head.headers.count == 41)
    }

    @Test func equalityComparesContentsNotIdentity() throws {
        var first = RequestHeadParser()
        var second = RequestHeadParser()
        let text = "GET / HTTP/1.1\nHost: a\nX-A: 1\n\n"
        let one = try #require(Self.parse(&first, text))
        let two = try #require(Self.parse(&second, text))
        #expect(one.headers.storage !== two.headers.storage)
        #expect(one == two)
        let other = try #require(Self.parse(&second, "GET / HTTP/1.1\nHost: a\nX-A: 2\n\n"))
        #expect(one != other)
    }

    @Test func aHeadFollowedByManyTokenBytesIsStillParsed() {
        // The one pass needs a non-`tchar` byte among the last 64; after 100 body bytes of `x` it scans first.
        for bodyLength in [0, 1, 63, 64, 65, 100] {
            let head = "HTTP/1.1 200 OK\r\nContent-Length: \(bodyLength)\r\n\r\n"
            let raw = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: bodyLength)
            let result = agreedResult(parseResponseEverySlicing(raw))
            guard case .complete(let parsed, let consumed) = result else {
                Issue.record("body of \(bodyLength): \(result)")
                continue
            }
            #expect(consumed == head.utf8.count)
            #expect(parsed.framing == .contentLength(UInt64(bodyLength)))
        }
    }
}
