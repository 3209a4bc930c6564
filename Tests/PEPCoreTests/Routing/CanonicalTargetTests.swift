import Testing

@testable import PEPCore

/// One canonicalization case: target in, path (and query) out.
struct CanonicalCase: Sendable, CustomTestStringConvertible {
    let target: String
    let path: String
    var query: String?
    var testDescription: String { self.target }
}

/// One rejected target and its error.
struct RejectedTarget: Sendable, CustomTestStringConvertible {
    let target: String
    let error: CanonicalTargetError
    var testDescription: String { "\(self.target) → \(self.error.detail)" }
}

@Suite struct CanonicalTargetTests {
    static func canonical(
        _ target: String, method: String = "GET", host: String? = "api.test",
        options: CanonicalTarget.Options = CanonicalTarget.Options()
    ) throws(CanonicalTargetError) -> CanonicalTarget {
        try CanonicalTarget.canonicalize(requestTarget: target, method: method, host: host, options: options)
    }

    static func expect(
        _ target: String, rejectedWith error: CanonicalTargetError,
        options: CanonicalTarget.Options = CanonicalTarget.Options(), method: String = "GET",
        host: String? = "api.test", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(throws: error, sourceLocation: sourceLocation) {
            try Self.canonical(target, method: method, host: host, options: options)
        }
    }

    // SECURITY 1: dot segments, plain and percent-encoded.
    static let dotSegments: [CanonicalCase] = [
        .init(target: "/public/../admin/users", path: "/admin/users"),
        .init(target: "/public/%2e%2e/admin/users", path: "/admin/users"),
        .init(target: "/public/.%2E/admin/users", path: "/admin/users"),
        .init(target: "/public/%2E./admin/users", path: "/admin/users"),
        .init(target: "/admin/./users", path: "/admin/users"),
        .init(target: "/admin/%2e/users", path: "/admin/users"),
        .init(target: "/../../admin/users", path: "/admin/users"),
        .init(target: "/public/x/..", path: "/public/"),
        .init(target: "/public/.", path: "/public/"),
        .init(target: "/..", path: "/"),
        .init(target: "/.", path: "/"),
        .init(target: "/a/...", path: "/a/..."),
        .init(target: "/a/..b/.c", path: "/a/..b/.c"),
    ]

    /// Dot segments are resolved after decoding `%2e`, so the matched path is the one forwarded (SECURITY 1).
    @Test(arguments: Self.dotSegments)
    func resolvesDotSegments(_ testCase: CanonicalCase) throws {
        #expect(try Self.canonical(testCase.target).path == testCase.path)
    }

    // RFC 3986 §5.4: the merged paths of the normal and abnormal examples (base /b/c/d;p), remove_dot_segments'd.
    static let rfc3986: [CanonicalCase] = [
        .init(target: "/b/c/g", path: "/b/c/g"), .init(target: "/b/c/./g", path: "/b/c/g"),
        .init(target: "/b/c/g/", path: "/b/c/g/"), .init(target: "/b/c/.", path: "/b/c/"),
        .init(target: "/b/c/./", path: "/b/c/"), .init(target: "/b/c/..", path: "/b/"),
        .init(target: "/b/c/../", path: "/b/"), .init(target: "/b/c/../g", path: "/b/g"),
        .init(target: "/b/c/../..", path: "/"), .init(target: "/b/c/../../", path: "/"),
        .init(target: "/b/c/../../g", path: "/g"), .init(target: "/b/c/../../../g", path: "/g"),
        .init(target: "/b/c/../../../../g", path: "/g"), .init(target: "/./g", path: "/g"),
        .init(target: "/../g", path: "/g"), .init(target: "/b/c/g.", path: "/b/c/g."),
        .init(target: "/b/c/.g", path: "/b/c/.g"), .init(target: "/b/c/g..", path: "/b/c/g.."),
        .init(target: "/b/c/..g", path: "/b/c/..g"), .init(target: "/b/c/./../g", path: "/b/g"),
        .init(target: "/b/c/./g/.", path: "/b/c/g/"), .init(target: "/b/c/g/./h", path: "/b/c/g/h"),
        .init(target: "/b/c/g/../h", path: "/b/c/h"), .init(target: "/a/b/c/./../../g", path: "/a/g"),
        .init(target: "/b/c/g?y/./x", path: "/b/c/g", query: "y/./x"),
        .init(target: "/b/c/g?y/../x", path: "/b/c/g", query: "y/../x"),
    ]

