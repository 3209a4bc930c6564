import Foundation
import Testing

@testable import PEPCore

/// One acceptance vector of `Fixtures/path-match.json` (SPEC Part B §3.4).
struct PathMatchFixtureCase: Sendable, Decodable, CustomTestStringConvertible {
    struct Rule: Sendable, Decodable {
        struct Condition: Sendable, Decodable {
            var httpMethods: [String]
        }

        var path: String
        var conditions: [Condition]
    }

    var id: Int
    var rules: [Rule]
    var method: String
    var path: String
    var expectedRule: String?
    var expectedCaptures: [String]?

    enum CodingKeys: String, CodingKey {
        case id, rules, method, path
        case expectedRule = "expected_rule"
        case expectedCaptures = "expected_captures"
    }

    var testDescription: String { "#\(self.id) \(self.method) \(self.path)" }

    var document: ProtectionDocument {
        ProtectionDocument(
            rules: self.rules.map { rule in
                ResourceRule(
                    path: rule.path, conditions: rule.conditions.map { RuleCondition(httpMethods: $0.httpMethods) })
            })
    }

    private struct File: Decodable {
        var cases: [PathMatchFixtureCase]
    }

    /// The fixture's cases; empty when the file is missing or malformed (`fixtureLoads` then fails).
    static let all: [PathMatchFixtureCase] = {
        guard let url = Bundle.module.url(forResource: "path-match", withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let file = try? JSONDecoder().decode(File.self, from: data)
        else { return [] }
        return file.cases
    }()
}

/// Builds a document where every rule has one condition with the given methods.
func makeDocument(_ rules: [(method: String, path: String)]) -> ProtectionDocument {
    ProtectionDocument(
        rules: rules.map { ResourceRule(path: $0.path, conditions: [RuleCondition(httpMethods: [$0.method])]) })
}

/// The final tree of SPEC Part B §3.4 (all 21 rows' rules, method `GET`).
let acceptanceTreePatterns = [
    "/folder/file.ext", "/folder/?/file", "/path/??", "/path/??/image.jpg", "/path/?/image.jpg",
    "/path/{abc|xyz}/image.jpg", "/users/?/{todos|photos}", "/users/?/{todos|photos}/?",
    "/users/?/{todos|photos}/123", "/path/??/images/?",
]

@Suite struct PathMatcherTests {
    /// The acceptance fixture is present and holds all 21 vectors of SPEC Part B §3.4.
    @Test func fixtureLoads() {
        #expect(PathMatchFixtureCase.all.count == 21)
    }

    /// Every acceptance vector yields its expected rule (or no match) and, where given, its captures.
    @Test(arguments: PathMatchFixtureCase.all)
    func acceptanceVector(_ testCase: PathMatchFixtureCase) throws {
        let matcher = try PathMatcher(document: testCase.document)
        let result = matcher.matchWithCaptures(method: testCase.method, path: testCase.path)
        #expect(result?.0.pattern == testCase.expectedRule)
        #expect(matcher.match(method: testCase.method, path: testCase.path)?.pattern == testCase.expectedRule)
        if let expectedCaptures = testCase.expectedCaptures {
            #expect(result?.1 == expectedCaptures)
        }
        if let match = result?.0 {
            #expect(testCase.document.rules[match.ruleIndex].path == match.pattern)
            #expect(match.conditionIndex == 0)
        }
    }

    /// SPEC Part B §3.4 derived vectors, backtracking column (SPEC A4): rows marked ✱ now match.
    @Test(
        arguments: [
            ("/path/xxx/file", "/path/??"),
            ("/path/image.jpg", "/path/??/image.jpg"),
            ("/path/a/b/images/p1.jpg", "/path/??/images/?"),
            ("/path", "/path/??"),
            ("/folder/file", nil),
            ("/users/xxx/photos", "/users/?/{todos|photos}"),
            ("/users/123/photos/321", "/users/?/{todos|photos}/?"),
        ] as [(String, String?)])
    func derivedVectorWithBacktracking(path: String, expected: String?) throws {
        let matcher = try PathMatcher(document: makeDocument(acceptanceTreePatterns.map { ("GET", $0) }))
        #expect(matcher.match(method: "GET", path: path)?.pattern == expected)
    }

