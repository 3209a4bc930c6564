import PEPCore
import Testing

@testable import UMAClient

@Suite("IntrospectionResult+Parsing")
struct IntrospectionResultParsingTests {
    /// The oxd example of SPEC §4.5 normalizes field by field and keeps `raw`.
    @Test func normalizesOXDAnswer() throws {
        let json = try JSONCodec.parse(
            """
            {"active":true,"exp":1535709072,"iat":1535705472,"client_id":"@!1736","sub":null,"nbf":null,
             "permissions":[{"resource_id":"112210f47de98100","resource_scopes":["view"],"exp":1535709072}]}
            """)
        let result = try IntrospectionResult(introspectionResponse: json)
        #expect(result.active)
        #expect(result.exp == 1_535_709_072)
        #expect(result.iat == 1_535_705_472)
        #expect(result.nbf == nil)
        #expect(result.clientId == "@!1736")
        #expect(result.sub == nil)
        #expect(result.permissions == [.init(resourceId: "112210f47de98100", scopes: ["view"], exp: 1_535_709_072)])
        #expect(result.raw == json)
    }

    /// Keycloak's `rsid` / `scopes` spellings give the same permissions.
    @Test func normalizesKeycloakSpelling() throws {
        let json = try JSONCodec.parse(
            """
            {"active":true,"exp":10,"permissions":[{"rsid":"r1","rsname":"photos","scopes":["view","add"]},{"rsid":"r2"}]}
            """)
        let result = try IntrospectionResult(introspectionResponse: json)
        #expect(
            result.permissions == [
                .init(resourceId: "r1", scopes: ["view", "add"]), .init(resourceId: "r2", scopes: []),
            ])
    }

    /// An inactive answer is accepted whatever else it holds.
    @Test func acceptsInactiveAnswer() throws {
        let result = try IntrospectionResult(
            introspectionResponse: try JSONCodec.parse("{\"active\":false,\"exp\":\"junk\",\"permissions\":7}"))
        #expect(!result.active)
        #expect(result.permissions.isEmpty)
    }

    /// Ill-typed or missing members are errors naming the member (never a fail-open default).
    @Test(arguments: [
        ("{\"active\":\"true\"}", IntrospectionFormatError.invalidField("active")),
        ("{\"active\":1}", .invalidField("active")),
        ("{\"exp\":1}", .missingField("active")),
        ("[true]", .notAnObject),
        ("{\"active\":true,\"exp\":\"1535709072\"}", .invalidField("exp")),
        ("{\"active\":true,\"exp\":1e300}", .invalidField("exp")),
        ("{\"active\":true,\"client_id\":5}", .invalidField("client_id")),
        ("{\"active\":true,\"permissions\":{}}", .invalidField("permissions")),
        (
            "{\"active\":true,\"permissions\":[{\"resource_scopes\":[\"a\"]}]}",
            .missingField("permissions[0].resource_id")
        ),
        ("{\"active\":true,\"permissions\":[{\"resource_id\":1}]}", .invalidField("permissions[0].resource_id")),
        (
            "{\"active\":true,\"permissions\":[{\"resource_id\":\"r\",\"resource_scopes\":\"view\"}]}",
            .invalidField("permissions[0].resource_scopes")
        ),
        (
            "{\"active\":true,\"permissions\":[{\"resource_id\":\"r\",\"resource_scopes\":[1]}]}",
            .invalidField("permissions[0].resource_scopes")
        ),
    ])
    func rejectsMalformedAnswers(text: String, expected: IntrospectionFormatError) throws {
        let json = try JSONCodec.parse(text)
        #expect(throws: expected) { try IntrospectionResult(introspectionResponse: json) }
    }

    /// NumericDates may be fractional (RFC 7519 §2): whole seconds, rounded towards the safe side.
    @Test func fractionalTimesRoundTowardsTheSafeSide() throws {
        let json = try JSONCodec.parse(
            """
            {"active":true,"exp":1535709072.9,"iat":1535705472.5,"nbf":1535705470.1,
             "permissions":[{"resource_id":"r","resource_scopes":["view"],"exp":1535709000.7}]}
            """)
        let result = try IntrospectionResult(introspectionResponse: json)
        #expect(result.exp == 1_535_709_072)
        #expect(result.iat == 1_535_705_472)
        #expect(result.nbf == 1_535_705_471)
        #expect(result.permissions.first?.exp == 1_535_709_000)
    }
}