    /// The RFC 3986 §5.4 reference-resolution examples come out as the RFC says; queries are untouched.
    @Test(arguments: Self.rfc3986)
    func matchesRFC3986Examples(_ testCase: CanonicalCase) throws {
        let canonical = try Self.canonical(testCase.target)
        #expect(canonical.path == testCase.path)
        #expect(canonical.query == testCase.query)
    }

    /// `;x` examples of RFC 3986 §5.4 hold with `pathParameters: .keep`.
    @Test func keepsPathParametersWhenAsked() throws {
        let keep = CanonicalTarget.Options(pathParameters: .keep)
        #expect(try Self.canonical("/b/c/g;x", options: keep).path == "/b/c/g;x")
        #expect(try Self.canonical("/b/c/g;x=1/../y", options: keep).path == "/b/c/y")
        #expect(try Self.canonical("/b/c/g%3bx", options: keep).path == "/b/c/g%3Bx")
    }

    // SECURITY 2, 3 and the rest of A5's rejections.
    static let rejected: [RejectedTarget] = [
        .init(target: "/public/..%2Fadmin/users", error: .encodedSlash),
        .init(target: "/admin%2Fusers", error: .encodedSlash),
        .init(target: "/admin%2fusers", error: .encodedSlash),
        .init(target: "/public%5C..%5Cadmin/users", error: .encodedBackslash),
        .init(target: "/admin/users%00.png", error: .encodedNul),
        .init(target: "/photos/1%0d%0aSet-Cookie:%20x=1", error: .encodedControl),
        .init(target: "/a%7f", error: .encodedControl),
        .init(target: "/public\\..\\admin/users", error: .backslash),
        .init(target: "/files/secret.pdf#/preview", error: .fragment),
        .init(target: "/a?b#c", error: .fragment),
        .init(target: "/a;jsessionid=1", error: .pathParameters),
        .init(target: "/admin;/users", error: .pathParameters),
        .init(target: "/admin%3B/users", error: .pathParameters),
        .init(target: "/a%", error: .malformedPercent),
        .init(target: "/a%4", error: .malformedPercent),
        .init(target: "/a%zz", error: .malformedPercent),
        .init(target: "/a%%41", error: .malformedPercent),
        .init(target: "/a b", error: .invalidCharacter),
        .init(target: "/a\tb", error: .invalidCharacter),
        .init(target: "/caf\u{E9}", error: .invalidCharacter),
        .init(target: "/a?b c", error: .invalidQueryCharacter),
        // SECURITY 35: a method override in the query, in any spelling.
        .init(target: "/photos/1?_method=DELETE", error: .methodOverrideQuery),
        .init(target: "/photos/1?a=1&_METHOD=delete", error: .methodOverrideQuery),
        .init(target: "/photos/1?a=1;_Method=PUT", error: .methodOverrideQuery),
        .init(target: "/photos/1?%5Fmethod=DELETE", error: .methodOverrideQuery),
        .init(target: "/photos/1?%5f%6D%65thod=DELETE", error: .methodOverrideQuery),
        .init(target: "/photos/1?_method", error: .methodOverrideQuery),
        .init(target: "/photos/1?x=1&_method=", error: .methodOverrideQuery),
        .init(target: "admin/users", error: .notOriginForm),
        .init(target: "", error: .notOriginForm),
        .init(target: "api.test:443", error: .notOriginForm),
        .init(target: "ftp://api.test/admin", error: .notOriginForm),
        .init(target: "http://evil.test/public/x", error: .authorityMismatch),
        .init(target: "http://api.test@evil.test/x", error: .authorityMismatch),
        .init(target: "http:///admin", error: .authorityMismatch),
        .init(target: "*", error: .asteriskNotOptions),
    ]