    /// `{regex}` is anchored (SPEC A4): `xabcx` is not accepted by `{abc|xyz}`, so `?` takes the segment.
    @Test func regexIsAnchored() throws {
        let matcher = try PathMatcher(document: makeDocument(acceptanceTreePatterns.map { ("GET", $0) }))
        let result = matcher.matchWithCaptures(method: "GET", path: "/path/xabcx/image.jpg")
        #expect(result?.0.pattern == "/path/?/image.jpg")
        #expect(result?.1 == ["xabcx"])
        let onlyRegex = try PathMatcher(document: makeDocument([("GET", "/path/{abc|xyz}/image.jpg")]))
        #expect(onlyRegex.match(method: "GET", path: "/path/xabcx/image.jpg") == nil)
        #expect(onlyRegex.match(method: "GET", path: "/path/abcxyz/image.jpg") == nil)
        #expect(onlyRegex.match(method: "GET", path: "/path/xyz/image.jpg")?.ruleIndex == 0)
    }

    /// Method `?` is a real fallback: {GET /a, ? /b} routes both `GET /b` and `POST /b` to `/b`.
    @Test(
        arguments: [("GET", "/b", "/b"), ("POST", "/b", "/b"), ("GET", "/a", "/a"), ("POST", "/a", nil)]
            as [(String, String, String?)])
    func methodWildcardBacktracks(method: String, path: String, expected: String?) throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/a"), ("?", "/b")]))
        #expect(matcher.match(method: method, path: path)?.pattern == expected)
    }

