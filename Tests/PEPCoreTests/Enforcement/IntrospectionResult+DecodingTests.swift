import Testing

@testable import PEPCore

@Suite struct IntrospectionResultDecodingTests {
    static let gluu = #"""
        {"active":true,"exp":1535709072,"iat":1535705472,"nbf":null,"client_id":"@!1736","sub":"s","aud":"x",
         "permissions":[{"resource_id":"112210f47de98100","resource_scopes":["view"],"exp":1535709072}]}
        """#

    /// A Gluu/oxd answer decodes with typed members and keeps the raw object.
    @Test func decodesGluuAnswer() throws {
        let result = try IntrospectionResult.decode(status: 200, body: Array(Self.gluu.utf8)).get()
        #expect(result.active)
        #expect(result.exp == 1_535_709_072)
        #expect(result.iat == 1_535_705_472)
        #expect(result.nbf == nil)
        #expect(result.clientId == "@!1736")
        #expect(result.permissions == [.init(resourceId: "112210f47de98100", scopes: ["view"], exp: 1_535_709_072)])
        #expect(result.raw["aud"] == .string("x"))
        #expect(result.hasRequiredMembers)
    }

    /// Keycloak permission items (`rsid`, `scopes`) are normalized (Part B §5.9).
    @Test func normalizesKeycloakPermissions() throws {
        let body =
            #"{"active":true,"exp":10,"iat":1,"client_id":"c","#
            + #""permissions":[{"rsid":"r1","rsname":"n","scopes":["a"]}]}"#
        let result = try IntrospectionResult.decode(status: 200, body: Array(body.utf8)).get()
        #expect(result.permissions == [.init(resourceId: "r1", scopes: ["a"], exp: nil)])
    }

    /// `{"active":false}` is an inactive result.
    @Test func decodesInactive() throws {
        let result = try IntrospectionResult.decode(status: 200, body: Array(#"{"active":false}"#.utf8)).get()
        #expect(!result.active)
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        let label: String
        let status: Int
        let body: String
        let error: AuthorizationServerError
        var testDescription: String { self.label }
    }

    static let failures: [Failure] = [
        Failure(label: "status 500", status: 500, body: #"{"error":"internal_error"}"#, error: .unexpectedStatus(500)),
        Failure(label: "status 403", status: 403, body: "{}", error: .unexpectedStatus(403)),
        Failure(label: "non-JSON body", status: 200, body: "not json", error: .malformedBody),
        Failure(label: "truncated body", status: 200, body: #"{"active":true,"exp":15"#, error: .malformedBody),
        Failure(label: "empty body", status: 200, body: "", error: .malformedBody),
        Failure(label: "array body", status: 200, body: "[true]", error: .malformedBody),
        Failure(label: "active as string", status: 200, body: #"{"active":"true"}"#, error: .invalidMember("active")),
        Failure(label: "active as number", status: 200, body: #"{"active":1}"#, error: .invalidMember("active")),
        Failure(label: "active missing", status: 200, body: #"{"exp":10}"#, error: .invalidMember("active")),
        Failure(
            label: "exp as string",
            status: 200,
            body: #"{"active":true,"exp":"10"}"#,
            error: .invalidMember("exp")
        ),
        Failure(
            label: "client_id as number",
            status: 200,
            body: #"{"active":true,"client_id":5}"#,
            error: .invalidMember("client_id")
        ),
        Failure(
            label: "permissions as object",
            status: 200,
            body: #"{"active":true,"permissions":{}}"#,
            error: .invalidMember("permissions")
        ),
        Failure(
            label: "permission without resource id",
            status: 200,
            body: #"{"active":true,"permissions":[{"resource_scopes":["a"]}]}"#,
            error: .invalidMember("permissions")
        ),
        Failure(
            label: "permission scope not a string",
            status: 200,
            body: #"{"active":true,"permissions":[{"resource_id":"r","resource_scopes":[1]}]}"#,
            error: .invalidMember("permissions")
        ),
    ]

    /// Unusable answers never decode to a result (SPEC A8, SECURITY.md case 20).
    @Test(arguments: Self.failures)
    func refusesUnusableAnswer(_ failure: Failure) {
        #expect(
            IntrospectionResult.decode(status: failure.status, body: Array(failure.body.utf8))
                == .failure(failure.error)
        )
    }

    /// A4b: active results lacking iat, client_id or permissions are incomplete; `exp` is optional (RFC 7662).
    @Test(arguments: ["iat", "client_id", "permissions"])
    func detectsMissingRequiredMember(_ member: String) throws {
        var members: [String: JSONValue] = [
            "active": .bool(true), "exp": .int(10), "iat": .int(1), "client_id": .string("c"),
            "permissions": .array([]),
        ]
        members[member] = nil
        let result = try IntrospectionResult.decode(json: .object(members)).get()
        #expect(!result.hasRequiredMembers)
    }

    /// An active result without `exp` (or with `exp: null`) is complete; its lifetime is bounded elsewhere.
    @Test(arguments: [nil, JSONValue.null])
    func expIsOptional(_ exp: JSONValue?) throws {
        var members: [String: JSONValue] = [
            "active": .bool(true), "iat": .int(1), "client_id": .string("c"), "permissions": .array([]),
        ]
        members["exp"] = exp
        let result = try IntrospectionResult.decode(json: .object(members)).get()
        #expect(result.exp == nil)
        #expect(result.hasRequiredMembers)
    }

    /// `introspect_data` is the raw object plus `consumer` when mapped; typed members when there is no raw object.
    @Test func buildsIntrospectData() {
        let result = F0.active(permissions: [("photos", ["view"])])
        let data = result.introspectData(consumer: Consumer(id: "k1", customId: "c1"))
        #expect(data["consumer"] == .object(["id": .string("k1"), "custom_id": .string("c1")]))
        #expect(data["client_id"] == .string("c1"))
        let typed = IntrospectionResult(
            active: true,
            exp: 5,
            clientId: "c",
            permissions: [.init(resourceId: "r", scopes: ["s"])]
        )
        #expect(
            typed.introspectData(consumer: nil)
                == .object([
                    "active": .bool(true), "exp": .int(5), "client_id": .string("c"),
                    "permissions": .array([
                        .object(["resource_id": .string("r"), "resource_scopes": .array([.string("s")])])
                    ]),
                ])
        )
    }

    /// `withoutRaw` drops the received object but not what enforcement reads: the typed members, and
    /// `hasRequiredMembers` as for the original (also when the original lacked the `permissions` array).
    @Test func withoutRawKeepsWhatEnforcementReads() throws {
        let full = try IntrospectionResult.decode(status: 200, body: Array(Self.gluu.utf8)).get()
        let compact = full.withoutRaw
        #expect(compact.raw == .null)
        #expect(compact.hasRequiredMembers)
        #expect(compact.withoutRaw == compact)
        #expect(compact.permissions == full.permissions)
        #expect((compact.active, compact.exp, compact.iat, compact.clientId) == (true, full.exp, full.iat, "@!1736"))
        // introspect_data falls back to the typed members (no `aud`: it was only in the received object).
        #expect(compact.introspectData(consumer: nil)["client_id"] == .string("@!1736"))
        #expect(compact.introspectData(consumer: nil)["aud"] == nil)
        let incomplete = try IntrospectionResult.decode(
            json: .object(["active": .bool(true), "iat": .int(1), "client_id": .string("c")])
        ).get()
        #expect(!incomplete.withoutRaw.hasRequiredMembers)
        #expect(!incomplete.withoutRaw.withoutRaw.hasRequiredMembers)
    }
}