    /// Encoded separators, NUL, controls, backslashes, fragments, parameters and non-origin forms reject with 400
    /// and their detail (SPEC A5; SECURITY 2, 3).
    @Test(arguments: Self.rejected)
    func rejectsUnsafeTargets(_ testCase: RejectedTarget) {
        Self.expect(testCase.target, rejectedWith: testCase.error)
        #expect(testCase.error.status == 400)
    }

    /// `%3F` and `%23` stay literal segment characters for both matching and forwarding (SECURITY 2).
    @Test func keepsEncodedQuestionMarkAndHashOpaque() throws {
        #expect(try Self.canonical("/public/x%3F/../../admin/users").path == "/admin/users")
        #expect(try Self.canonical("/public/x%3f/y").path == "/public/x%3F/y")
        #expect(try Self.canonical("/public/x%23/y").path == "/public/x%23/y")
    }

    /// With `encodedSlashes: .keep`, `%2F` and `%5C` are opaque segment bytes, never separators (SECURITY 2).
    @Test func keepsEncodedSlashesOpaqueWhenAsked() throws {
        let keep = CanonicalTarget.Options(encodedSlashes: .keep)
        #expect(try Self.canonical("/public/..%2Fadmin/users", options: keep).path == "/public/..%2Fadmin/users")
        #expect(try Self.canonical("/a%2f..%5c/b/../c", options: keep).path == "/a%2F..%5C/c")
        Self.expect("/a%00", rejectedWith: .encodedNul, options: keep)
    }

    // SECURITY 7: double slashes and encoded unreserved characters.
    static let slashesAndUnreserved: [CanonicalCase] = [
        .init(target: "//admin/users", path: "/admin/users"),
        .init(target: "/admin//users", path: "/admin/users"),
        .init(target: "/admin///users//", path: "/admin/users/"),
        .init(target: "/%61dmin/users", path: "/admin/users"),
        .init(target: "/%41DMIN/users", path: "/ADMIN/users"),
        .init(target: "/%7Euser/%2D%5F", path: "/~user/-_"),
        .init(target: "/a%2b%3d%40", path: "/a%2B%3D%40"),
        .init(target: "/a%25", path: "/a%25"),
        .init(target: "/a%2541", path: "/a%2541"),
        .init(target: "/a|b{c}\"", path: "/a%7Cb%7Bc%7D%22"),
        .init(target: "/a%7Cb", path: "/a%7Cb"),
        .init(target: "/a%e9", path: "/a%E9"),
        .init(target: "//", path: "/"),
        .init(target: "/", path: "/"),
    ]

    /// Slashes merge and unreserved `%XX` decode before matching; other `%XX` are upper-cased (SECURITY 7).
    @Test(arguments: Self.slashesAndUnreserved)
    func mergesSlashesAndDecodesUnreserved(_ testCase: CanonicalCase) throws {
        #expect(try Self.canonical(testCase.target).path == testCase.path)
    }

    /// Case stays significant by default; `foldCase` lower-cases raw and `%XX` spellings alike (SECURITY 7).
    @Test func foldsCaseOnlyWhenAskedAndForEverySpelling() throws {
        #expect(try Self.canonical("/ADMIN/users").path == "/ADMIN/users")
        let fold = CanonicalTarget.Options(foldCase: true)
        for target in ["/ADMIN/users", "/%41DMIN/users", "/%41%44%4d%49%4E/USERS", "/admin/users"] {
            #expect(try Self.canonical(target, options: fold).path == "/admin/users", "\(target)")
        }
        #expect(try Self.canonical("/A%3f?Q=X", options: fold) == CanonicalTarget(path: "/a%3F", query: "Q=X"))
    }

