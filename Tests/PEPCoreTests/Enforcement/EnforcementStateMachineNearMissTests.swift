import Testing

@testable import PEPCore

/// `HEAD` authorized as `GET`, and near misses enforced as their rule (issue 14), from `RuleResolver` over
/// fixture F0 through the state machine, in both modes.
@Suite struct EnforcementStateMachineNearMissTests {
    static let modes: [EnforcementMode] = [.oxd, F0.uma2]

    /// What the driver hands the machine: the resolved rule with its condition and resource id.
    static func rule(_ method: String, _ path: String, denyByDefault: Bool = true) throws -> MatchedRule? {
        let resolver = try RuleResolver(document: F0.document, nearMiss: .protect, denyByDefault: denyByDefault)
        return resolver.resolve(method: method, path: path).map { match in
            MatchedRule(
                match: match, condition: F0.document.rules[match.ruleIndex].conditions[match.conditionIndex],
                resourceId: F0.resourceIds[match.ruleIndex])
        }
    }

    /// A token-less `HEAD` on a GET-only protected rule gets a ticket; oxd is asked with `GET` (it registers
    /// resources per method), uma2 asks for the GET condition's resource and ticket scopes.
    @Test(arguments: Self.modes, [true, false])
    func headWithoutTokenGetsTicketAsGet(mode: EnforcementMode, denyByDefault: Bool) throws {
        let rule = try #require(try Self.rule("HEAD", "/photos/1", denyByDefault: denyByDefault))
        #expect(rule.match.authorizedMethod == "GET")
        var driver = EnforcementDriver(policy: F0.policy(mode: mode, denyByDefault: denyByDefault))
        let action = driver.run("HEAD", rule, token: .none)
        #expect(action.response?.denial == .ticketIssued(wwwAuthenticate: F0.challengePrefix + "\"T1\""))
        let expected: ASCall =
            mode == .oxd
            ? .checkAccess(rpt: "", pattern: "/photos/??", method: "GET")
            : .requestTicket(resourceId: "photos", scopes: ["view"])
        #expect(driver.calls == [expected])
    }

    /// With an RPT: `HEAD` is granted by the GET permission, the grant is cached under `GET` and serves the
    /// next `GET` (and the other way round); an RPT without the GET permission is refused on `HEAD` too.
    @Test(arguments: Self.modes)
    func headSharesTheGetDecision(mode: EnforcementMode) throws {
        let head = try #require(try Self.rule("HEAD", "/photos/1"))
        let get = try #require(try Self.rule("GET", "/photos/1"))
        var driver = EnforcementDriver(policy: F0.policy(mode: mode))
        #expect(driver.run("HEAD", head, token: .token("RPT_VIEW")).mutations?.reason == .granted)
        if mode == .oxd {
            #expect(driver.calls.last == .checkAccess(rpt: "RPT_VIEW", pattern: "/photos/??", method: "GET"))
            #expect(driver.grantCache.keys.map(\.method) == ["GET"])
        }
        let calls = driver.calls.count
        #expect(driver.run("GET", get, token: .token("RPT_VIEW")).clientStatus == 200)
        #expect(driver.run("HEAD", head, token: .token("RPT_VIEW")).clientStatus == 200)
        #expect(driver.calls.count == calls)
        #expect(driver.run("HEAD", head, token: .token("RPT_ADD")).response?.denial == .notAuthorized)
    }

    /// On an open service, near misses of a protected rule are enforced as that rule: no token → ticket,
    /// the right RPT → granted, another RPT → 403; the exact spelling gives the same calls.
    @Test(arguments: Self.modes)
    func nearMissIsEnforcedAsItsRule(mode: EnforcementMode) throws {
        let exact = try #require(try Self.rule("GET", "/files/a", denyByDefault: false))
        for path in ["/FILES/a", "/Files/a/"] {
            let nearMiss = try #require(try Self.rule("GET", path, denyByDefault: false))
            #expect(nearMiss.match.nearMiss != nil)
            #expect(nearMiss.match.ruleIndex == exact.match.ruleIndex)
            var driver = EnforcementDriver(policy: F0.policy(mode: mode, denyByDefault: false))
            var reference = EnforcementDriver(policy: F0.policy(mode: mode, denyByDefault: false))
            for token in [BearerToken.none, .token("RPT_VIEW"), .token("RPT_ADD")] {
                let action = driver.run("GET", nearMiss, token: token)
                #expect(action.clientStatus == reference.run("GET", exact, token: token).clientStatus)
                #expect(action.mutations?.reason != .anonymousUnprotected)
            }
            #expect(driver.calls == reference.calls)
            #expect(
                driver.calls.first
                    == (mode == .oxd
                        ? .checkAccess(rpt: "", pattern: "/files/??", method: "GET")
                        : .requestTicket(resourceId: "files", scopes: ["view"])))
        }
        // A near miss of a public rule stays unmatched: forwarded as before, anonymous.
        #expect(try Self.rule("GET", "/PUBLIC/x", denyByDefault: false) == nil)
    }
}
