import Testing

@testable import PEPCore

@Suite struct PathMatcherCompileTests {
    /// An invalid `{regex}` is a typed error naming the rule index, the pattern and the regex, not a trap.
    @Test func invalidRegexIsATypedError() {
        let document = makeDocument([("GET", "/ok"), ("GET", "/a/{[z-a}/b")])
        #expect(throws: PathMatcherError.invalidRegex(ruleIndex: 1, pattern: "/a/{[z-a}/b", regex: "[z-a")) {
            try PathMatcher(document: document)
        }
        #expect(
            PathMatcherError.invalidRegex(ruleIndex: 1, pattern: "/a/{[}", regex: "[").detail
                == "matcher.invalid_regex")
    }

    /// Patterns with a second `??` are rejected: at most one per pattern bounds backtracking.
    @Test func secondGlobstarIsRejected() {
        #expect(throws: PathMatcherError.multipleGlobstars(ruleIndex: 0, pattern: "/a/??/b/??")) {
            try PathMatcher(document: makeDocument([("GET", "/a/??/b/??")]))
        }
    }

    /// Patterns deeper than `maxPatternSegments` are rejected (they would bound the matcher's stack use).
    @Test func overlongPatternIsRejected() throws {
        let limit = PathMatcher.maxPatternSegments
        let longest = String(repeating: "/a", count: limit)
        #expect(try PathMatcher(document: makeDocument([("GET", longest)])).match(method: "GET", path: longest) != nil)
        #expect(throws: PathMatcherError.patternTooLong(ruleIndex: 0, pattern: longest + "/a")) {
            try PathMatcher(document: makeDocument([("GET", longest + "/a")]))
        }
    }

    /// Segments merely containing `??` or braces are literals, not wildcards or regexes.
    @Test func nearWildcardSegmentsAreLiterals() throws {
        let matcher = try PathMatcher(document: makeDocument([("GET", "/a/???/x??/{/{b"), ("GET", "/??")]))
        #expect(matcher.match(method: "GET", path: "/a/???/x??/{/{b")?.ruleIndex == 0)
        #expect(matcher.match(method: "GET", path: "/a/zzz/x??/{/{b")?.ruleIndex == 1)
    }

    /// Paths must start with `/`.
    @Test(arguments: ["", "a/b", "??"])
    func relativePatternIsRejected(pattern: String) {
        #expect(throws: PathMatcherError.patternNotAbsolute(ruleIndex: 0, pattern: pattern)) {
            try PathMatcher(document: makeDocument([("GET", pattern)]))
        }
    }

    /// Methods `??`, `{regex}`, empty or containing `/` are rejected at load (SPEC Part B §3.2 rule 8, spec fix).
    @Test(arguments: ["", "??", "{GET|POST}", "GE/T"])
    func invalidMethodIsRejected(method: String) {
        #expect(throws: PathMatcherError.invalidMethod(ruleIndex: 0, conditionIndex: 0, method: method)) {
            try PathMatcher(document: makeDocument([(method, "/a")]))
        }
    }

    /// The same method and pattern registered twice is a clash naming both rules.
    @Test func duplicateRouteIsRejected() {
        let document = ProtectionDocument(rules: [
            ResourceRule(path: "/a/?", conditions: [RuleCondition(httpMethods: ["GET"])]),
            ResourceRule(
                path: "/b",
                conditions: [RuleCondition(httpMethods: ["GET"]), RuleCondition(httpMethods: ["POST", "GET"])]),
        ])
        let expected = PathMatcherError.duplicateRoute(
            ruleIndex: 1, conditionIndex: 1, method: "GET", pattern: "/b", existingRuleIndex: 1)
        #expect(throws: expected) { try PathMatcher(document: document) }
        #expect(expected.detail == "matcher.duplicate_route")
        #expect(expected.description.contains("rule 1"))
        let twoRules = makeDocument([("GET", "/x/{a}"), ("GET", "/x/{a}")])
        #expect(
            throws: PathMatcherError.duplicateRoute(
                ruleIndex: 1, conditionIndex: 0, method: "GET", pattern: "/x/{a}", existingRuleIndex: 0)
        ) { try PathMatcher(document: twoRules) }
    }

    /// `GET` and `?` for the same pattern are distinct registrations: the literal method wins for `GET`.
    @Test func literalMethodAndWildcardMethodCoexist() throws {
        let document = ProtectionDocument(rules: [
            ResourceRule(
                path: "/a", conditions: [RuleCondition(httpMethods: ["?"]), RuleCondition(httpMethods: ["GET"])])
        ])
        let matcher = try PathMatcher(document: document)
        #expect(matcher.match(method: "GET", path: "/a")?.conditionIndex == 1)
        #expect(matcher.match(method: "PUT", path: "/a")?.conditionIndex == 0)
    }

    /// A 200-segment path against hundreds of `?`/`??`/regex rules finishes quickly, matching or not
    /// (the bound documented on `PathMatcher`).
    @Test func pathologicalInputIsBounded() throws {
        var patterns: [String] = []
        let kinds = ["a", "{a+}", "?"]
        for first in kinds {
            for second in kinds {
                for third in kinds {
                    for fourth in kinds {
                        patterns.append("/\(first)/\(second)/\(third)/\(fourth)/??/a/?/z")
                        patterns.append("/\(first)/\(second)/\(third)/\(fourth)/?/??/y")
                    }
                }
            }
        }
        for depth in 0..<40 {
            let tail = String(repeating: "a/", count: 20) + "x"
            patterns.append("/" + String(repeating: "?/", count: depth) + "??/" + tail)
        }
        let matcher = try PathMatcher(document: makeDocument(patterns.map { ("GET", $0) }))
        let segments = Array(repeating: "a", count: 200)
        let noMatch = "/" + segments.joined(separator: "/")
        let deepMatch = "/" + segments.dropLast().joined(separator: "/") + "/z"
        let clock = ContinuousClock()
        let start = clock.now
        #expect(matcher.match(method: "GET", path: noMatch) == nil)
        #expect(matcher.match(method: "GET", path: deepMatch)?.pattern == "/a/a/a/a/??/a/?/z")
        #expect(matcher.match(method: "GET", path: noMatch + "/y")?.pattern == "/a/a/a/a/?/??/y")
        let tail = "/" + Array(repeating: "a", count: 20).joined(separator: "/") + "/x"
        // `?` beats `??` at every level, so the rule with the longest `?` prefix wins.
        let longestPrefix = "/" + String(repeating: "?/", count: 39) + "??/" + String(repeating: "a/", count: 20) + "x"
        #expect(matcher.match(method: "GET", path: noMatch + tail)?.pattern == longestPrefix)
        #expect(clock.now - start < .seconds(5))
    }
}
