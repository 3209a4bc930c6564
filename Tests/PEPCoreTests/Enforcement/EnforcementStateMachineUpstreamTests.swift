import Testing

@testable import PEPCore

/// What reaches the upstream: `pass_credentials`, phantom token bytes, custom and anonymous headers
/// (Part B §2.6, SPEC A11, A13).
@Suite struct EnforcementStateMachineUpstreamTests {
    static let phantomPayload =
        "eyJhY3RpdmUiOnRydWUsImNsaWVudF9pZCI6ImMxIiwiZXhwIjoxNzAwMDAwMzAwLCJpYXQiOjE2OTk5OTk5NDAsInBlcm1pc3Np"
        + "b25zIjpbeyJleHAiOjE3MDAwMDAzMDAsInJlc291cmNlX2lkIjoicGhvdG9zIiwicmVzb3VyY2Vfc2NvcGVzIjpbInZpZXciXX1d"
        + "fQ"
    static let phantomPayloadWithConsumer =
        "eyJhY3RpdmUiOnRydWUsImNsaWVudF9pZCI6ImMxIiwiY29uc3VtZXIiOnsiY3VzdG9tX2lkIjoiYzEiLCJpZCI6ImsxIn0sImV4"
        + "cCI6MTcwMDAwMDMwMCwiaWF0IjoxNjk5OTk5OTQwLCJwZXJtaXNzaW9ucyI6W3siZXhwIjoxNzAwMDAwMzAwLCJyZXNvdXJjZV9p"
        + "ZCI6InBob3RvcyIsInJlc291cmNlX3Njb3BlcyI6WyJ2aWV3Il19XX0"

    /// The phantom token is `Bearer <b64 header>.<b64 payload>.` of the introspection data, standard base64
    /// without padding, and replaces the client's Authorization.
    @Test func phantomTokenBytes() {
        var driver = EnforcementDriver(policy: F0.policy(passCredentials: .phantomToken))
        driver.introspection["RPT_P"] = .success(F0.active(permissions: [("photos", ["view"])]))
        let mutations = driver.run("GET", F0.photosGet, token: .token("RPT_P")).mutations
        #expect(mutations?.removeAuthorization == true)
        #expect(
            mutations?.setHeaders == [
                HeaderField(
                    name: "Authorization",
                    value: "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.\(Self.phantomPayload)."
                )
            ]
        )
    }

    /// With consumer mapping the phantom payload includes the `consumer` object.
    @Test func phantomTokenIncludesConsumer() {
        let policy = F0.policy(
            passCredentials: .phantomToken,
            consumerMapping: true,
            consumers: [Consumer(id: "k1", customId: "c1")]
        )
        var driver = EnforcementDriver(policy: policy)
        driver.introspection["RPT_P"] = .success(F0.active(permissions: [("photos", ["view"])]))
        let value = driver.run("GET", F0.photosGet, token: .token("RPT_P")).mutations?.setHeaders.last?.value
        #expect(value == "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.\(Self.phantomPayloadWithConsumer).")
    }

    struct Credentials: CustomTestStringConvertible, Sendable {
        let label: String
        let pass: PassCredentials
        let rule: MatchedRule?
        let token: BearerToken
        let removesAuthorization: Bool
        let setsAuthorization: Bool
        var testDescription: String { self.label }
    }

    static let credentials: [Credentials] = [
        Credentials(
            label: "pass, granted",
            pass: .pass,
            rule: F0.photosGet,
            token: .token("RPT_VIEW"),
            removesAuthorization: false,
            setsAuthorization: false
        ),
        Credentials(
            label: "hide, granted",
            pass: .hide,
            rule: F0.photosGet,
            token: .token("RPT_VIEW"),
            removesAuthorization: true,
            setsAuthorization: false
        ),
        Credentials(
            label: "phantom, granted",
            pass: .phantomToken,
            rule: F0.photosGet,
            token: .token("RPT_VIEW"),
            removesAuthorization: true,
            setsAuthorization: true
        ),
        Credentials(
            label: "hide, anonymous (inactive token)",
            pass: .hide,
            rule: nil,
            token: .token("BAD"),
            removesAuthorization: true,
            setsAuthorization: false
        ),
        Credentials(
            label: "phantom, anonymous (inactive token): no data, token passes",
            pass: .phantomToken,
            rule: nil,
            token: .token("BAD"),
            removesAuthorization: false,
            setsAuthorization: false
        ),
        Credentials(
            label: "pass, public rule with token",
            pass: .pass,
            rule: F0.publicAny,
            token: .token("RPT_VIEW"),
            removesAuthorization: false,
            setsAuthorization: false
        ),
        Credentials(
            label: "hide, public rule with token",
            pass: .hide,
            rule: F0.publicAny,
            token: .token("RPT_VIEW"),
            removesAuthorization: true,
            setsAuthorization: false
        ),
        Credentials(
            label: "phantom, public rule: not introspected, acts as pass",
            pass: .phantomToken,
            rule: F0.publicAny,
            token: .token("RPT_VIEW"),
            removesAuthorization: false,
            setsAuthorization: false
        ),
    ]

    /// `pass_credentials` decides what happens to the client's Authorization (Part B §2.6, SPEC A13).
    @Test(arguments: Self.credentials)
    func passCredentials(_ testCase: Credentials) {
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false, passCredentials: testCase.pass))
        let mutations = driver.run("GET", testCase.rule, token: testCase.token).mutations
        #expect(mutations?.removes(headerNamed: "Authorization") == testCase.removesAuthorization)
        #expect(mutations?.setHeaders.contains { $0.name == "Authorization" } == testCase.setsAuthorization)
    }

    /// Authenticated requests get custom headers from the token; anonymous ones get the literal-only headers plus
    /// `X-Anonymous-Consumer: true`; both strip the client's copies of every reserved name.
    @Test func customAndAnonymousHeaders() {
        let headers = [
            CustomHeader(headerName: "X-OAuth-Client-ID", expression: .introspectData(["client_id"])),
            CustomHeader(headerName: "X-Env", expression: .literal("prod")),
        ]
        var driver = EnforcementDriver(policy: F0.policy(denyByDefault: false, customHeaders: headers))
        let authenticated = driver.run("GET", F0.photosGet, token: .token("RPT_VIEW")).mutations
        #expect(
            authenticated?.setHeaders == [
                HeaderField(name: "X-OAuth-Client-ID", value: "c1"), HeaderField(name: "X-Env", value: "prod"),
            ]
        )
        let anonymous = driver.run("GET", nil, token: .none).mutations
        #expect(
            anonymous?.setHeaders == [
                HeaderField(name: "X-Env", value: "prod"), HeaderField(name: "X-Anonymous-Consumer", value: "true"),
            ]
        )
        for mutations in [authenticated, anonymous] {
            #expect(mutations?.removes(headerNamed: "x-oauth-client-id") == true)
            #expect(mutations?.removes(headerNamed: "x-anonymous-consumer") == true)
            #expect(mutations?.removes(headerNamed: "X-Consumer-ID") == true)
            #expect(mutations?.removes(headerNamed: "Accept") == false)
        }
    }
}
