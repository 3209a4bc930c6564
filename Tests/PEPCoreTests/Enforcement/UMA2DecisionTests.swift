import Testing

@testable import PEPCore

@Suite struct UMA2DecisionTests {
    static let now: Int64 = 1_000

    static func rpt(_ permissions: [IntrospectionResult.Permission], active: Bool = true) -> IntrospectionResult {
        IntrospectionResult(active: active, exp: now + 300, iat: now, clientId: "c", permissions: permissions)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let introspection: IntrospectionResult
        let required: [String]
        let granted: Bool
        var testDescription: String { self.label }
    }

    static let cases: [Case] = [
        Case(
            label: "permission with a required scope",
            introspection: rpt([.init(resourceId: "r", scopes: ["view"])]),
            required: ["view"],
            granted: true
        ),
        Case(
            label: "any-of semantics",
            introspection: rpt([.init(resourceId: "r", scopes: ["b"])]),
            required: ["a", "b"],
            granted: true
        ),
        Case(
            label: "other resource",
            introspection: rpt([.init(resourceId: "s", scopes: ["view"])]),
            required: ["view"],
            granted: false
        ),
        Case(
            label: "scope missing",
            introspection: rpt([.init(resourceId: "r", scopes: ["add"])]),
            required: ["view"],
            granted: false
        ),
        Case(
            label: "scope-less condition: any permission on the resource",
            introspection: rpt([.init(resourceId: "r", scopes: ["view"])]),
            required: [],
            granted: true
        ),
        Case(
            label: "scope-less condition: a permission without scopes",
            introspection: rpt([.init(resourceId: "r", scopes: [])]),
            required: [],
            granted: true
        ),
        Case(
            label: "scope-less condition: other resource",
            introspection: rpt([.init(resourceId: "s", scopes: ["view"])]),
            required: [],
            granted: false
        ),
        Case(
            label: "scope-less condition: expired permission",
            introspection: rpt([.init(resourceId: "r", scopes: [], exp: now)]),
            required: [],
            granted: false
        ),
        Case(
            label: "scope-less condition: inactive",
            introspection: rpt([.init(resourceId: "r", scopes: [])], active: false),
            required: [],
            granted: false
        ),
        Case(
            label: "a permission without scopes does not satisfy required scopes",
            introspection: rpt([.init(resourceId: "r", scopes: [])]),
            required: ["view"],
            granted: false
        ),
        Case(
            label: "inactive",
            introspection: rpt([.init(resourceId: "r", scopes: ["view"])], active: false),
            required: ["view"],
            granted: false
        ),
        Case(
            label: "expired permission",
            introspection: rpt([.init(resourceId: "r", scopes: ["view"], exp: now)]),
            required: ["view"],
            granted: false
        ),
        Case(
            label: "second permission matches",
            introspection: rpt([.init(resourceId: "s", scopes: ["view"]), .init(resourceId: "r", scopes: ["view"])]),
            required: ["view"],
            granted: true
        ),
    ]

    /// Granted iff active and a live permission on the resource holds one of the required scopes (Part B §4.4), or
    /// any live permission on the resource when the condition requires no scopes.
    @Test(arguments: Self.cases)
    func decides(_ testCase: Case) {
        #expect(
            UMA2Decision.isGranted(
                testCase.introspection,
                resourceId: "r",
                requiredScopes: testCase.required,
                now: Self.now
            )
                == testCase.granted
        )
    }
}
