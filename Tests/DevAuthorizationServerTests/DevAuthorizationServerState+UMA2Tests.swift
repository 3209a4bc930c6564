import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// Discovery, resource registration, permission and introspection endpoints (SPEC Part B §5.1, §5.3, §5.4, §5.9).
@Suite struct UMA2EndpointTests {
    private func bearer(_ token: String) -> [(name: String, value: String)] { [("Authorization", "Bearer " + token)] }

    /// Discovery lists every endpoint under the issuer and the UMA grant type.
    @Test func discoveryDocument() throws {
        let h = try DevHarness()
        let body = DevHarness.json(h.send("GET", "/.well-known/uma2-configuration"))
        #expect(body["issuer"] == .string(DevHarness.issuer))
        for (key, path) in [
            ("token_endpoint", "/token"), ("permission_endpoint", "/permission"),
            ("introspection_endpoint", "/introspect"),
            ("resource_registration_endpoint", "/resource_set"), ("claims_interaction_endpoint", "/gather_claims"),
            ("jwks_uri", "/jwks"),
        ] {
            #expect(body[key] == .string(DevHarness.issuer + path), "\(key)")
        }
        #expect(
            body["grant_types_supported"]?.arrayValue?.contains(.string(DevAuthorizationServerState.umaTicketGrant))
                == true)
    }

    /// Resource registration CRUD: 201 `_id`, list, read, update, delete 204, then 404.
    @Test func resourceSetCRUD() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        let created = h.send(
            "POST", "/resource_set", headers: self.bearer(pat), body: #"{"name":"a","resource_scopes":["v"]}"#)
        #expect(created.status == 201)
        let id = try #require(DevHarness.json(created)["_id"]?.stringValue)
        #expect(DevHarness.header(created, "Location") == DevHarness.issuer + "/resource_set/" + id)
        #expect(DevHarness.json(h.send("GET", "/resource_set", headers: self.bearer(pat))) == .array([.string(id)]))
        let read = DevHarness.json(h.send("GET", "/resource_set/" + id, headers: self.bearer(pat)))
        #expect(read["_id"] == .string(id))
        #expect(read["name"] == .string("a"))
        let updated = h.send(
            "PUT", "/resource_set/" + id, headers: self.bearer(pat), body: #"{"name":"b","resource_scopes":["v","w"]}"#)
        #expect(updated.status == 200)
        #expect(
            DevHarness.json(h.send("GET", "/resource_set/" + id, headers: self.bearer(pat)))["resource_scopes"]?
                .arrayValue?.count == 2)
        #expect(h.send("DELETE", "/resource_set/" + id, headers: self.bearer(pat)).status == 204)
        #expect(h.send("GET", "/resource_set/" + id, headers: self.bearer(pat)).status == 404)
    }

    /// Resource registration without a PAT is 401 `invalid_token`; with a token lacking `uma_protection` 403;
    /// another client's resource is 404; a bad description 400.
    @Test func resourceSetProtection() throws {
        let h = try DevHarness()
        let unauthenticated = h.send("GET", "/resource_set")
        #expect(unauthenticated.status == 401)
        #expect(DevHarness.error(unauthenticated) == "invalid_token")
        #expect(DevHarness.header(unauthenticated, "WWW-Authenticate")?.contains("invalid_token") == true)
        #expect(h.send("GET", "/resource_set", headers: self.bearer(try h.clientToken())).status == 403)
        let pat = try h.pat()
        let id = try #require(
            DevHarness.json(
                h.send("POST", "/resource_set", headers: self.bearer(pat), body: #"{"resource_scopes":["v"]}"#))["_id"]?
                .stringValue)
        let otherPAT = try #require(
            DevHarness.json(
                h.form(
                    "/token", [("grant_type", "client_credentials")],
                    headers: [("Authorization", DevHarness.basic("other-client", "other-secret"))]))["access_token"]?
                .stringValue)
        #expect(h.send("GET", "/resource_set/" + id, headers: self.bearer(otherPAT)).status == 404)
        let bad = h.send("POST", "/resource_set", headers: self.bearer(pat), body: #"{"name":"no scopes"}"#)
        #expect(DevHarness.error(bad) == "invalid_request")
        let badExpression = h.send(
            "POST", "/resource_set", headers: self.bearer(pat),
            body: #"{"resource_scopes":["v"],"scope_expression":"{\"rule\":{\"var\":5},\"data\":[\"v\"]}"}"#)
        #expect(DevHarness.error(badExpression) == "invalid_scope_expression")
    }

    /// The permission endpoint rejects unknown resources, foreign scopes and malformed bodies.
    @Test func permissionEndpointErrors() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        let id = try #require(
            DevHarness.json(
                h.send("POST", "/resource_set", headers: self.bearer(pat), body: #"{"resource_scopes":["v"]}"#))["_id"]?
                .stringValue)
        let unknown = h.send(
            "POST", "/permission", headers: self.bearer(pat), body: #"{"resource_id":"nope","resource_scopes":["v"]}"#)
        #expect(unknown.status == 400)
        #expect(DevHarness.error(unknown) == "invalid_resource_id")
        let scope = h.send(
            "POST", "/permission", headers: self.bearer(pat), body: #"{"resource_id":"\#(id)","resource_scopes":["x"]}"#
        )
        #expect(scope.status == 400)
        #expect(DevHarness.error(scope) == "invalid_scope")
        #expect(
            DevHarness.error(h.send("POST", "/permission", headers: self.bearer(pat), body: "[]")) == "invalid_request")
        #expect(
            DevHarness.error(h.send("POST", "/permission", headers: self.bearer(pat), body: "{")) == "invalid_request")
        #expect(h.send("POST", "/permission", body: #"{"resource_id":"\#(id)","resource_scopes":["v"]}"#).status == 401)
    }

    /// A resource registered with no scopes (what uma-pep registers for a condition with only `httpMethods`):
    /// the permission endpoint issues a ticket naming it with no scopes, the UMA grant redeems it, and the RPT's
    /// introspection carries a permission for the resource with an empty scope list.
    @Test func scopeLessResourceTicketAndRPT() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        let created = h.send(
            "POST", "/resource_set", headers: self.bearer(pat), body: #"{"name":"/status/?? GET","resource_scopes":[]}"#
        )
        #expect(created.status == 201)
        let id = try #require(DevHarness.json(created)["_id"]?.stringValue)
        let permission = h.send(
            "POST", "/permission", headers: self.bearer(pat), body: #"{"resource_id":"\#(id)","resource_scopes":[]}"#)
        #expect(permission.status == 201)
        let ticket = try #require(DevHarness.json(permission)["ticket"]?.stringValue)
        let basic = [("Authorization", DevHarness.basic("demo-client", "demo-secret"))]
        let granted = h.form(
            "/token", [("grant_type", DevAuthorizationServerState.umaTicketGrant), ("ticket", ticket)], headers: basic)
        #expect(granted.status == 200)
        let rpt = try #require(DevHarness.json(granted)["access_token"]?.stringValue)
        let introspection = DevHarness.json(h.form("/introspect", [("token", rpt)], headers: self.bearer(pat)))
        #expect(introspection["active"] == .bool(true))
        let permissions = introspection["permissions"]?.arrayValue ?? []
        #expect(permissions.count == 1)
        #expect(permissions.first?["resource_id"] == .string(id))
        #expect(permissions.first?["resource_scopes"] == .array([]))
    }

    /// Introspection accepts a PAT or client Basic credentials, refuses anonymous callers and reports unknown
    /// tokens as inactive.
    @Test func introspectionAuthentication() throws {
        let h = try DevHarness()
        let rpt = try #require(
            DevHarness.json(
                h.send("POST", "/_dev/tokens", body: #"{"permissions":[{"resource_id":"r","scopes":["v"]}]}"#))[
                    "access_token"]?.stringValue)
        let basic = h.form(
            "/introspect", [("token", rpt)],
            headers: [("Authorization", DevHarness.basic("demo-client", "demo-secret"))])
        #expect(DevHarness.json(basic)["active"] == .bool(true))
        #expect(h.form("/introspect", [("token", rpt)]).status == 401)
        #expect(h.form("/introspect", [("token", rpt)], headers: self.bearer("junk")).status == 401)
        let pat = try h.pat()
        #expect(
            DevHarness.json(h.form("/introspect", [("token", "unknown")], headers: self.bearer(pat)))
                == .object(["active": .bool(false)]))
        #expect(DevHarness.error(h.form("/introspect", [], headers: self.bearer(pat))) == "invalid_request")
    }
}