    /// A method-level `?` captures the method name.
    @Test func methodWildcardCapturesMethod() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/a"), ("?", "/b/?")]))
        let result = matcher.matchWithCaptures(method: "POST", path: "/b/x")
        #expect(result?.0.pattern == "/b/?")
        #expect(result?.1 == ["POST", "x"])
    }

    /// uma-pep test 1 rules {GET /??, POST /posts} (SPEC Part B §3.4 other derived vectors).
    @Test(
        arguments: [
            ("GET", "/", "/??"), ("GET", "/todos", "/??"), ("GET", "/posts", "/??"), ("POST", "/posts", "/posts"),
            ("POST", "/todos", nil),
        ] as [(String, String, String?)])
    func umaPepTestOneVectors(method: String, path: String, expected: String?) throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/??"), ("POST", "/posts")]))
        #expect(matcher.match(method: method, path: path)?.pattern == expected)
    }

    /// End-of-path rule: with {/path, /path/??}, `/path` yields `/path/??`; `/path/x` too; `/other` nothing.
    @Test func endOfPathPrefersGlobstarChild() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/path"), ("GET", "/path/??")]))
        #expect(matcher.match(method: "GET", path: "/path")?.pattern == "/path/??")
        #expect(matcher.match(method: "GET", path: "/path/x")?.pattern == "/path/??")
        #expect(matcher.match(method: "GET", path: "/other") == nil)
    }

    /// Literals and methods compare case-sensitively. `HEAD` falls back to a `GET` condition of a rule that does
    /// not list `HEAD` itself, authorized as `GET`; an explicit `HEAD` is matched as its own method.
    @Test func caseSensitiveAndHeadFallsBackToGet() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/Photos"), ("HEAD", "/photos")]))
        #expect(matcher.match(method: "GET", path: "/Photos")?.pattern == "/Photos")
        #expect(matcher.match(method: "GET", path: "/photos") == nil)
        #expect(matcher.match(method: "get", path: "/Photos") == nil)
        #expect(
            matcher.match(method: "HEAD", path: "/Photos")
                == RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/Photos", authorizedMethod: "GET"))
        #expect(
            matcher.match(method: "HEAD", path: "/photos")
                == RuleMatch(ruleIndex: 1, conditionIndex: 0, pattern: "/photos"))
        #expect(matcher.match(method: "GET", path: "/photos") == nil)
    }

    /// Which condition a `HEAD` request gets, per document: (document, HEAD path, expected rule/condition/
    /// authorized method). An explicit `HEAD`, in the rule or in another rule with the same pattern (whatever
    /// the order), wins over the derived one and is no duplicate; a rule without `GET` derives nothing, so its
    /// `?` condition (or nothing) covers `HEAD`; a rule with `GET` and `?` gives `HEAD` to the `GET` condition.
    @Test(
        arguments: [
            (
                [("/a", [["GET"]])], "/a",
                RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/a", authorizedMethod: "GET")
            ),
            ([("/a", [["GET"]]), ("/a", [["HEAD"]])], "/a", RuleMatch(ruleIndex: 1, conditionIndex: 0, pattern: "/a")),
            ([("/a", [["HEAD"]]), ("/a", [["GET"]])], "/a", RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/a")),
            ([("/a", [["GET"], ["HEAD"]])], "/a", RuleMatch(ruleIndex: 0, conditionIndex: 1, pattern: "/a")),
            ([("/a", [["POST"], ["?"]])], "/a", RuleMatch(ruleIndex: 0, conditionIndex: 1, pattern: "/a")),
            (
                [("/a", [["?"], ["GET"]])], "/a",
                RuleMatch(ruleIndex: 0, conditionIndex: 1, pattern: "/a", authorizedMethod: "GET")
            ),
            ([("/a", [["POST", "PUT"]])], "/a", nil),
            (
                [("/a/??", [["GET", "DELETE"]]), ("/a/b", [["?"]])], "/a/b",
                RuleMatch(ruleIndex: 0, conditionIndex: 0, pattern: "/a/??", authorizedMethod: "GET")
            ),
        ] as [([(String, [[String]])], String, RuleMatch?)])
    func headIsAuthorizedAsGet(rules: [(String, [[String]])], path: String, expected: RuleMatch?) throws {
        let document = ProtectionDocument(
            rules: rules.map { rule in
                ResourceRule(path: rule.0, conditions: rule.1.map { RuleCondition(httpMethods: $0) })
            })
        #expect(try PathMatcher(document: document).match(method: "HEAD", path: path) == expected)
    }

    /// A case-folding matcher compares literals and regexes ASCII case-insensitively but methods exactly, and
    /// where two rules fold onto one route it keeps the protected one, whichever comes first.
    @Test func foldingMatcher() throws {
        let document = ProtectionDocument(rules: [
            ResourceRule(path: "/Admin", conditions: [RuleCondition(httpMethods: ["GET"], isPublic: true)]),
            ResourceRule(path: "/admin", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["a"])]),
            ResourceRule(path: "/docs/{[a-z]+}", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["r"])]),
            ResourceRule(path: "/Caf%C3%A9", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["r"])]),
        ])
        let folded = try PathMatcher(document: document, foldingCase: true)
        #expect(folded.lookup(method: "GET", path: "/ADMIN", droppingTrailingSlash: false)?.match.ruleIndex == 1)
        #expect(folded.lookup(method: "GET", path: "/ADMIN", droppingTrailingSlash: false)?.isPublic == false)
        #expect(folded.match(method: "GET", path: "/DOCS/ABC")?.ruleIndex == 2)
        #expect(folded.match(method: "GET", path: "/cAF%c3%A9")?.ruleIndex == 3)
        #expect(folded.match(method: "get", path: "/admin") == nil)
        #expect(
            folded.lookup(method: "HEAD", path: "/admin/", droppingTrailingSlash: true)?.match.authorizedMethod == "GET"
        )
        let reversed = try PathMatcher(
            document: ProtectionDocument(rules: [document.rules[1], document.rules[0]]), foldingCase: true)
        #expect(reversed.match(method: "GET", path: "/aDmIn")?.ruleIndex == 0)
        // The exact matcher keeps both rules apart, and a dropped slash needs a slash to drop.
        let exact = try PathMatcher(document: document)
        #expect(exact.match(method: "GET", path: "/ADMIN") == nil)
        #expect(exact.lookup(method: "GET", path: "/admin/", droppingTrailingSlash: true)?.match.ruleIndex == 1)
        #expect(exact.lookup(method: "GET", path: "/admin", droppingTrailingSlash: true) == nil)
        #expect(exact.lookup(method: "GET", path: "/", droppingTrailingSlash: true) == nil)
    }

    /// A trailing `/` yields a final empty segment: `?` matches it, a bare literal rule does not.
    @Test func trailingSlashIsAnEmptySegment() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/a"), ("GET", "/b/?")]))
        #expect(matcher.match(method: "GET", path: "/a/") == nil)
        #expect(matcher.matchWithCaptures(method: "GET", path: "/b/")?.1 == [""])
        #expect(matcher.match(method: "GET", path: "/b") == nil)
    }

    /// Request segments that look like internal keys (`#`, `##`, `?`, `??`) are plain text.
    @Test func requestSegmentsNeverCollideWithInternalKeys() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/a/#"), ("GET", "/b/?/c")]))
        #expect(matcher.match(method: "GET", path: "/a/#")?.pattern == "/a/#")
        #expect(matcher.match(method: "GET", path: "/a/##") == nil)
        #expect(matcher.match(method: "GET", path: "/a/?") == nil)
        #expect(matcher.match(method: "GET", path: "/b/??/c")?.pattern == "/b/?/c")
    }

    /// Regex groups are the captures; a group that did not participate captures `""`.
    @Test func regexGroupsAreCaptured() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/files/{([a-z]+)-(\\d+)(x)?}/?")]))
        let result = matcher.matchWithCaptures(method: "GET", path: "/files/abc-42/tail")
        #expect(result?.1 == ["abc", "42", "", "tail"])
    }

    /// Regex children are tried in registration order, and a failing one falls through to the next.
    @Test func regexRegistrationOrderAndBacktracking() throws {
        let matcher = try PathMatcher(
            document: makeDocument([("GET", "/r/{[0-9]+}/one"), ("GET", "/r/{[0-9a-f]+}"), ("GET", "/r/{1.*}/two")]))
        #expect(matcher.match(method: "GET", path: "/r/123")?.ruleIndex == 1)
        #expect(matcher.match(method: "GET", path: "/r/123/one")?.ruleIndex == 0)
        #expect(matcher.match(method: "GET", path: "/r/123/two")?.ruleIndex == 2)
    }

    /// Conditions map to their own index; `?` method in a second condition covers the remaining methods.
    @Test func conditionIndexFollowsMethod() throws {
        let document = ProtectionDocument(rules: [
            ResourceRule(
                path: "/photos/??",
                conditions: [RuleCondition(httpMethods: ["GET", "HEAD"]), RuleCondition(httpMethods: ["?"])])
        ])
        let matcher = try PathMatcher(document: document)
        #expect(matcher.match(method: "HEAD", path: "/photos/1")?.conditionIndex == 0)
        #expect(matcher.match(method: "DELETE", path: "/photos/1")?.conditionIndex == 1)
    }

    /// One matcher is shared by concurrent tasks (regex children included) and answers identically.
    @Test func sharedAcrossConcurrentTasks() async throws {
        let matcher = try PathMatcher(document: makeDocument(acceptanceTreePatterns.map { ("GET", $0) }))
        let paths = ["/path/abc/image.jpg", "/users/1/photos/2", "/path/a/b/images/x", "/folder/file"]
        let expected = paths.map { matcher.matchWithCaptures(method: "GET", path: $0).map { [$0.0.pattern] + $0.1 } }
        let allAgree = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { iteration in
                        let index = iteration % paths.count
                        let result = matcher.matchWithCaptures(method: "GET", path: paths[index])
                        return result.map { [$0.0.pattern] + $0.1 } == expected[index]
                    }
                }
            }
            return await group.allSatisfy { $0 }
        }
        #expect(allAgree)
        #expect(expected[0] == ["/path/{abc|xyz}/image.jpg", "abc"])
    }

    /// Paths that do not start with `/` never match.
    @Test(arguments: ["", "photos", "*"])
    func relativePathNeverMatches(path: String) throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/??")]))
        #expect(matcher.match(method: "GET", path: path) == nil)
    }
}