    /// Only the path is canonical and matched; the query is split at the first `?` and kept verbatim (SECURITY 9).
    @Test func keepsQueryVerbatimAndOutOfThePath() throws {
        let first = try Self.canonical("/admin/users?next=/public/x")
        #expect(first == CanonicalTarget(path: "/admin/users", query: "next=/public/x"))
        let second = try Self.canonical("/admin/users?/public/")
        #expect(second == CanonicalTarget(path: "/admin/users", query: "/public/"))
        let odd = try Self.canonical("/a?%2F..%00?x=%zz")
        #expect(odd == CanonicalTarget(path: "/a", query: "%2F..%00?x=%zz"))
        #expect(odd.requestTarget == "/a?%2F..%00?x=%zz")
        #expect(try Self.canonical("/a?") == CanonicalTarget(path: "/a", query: ""))
        #expect(try Self.canonical("/a").query == nil)
    }

    /// Names that only look like `_method` are ordinary parameters: kept verbatim (SECURITY 35 refuses only the
    /// override itself).
    @Test(arguments: [
        "method=DELETE", "_methods=x", "x_method=1", "a=_method", "q=1&next=_method%3DDELETE", "%5Fmethod2=x",
        "_metho=1", "%zz_method=1", "_method%=1", "%",
    ])
    func keepsLookalikeParameters(query: String) throws {
        #expect(try Self.canonical("/photos/1?\(query)").query == query)
    }

    /// Absolute-form is accepted only for the Host's own authority and reduces to its path (SPEC A5).
    @Test func acceptsAbsoluteFormForSameHost() throws {
        #expect(try Self.canonical("http://api.test/a/../b?q=1") == CanonicalTarget(path: "/b", query: "q=1"))
        #expect(try Self.canonical("HTTPS://API.TEST/x", host: "api.test").path == "/x")
        #expect(try Self.canonical("http://api.test:8080/x", host: "api.test:8080").path == "/x")
        #expect(try Self.canonical("http://api.test") == CanonicalTarget(path: "/", query: nil))
        #expect(try Self.canonical("http://api.test?x") == CanonicalTarget(path: "/", query: "x"))
        Self.expect("http://api.test:8080/x", rejectedWith: .authorityMismatch)
        Self.expect("http://api.test/x", rejectedWith: .authorityMismatch, host: nil)
    }

    /// `Host` is read only for an absolute-form target (the data plane builds it from the head on demand).
    @Test func readsHostOnlyForAbsoluteForm() throws {
        var asked = 0
        func host() -> String? {
            asked += 1
            return "api.test"
        }
        let origin = try Array("/x?y=1".utf8).withUnsafeBytes {
            try CanonicalTarget.canonicalize(requestTarget: $0, method: "GET", host: host())
        }
        #expect(origin.path == "/x" && origin.query == "y=1")
        #expect(asked == 0)
        let absolute = try Array("http://api.test/x".utf8).withUnsafeBytes {
            try CanonicalTarget.canonicalize(requestTarget: $0, method: "GET", host: host())
        }
        #expect(absolute.path == "/x" && asked == 1)
    }

    /// `*` is OPTIONS-only asterisk-form.
    @Test func acceptsAsteriskForOptions() throws {
        #expect(try Self.canonical("*", method: "OPTIONS") == CanonicalTarget(path: "*", query: nil))
    }

    /// Canonicalization is idempotent: a canonical path canonicalizes to itself.
    @Test(arguments: Self.dotSegments + Self.rfc3986 + Self.slashesAndUnreserved)
    func isIdempotent(_ testCase: CanonicalCase) throws {
        let once = try Self.canonical(testCase.target)
        #expect(try Self.canonical(once.requestTarget) == once)
    }
}
