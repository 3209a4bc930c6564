import Testing

@testable import PEPCore

/// `CanonicalTarget.canonicalPath` writes paths up to `stackPathBytes` on the stack and longer ones straight into
/// a string: both sides of the switch give the same canonical path and the same rejections.
@Suite struct CanonicalPathBufferTests {
    static func canonicalPath(_ path: String) throws -> String {
        try Array(path.utf8).withUnsafeBytes {
            try CanonicalTarget.canonicalPath($0, options: CanonicalTarget.Options())
        }
    }

    /// Path lengths in bytes on each side of the switch.
    static let lengths = [
        CanonicalTarget.stackPathBytes - 1, CanonicalTarget.stackPathBytes, CanonicalTarget.stackPathBytes + 1,
        4 * CanonicalTarget.stackPathBytes,
    ]

    @Test(arguments: Self.lengths)
    func sameResultOnEitherSide(length: Int) throws {
        // A dot segment, percent-encoded unreserved and reserved bytes, and `length` bytes in all.
        let filler = String(repeating: "a", count: length - 13)
        let path = "/x/../" + filler + "/%7e%20"
        #expect(path.utf8.count == length)
        #expect(try Self.canonicalPath(path) == "/" + filler + "/~%20")
        #expect(throws: CanonicalTargetError.backslash) { try Self.canonicalPath(path + "\\") }
        #expect(throws: CanonicalTargetError.malformedPercent) { try Self.canonicalPath(path + "%4") }
    }
}
