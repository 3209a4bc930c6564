import Testing

@testable import PEPCore

/// `RuleResolver`: exact matches, `HEAD` authorized as `GET`, and near misses (issue 14: on a
/// `deny_by_default: false` service, `GET /reports/`, `GET /ADMIN/users` and `HEAD /admin/users` got through
/// unchecked next to the protected rules `/reports` GET and `/admin/??` GET, POST, PUT, DELETE).
@Suite struct RuleResolverTests {
    /// The attack's rules, plus public rules and the shapes near misses must respect.
    static let document = ProtectionDocument(rules: [
        ResourceRule(path: "/reports", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(
            path: "/admin/??",
            conditions: [RuleCondition(httpMethods: ["GET", "POST", "PUT", "DELETE"], scopes: ["a"])]
        ),
        ResourceRule(path: "/public/??", conditions: [RuleCondition(httpMethods: ["?"], isPublic: true)]),
        ResourceRule(path: "/admin/public/??", conditions: [RuleCondition(httpMethods: ["GET"], isPublic: true)]),
        ResourceRule(path: "/Docs/{[a-z]+}", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(
            path: "/media",
            conditions: [
                RuleCondition(httpMethods: ["GET"], scopes: ["view"]),
                RuleCondition(httpMethods: ["HEAD"], isPublic: true),
            ]),
        ResourceRule(path: "/status", conditions: [RuleCondition(httpMethods: ["GET"], isPublic: true)]),
    ])

    struct Row: CustomTestStringConvertible, Sendable {
        var method = "GET"
        var path: String
        var denyByDefault = false
        var nearMiss = NearMissMode.protect
        /// Expected rule index, or nil for unmatched.
        var rule: Int?
        var condition = 0
        var authorizedMethod: String?
        /// `NearMiss.description`, or nil for an exact match.
        var how: String?
        var testDescription: String {
            "\(self.method) \(self.path) deny_by_default \(self.denyByDefault) near_miss \(self.nearMiss.rawValue)"
        }
    }

    static let rows: [Row] = [
        // Exact matches are what they were.
        Row(path: "/reports", rule: 0),
        Row(path: "/admin/users", rule: 1),
        Row(method: "POST", path: "/admin", rule: 1),
        Row(path: "/public/x", rule: 2),
        Row(path: "/admin/public/x", rule: 3),
        Row(path: "/Docs/abc", rule: 4),
        // The three requests of the attack.
        Row(path: "/reports/", rule: 0, how: "trailing_slash"),
        Row(path: "/ADMIN/users", rule: 1, how: "case"),
        Row(method: "HEAD", path: "/admin/users", rule: 1, authorizedMethod: "GET"),
        // Folding and dropping combine, for every method a protected condition lists.
        Row(path: "/Reports/", rule: 0, how: "case+trailing_slash"),
        Row(path: "/REPORTS", rule: 0, how: "case"),
        Row(method: "DELETE", path: "/Admin/x", rule: 1, how: "case"),
        Row(method: "HEAD", path: "/ADMIN/users", rule: 1, authorizedMethod: "GET", how: "case"),
        Row(method: "HEAD", path: "/REPORTS/", rule: 0, authorizedMethod: "GET", how: "case+trailing_slash"),
        Row(path: "/docs/abc", rule: 4, how: "case"),
        Row(path: "/DOCS/ABC/", rule: 4, how: "case+trailing_slash"),
        // Not near misses: another method, another path, a second slash, the root.
        Row(method: "PATCH", path: "/ADMIN/users", rule: nil),
        Row(path: "/reportsx", rule: nil),
        Row(path: "/reports/x", rule: nil),
        Row(path: "/", rule: nil),
        // Public rules keep their exact matching, and win a folded lookup by precedence.
        Row(path: "/PUBLIC/x", rule: nil),
        Row(path: "/Status", rule: nil),
        Row(path: "/status/", rule: nil),
        Row(path: "/ADMIN/PUBLIC/x", rule: nil),
        // An explicit HEAD condition is matched as HEAD.
        Row(method: "HEAD", path: "/media", rule: 5, condition: 1),
        Row(method: "HEAD", path: "/status", rule: 6, authorizedMethod: "GET"),
        // deny_by_default: true refuses unmatched requests anyway: no near-miss lookup, HEAD still as GET.
        Row(path: "/reports/", denyByDefault: true, rule: nil),
        Row(path: "/ADMIN/users", denyByDefault: true, rule: nil),
        Row(method: "HEAD", path: "/admin/users", denyByDefault: true, rule: 1, authorizedMethod: "GET"),
        // near_miss: off restores exact matching; HEAD is still authorized as GET.
        Row(path: "/reports/", nearMiss: .off, rule: nil),
        Row(path: "/ADMIN/users", nearMiss: .off, rule: nil),
        Row(method: "HEAD", path: "/admin/users", nearMiss: .off, rule: 1, authorizedMethod: "GET"),
    ]

    @Test(arguments: Self.rows)
    func resolves(_ row: Row) throws {
        let resolver = try RuleResolver(
            document: Self.document, nearMiss: row.nearMiss, denyByDefault: row.denyByDefault)
        let match = resolver.resolve(method: row.method, path: row.path)
        guard let rule = row.rule else {
            #expect(match == nil)
            return
        }
        #expect(match?.ruleIndex == rule)
        #expect(match?.conditionIndex == row.condition)
        #expect(match?.pattern == Self.document.rules[rule].path)
        #expect(match?.authorizedMethod == row.authorizedMethod)
        #expect(match?.nearMiss?.description == row.how)
    }

    /// Near-miss lookups only run where they can change the outcome.
    @Test func protectsOnlyOpenServices() throws {
        #expect(try RuleResolver(document: Self.document, nearMiss: .protect, denyByDefault: false).protectsNearMisses)
        #expect(
            !(try RuleResolver(document: Self.document, nearMiss: .protect, denyByDefault: true).protectsNearMisses))
        #expect(!(try RuleResolver(document: Self.document, nearMiss: .off, denyByDefault: false).protectsNearMisses))
    }

    /// A document the exact matcher refuses is refused by the resolver too.
    @Test func refusesWhatTheMatcherRefuses() {
        let document = ProtectionDocument(rules: [
            ResourceRule(path: "/a/??/b/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["s"])])
        ])
        #expect(throws: PathMatcherError.self) {
            try RuleResolver(document: document, nearMiss: .protect, denyByDefault: false)
        }
    }
}
