import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// oxd access-token gate and site commands (SPEC Part B §4 "General", §4.1, §4.2, §4.8, §4.9).
@Suite struct OXDCommandTests {
    /// A protected command without `Authorization` is 403 `blank_access_token`.
    @Test func missingBearerIsBlankAccessToken() throws {
        let h = try DevHarness()
        let response = h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]))
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "blank_access_token")
    }

    /// An unknown bearer token is 403 `invalid_access_token`.
    @Test func unknownBearerIsInvalidAccessToken() throws {
        let h = try DevHarness()
        let response = h.oxd(
            "introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]), token: "nope")
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "invalid_access_token")
    }

    /// An expired oxd token is 403 `inactive_access_token` (clock moved past `expires_in`).
    @Test func expiredBearerIsInactiveAccessToken() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        h.clock.advance(3600)
        let response = h.oxd(
            "introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]), token: token)
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "inactive_access_token")
    }

    /// A token obtained without scope `oxd` is 403 `access_token_insufficient_scope`.
    @Test func tokenWithoutOxdScopeIsInsufficient() throws {
        let h = try DevHarness()
        let issued = h.oxd(
            "get-client-token",
            .object([
                "client_id": .string("demo-client"), "client_secret": .string("demo-secret"),
                "op_host": .string(DevHarness.issuer), "scope": .array([.string("openid")]),
            ]))
        let token = try #require(DevHarness.json(issued)["access_token"]?.stringValue)
        let response = h.oxd(
            "introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]), token: token)
        #expect(response.status == 403)
        #expect(DevHarness.error(response) == "access_token_insufficient_scope")
    }

    /// Another client's token is refused for this RP, unless `AuthorizationOxdId` names that client's site.
    @Test func foreignClientTokenIsInvalidUnlessAuthorizationOxdId() throws {
        let h = try DevHarness()
        let token = try h.clientToken(clientId: "other-client", secret: "other-secret")
        let body = JSONText.render(.object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]))
        let refused = h.send("POST", "/introspect-rpt", headers: [("Authorization", "Bearer " + token)], body: body)
        #expect(refused.status == 403)
        #expect(DevHarness.error(refused) == "invalid_access_token")
        let accepted = h.send(
            "POST", "/introspect-rpt",
            headers: [("Authorization", "Bearer " + token), ("AuthorizationOxdId", "other-oxd-id")], body: body)
        #expect(accepted.status == 200)
    }

    /// Missing `oxd_id` is 400 `bad_request`; an unknown one 400 `invalid_oxd_id`.
    @Test(arguments: [(JSONValue.null, "bad_request"), (JSONValue.string("ghost"), "invalid_oxd_id")])
    func oxdIdIsRequiredAndMustExist(oxdId: JSONValue, code: String) throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        var body: [String: JSONValue] = ["rpt": .string("x")]
        if oxdId != .null { body["oxd_id"] = oxdId }
        let response = h.oxd("introspect-rpt", .object(body), token: token)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
    }

    /// A body that is not a JSON object is 400 `bad_request`.
    @Test(arguments: ["{not json", "[1,2]", "", "{\"a\":1,}"])
    func malformedJSONIsBadRequest(body: String) throws {
        let h = try DevHarness()
        let response = h.send("POST", "/get-client-token", body: body)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "bad_request")
    }

    /// oxd commands only answer POST.
    @Test func oxdCommandsArePostOnly() throws {
        let h = try DevHarness()
        let response = h.send("GET", "/get-client-token")
        #expect(response.status == 405)
        #expect(DevHarness.header(response, "Allow") == "POST")
    }

    /// get-client-token: wrong secret or unknown client → 500 `internal_error` (oxd: no token received).
    @Test(arguments: [("demo-client", "wrong"), ("ghost", "demo-secret")])
    func getClientTokenRejectsBadCredentials(clientId: String, secret: String) throws {
        let h = try DevHarness()
        let response = h.oxd(
            "get-client-token",
            .object([
                "client_id": .string(clientId), "client_secret": .string(secret), "op_host": .string(DevHarness.issuer),
            ]))
        #expect(response.status == 500)
        #expect(DevHarness.error(response) == "internal_error")
    }

    /// get-client-token without `op_host` / `op_configuration_endpoint` is 400.
    @Test func getClientTokenNeedsOPHost() throws {
        let h = try DevHarness()
        let response = h.oxd(
            "get-client-token", .object(["client_id": .string("demo-client"), "client_secret": .string("demo-secret")]))
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "invalid_op_host_and_configuration_endpoint")
    }

    /// get-client-token answers `{access_token, expires_in, refresh_token, scope[]}` and adds `openid`.
    @Test func getClientTokenShape() throws {
        let h = try DevHarness()
        let response = h.oxd(
            "get-client-token",
            .object([
                "client_id": .string("demo-client"), "client_secret": .string("demo-secret"),
                "op_configuration_endpoint": .string(DevHarness.issuer + "/.well-known/openid-configuration"),
                "scope": .array([.string("oxd")]),
            ]))
        let body = DevHarness.json(response)
        #expect(body["expires_in"] == .int(3600))
        #expect(body["scope"] == .array([.string("oxd"), .string("openid")]))
        #expect(body["refresh_token"]?.stringValue != nil)
    }

    /// The refresh token gives a new working token once; a blank one is 400 `bad_request`, a used one 500.
    @Test func refreshTokenRotates() throws {
        let h = try DevHarness()
        let issued = h.oxd(
            "get-client-token",
            .object([
                "client_id": .string("demo-client"), "client_secret": .string("demo-secret"),
                "op_host": .string(DevHarness.issuer), "scope": .array([.string("oxd")]),
            ]))
        let token = try #require(DevHarness.json(issued)["access_token"]?.stringValue)
        let refresh = try #require(DevHarness.json(issued)["refresh_token"]?.stringValue)
        let body: JSONValue = .object(["oxd_id": .string("demo-oxd-id"), "refresh_token": .string(refresh)])
        let refreshed = h.oxd("get-access-token-by-refresh-token", body, token: token)
        #expect(refreshed.status == 200)
        let newToken = try #require(DevHarness.json(refreshed)["access_token"]?.stringValue)
        #expect(newToken != token)
        #expect(h.oxd("get-access-token-by-refresh-token", body, token: newToken).status == 500)
        let blank = h.oxd(
            "get-access-token-by-refresh-token",
            .object(["oxd_id": .string("demo-oxd-id"), "refresh_token": .string("")]), token: newToken)
        #expect(DevHarness.error(blank) == "bad_request")
    }

    /// register-site creates a working client; update-site registers a claims redirect URI; get-rp shows both.
    @Test func registerUpdateAndGetSite() throws {
        let h = try DevHarness()
        let registered = DevHarness.json(
            h.oxd(
                "register-site",
                .object([
                    "op_host": .string(DevHarness.issuer), "redirect_uris": .array([.string("https://rp.example/")]),
                    "scope": .array([.string("openid"), .string("uma_protection")]),
                ])))
        let oxdId = try #require(registered["oxd_id"]?.stringValue)
        let clientId = try #require(registered["client_id"]?.stringValue)
        let secret = try #require(registered["client_secret"]?.stringValue)
        #expect(try h.clientToken(clientId: clientId, secret: secret).isEmpty == false)
        let updated = h.oxd(
            "update-site",
            .object(["oxd_id": .string(oxdId), "claims_redirect_uri": .array([.string("https://rp.example/cb")])]))
        #expect(DevHarness.json(updated) == .object(["oxd_id": .string(oxdId)]))
        let node = DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string(oxdId)])))["node"]
        #expect(node?["claims_redirect_uri"] == .array([.string("https://rp.example/cb")]))
        #expect(node?["client_id"] == .string(clientId))
        #expect(DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string("ghost")]))) == .object(["node": .null]))
    }

    /// register-site validation: half credentials, bad redirect URIs, non-array scope, no op_host.
    @Test(arguments: [
        (#"{"op_host":"http://as","client_id":"x"}"#, "invalid_client_secret"),
        (#"{"op_host":"http://as","client_secret":"x"}"#, "invalid_client_id"),
        (#"{"op_host":"http://as","redirect_uris":["javascript:alert(1)"]}"#, "invalid_redirect_uri"),
        (#"{"op_host":"http://as","claims_redirect_uri":["https://a b/"]}"#, "invalid_claims_redirect_uri"),
        (#"{"op_host":"http://as","scope":"openid"}"#, "invalid_scope"),
        (#"{"redirect_uris":["https://rp/"]}"#, "invalid_op_host_and_configuration_endpoint"),
    ])
    func registerSiteValidates(body: String, code: String) throws {
        let h = try DevHarness()
        let response = h.send("POST", "/register-site", body: body)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
    }

    /// get-jwks needs an op_host and returns the RS256 key with n, e, kid and x5c.
    @Test func getJWKSReturnsTheKey() throws {
        let h = try DevHarness()
        #expect(DevHarness.error(h.oxd("get-jwks", .object([:]))) == "invalid_op_host_and_configuration_endpoint")
        let key = DevHarness.json(h.oxd("get-jwks", .object(["op_host": .string(DevHarness.issuer)])))["keys"]?
            .arrayValue?.first
        #expect(key?["kty"] == .string("RSA"))
        #expect(key?["alg"] == .string("RS256"))
        #expect(key?["n"]?.stringValue?.isEmpty == false)
        #expect(key?["e"] == .string("AQAB"))
        #expect(key?["x5c"]?.arrayValue?.count == 1)
        #expect(key?["kid"] == DevHarness.json(h.send("GET", "/jwks"))["keys"]?.arrayValue?.first?["kid"])
    }
}
