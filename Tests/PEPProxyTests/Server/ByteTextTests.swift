import Testing

@testable import PEPProxy

/// `ByteText` against the standard library's answers on ASCII texts (what it is used for), and on bytes only
/// where the two differ (canonical equivalence).
@Suite struct ByteTextTests {
    static let texts = [
        "", "t", "ticket", "pep.ticket", "pep.no_ticket_issued", "tick", "tickets", "pep.granted", "pep.granted_cached",
        "would_deny.401.pep.ticket", "ttticket", "pep.granteD", "xticketx",
    ]

    @Test(arguments: Self.texts)
    func agreesWithTheStandardLibraryOnASCII(_ text: String) {
        #expect(ByteText.contains(text, "ticket") == text.contains("ticket"))
        #expect(ByteText.hasPrefix(text, "pep.granted") == text.hasPrefix("pep.granted"))
        #expect(ByteText.contains(text, "") == true)
    }

    @Test func comparesBytesNotCharacters() {
        // "é" as e + U+0301 is canonically equal to U+00E9, but not byte-equal.
        let decomposed = "caf\u{0065}\u{0301}"
        #expect(!ByteText.hasPrefix(decomposed, "caf\u{00E9}"))
        #expect(ByteText.hasPrefix(decomposed, "cafe"))
    }
}
