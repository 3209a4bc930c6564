import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// `/uma-rs-protect`, `/uma-rs-check-access` and `/introspect-rpt` (SPEC Part B §4.3–4.5).
@Suite struct OXDResourceServerTests {
    private func protect(_ h: DevHarness, token: String, _ json: String, overwrite: Bool? = nil) throws
        -> HTTPResponseMessage
    {
        var body: [String: JSONValue] = [
            "oxd_id": .string("demo-oxd-id"), "resources": try #require(JSONText.parse(json)),
        ]
        if let overwrite { body["overwrite"] = .bool(overwrite) }
        return h.oxd("uma-rs-protect", .object(body), token: token)
    }

    private func resourceIds(_ h: DevHarness) -> [String] {
        let node = DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string("demo-oxd-id")])))["node"]
        return (node?["uma_protected_resources"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    /// Invalid protection documents get oxd's codes.
    @Test(arguments: [
        ("[]", "invalid_uma_request"),
        (#"[{"conditions":[{"httpMethods":["GET"]}]}]"#, "invalid_uma_request"),
        (#"[{"path":"/a","conditions":[]}]"#, "invalid_uma_request"),
        (#"[{"path":"/a","conditions":[{"httpMethods":["GET"]},{"httpMethods":["get"]}]}]"#, "http_method_not_unique"),
        (#"[{"path":"/a","conditions":[{"httpMethods":["GET","GET"]}]}]"#, "http_method_not_unique"),
        (
            #"[{"path":"/a","conditions":[{"httpMethods":["GET"],"#
                + #""scope_expression":{"rule":{"!":[{"var":0}]},"data":["x"]}}]}]"#,
            "invalid_scope_expression"
        ),
        (
            #"[{"path":"/a","conditions":[{"httpMethods":["GET"],"#
                + #""scope_expression":{"rule":{"var":3},"data":["x"]}}]}]"#,
            "invalid_scope_expression"
        ),
        (
            #"[{"path":"/a","conditions":[{"httpMethods":["GET"],"scope_expression":{"rule":{"var":0},"data":[]}}]}]"#,
            "invalid_scope_expression"
        ),
    ])
    func protectRejectsInvalidDocuments(document: String, code: String) throws {
        let h = try DevHarness()
        let response = try self.protect(h, token: try h.clientToken(), document)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
        #expect(self.resourceIds(h).isEmpty)
    }

    /// One AS resource per condition; a second protect is `uma_protection_exists` unless `overwrite`, which
    /// replaces the old resources.
    @Test func protectOncePerRPUnlessOverwrite() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let first = self.resourceIds(h)
        #expect(first.count == 3)
        let again = try self.protect(h, token: token, #"[{"path":"/x","conditions":[{"httpMethods":["GET"]}]}]"#)
        #expect(again.status == 400)
        #expect(DevHarness.error(again) == "uma_protection_exists")
        let replaced = try self.protect(
            h, token: token, #"[{"path":"/x","conditions":[{"httpMethods":["GET"],"scopes":["s"]}]}]"#, overwrite: true)
        #expect(replaced.status == 200)
        #expect(DevHarness.json(replaced) == .object(["oxd_id": .string("demo-oxd-id")]))
        let second = self.resourceIds(h)
        #expect(second.count == 1)
        #expect(!first.contains(second[0]))
        let stale = h.checkAccess(token: token, rpt: "", path: "/posts/??")
        #expect(DevHarness.error(stale) == "invalid_request")
    }

    /// check-access on a path/method nobody protected: 400 `invalid_request` "Resource is not protected…".
    @Test func checkAccessOnUnprotectedPathIsInvalidRequest() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let response = h.checkAccess(token: token, rpt: "", path: "/todos/??")
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == "invalid_request")
        let description = DevHarness.json(response)["error_description"]?.stringValue ?? ""
        #expect(description.hasPrefix("Resource is not protected with path: /todos/?? and httpMethod: GET"))
        #expect(
            DevHarness.error(h.checkAccess(token: token, rpt: "", path: "/photos/??", method: "DELETE"))
                == "invalid_request")
    }

    /// Path and method comparisons are case-insensitive (oxd `RsCheckAccessOperation`).
    @Test func checkAccessMatchesCaseInsensitively() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: "", path: "/POSTS/??", method: "get"))["access"]
                == .string("denied"))
    }

    /// Missing `path`, `http_method` or `rpt` get oxd's parameter codes.
    @Test(arguments: [
        (["rpt": JSONValue.string(""), "http_method": .string("GET")], "invalid_path_parameter"),
        (["rpt": JSONValue.string(""), "path": .string("/a")], "invalid_http_method"),
        (["path": JSONValue.string("/a"), "http_method": .string("GET")], "bad_request"),
    ])
    func checkAccessRequiresParameters(fields: [String: JSONValue], code: String) throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        var body = fields
        body["oxd_id"] = .string("demo-oxd-id")
        let response = h.oxd("uma-rs-check-access", .object(body), token: token)
        #expect(response.status == 400)
        #expect(DevHarness.error(response) == code)
    }

    /// Tickets carry `ticketScopes`, else the expression's `data`, else `scopes` (§4.4 step 5).
    @Test func ticketScopesFollowTheDecisionRule() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        _ = try self.protect(
            h, token: token,
            #"""
            [{"path":"/t","conditions":[{"httpMethods":["GET"],"scopes":["view"],"ticketScopes":["add"]},
                                        {"httpMethods":["POST"],"scopes":["add"]},
                                        {"httpMethods":["PUT"],
                                         "scope_expression":{"rule":{"or":[{"var":0},{"var":1}]},"data":["a","b"]}}]}]
            """#)
        for (method, expected) in [("GET", ["add"]), ("POST", ["add"]), ("PUT", ["a", "b"])] {
            let ticket = try h.ticket(token: token, path: "/t", method: method)
            let rpt = DevHarness.json(h.getRPT(token: token, ticket: ticket))["access_token"]?.stringValue ?? ""
            let introspection = DevHarness.json(
                h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
            let scopes = DevRequest.strings(introspection["permissions"]?.arrayValue?.first?["resource_scopes"])
            #expect(scopes == expected, "method \(method)")
        }
    }

    /// Granted needs a permission on the same resource with any required scope; expression `data` is the
    /// required set when the condition has no `scopes`; the `scopes` override replaces it.
    @Test func grantNeedsAMatchingScopeOnTheResource() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        _ = try self.protect(
            h, token: token,
            #"""
            [{"path":"/e","conditions":[{"httpMethods":["GET"],
                                         "scope_expression":{"rule":{"and":[{"var":0},{"var":1}]},"data":["x","y"]}}]},
             {"path":"/s","conditions":[{"httpMethods":["GET"],"scopes":["view"]}]}]
            """#)
        let minted = h.send(
            "POST", "/_dev/tokens",
            body:
                #"{"permissions":[{"resource_path":"/e","http_method":"GET","scopes":["y"]},"#
                + #"{"resource_path":"/s","scopes":["other"]}]}"#
        )
        let rpt = try #require(DevHarness.json(minted)["access_token"]?.stringValue)
        #expect(DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/e"))["access"] == .string("granted"))
        #expect(DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/s"))["access"] == .string("denied"))
        let overridden = h.oxd(
            "uma-rs-check-access",
            .object([
                "oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt), "path": .string("/s"),
                "http_method": .string("GET"), "scopes": .array([.string("other")]),
            ]), token: token)
        #expect(DevHarness.json(overridden)["access"] == .string("granted"))
    }

    /// A condition with only `httpMethods` (Gluu Gateway's test documents) registers a resource without scopes;
    /// check-access without an RPT denies with a ticket for it, the ticket redeems to an RPT whose permission names
    /// the resource and no scopes, and check-access grants that RPT — and any other RPT with a permission on the
    /// resource — but not one without.
    @Test func scopeLessConditionIsProtectedAndGrantable() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        let protected = try self.protect(
            h, token: token, #"[{"path":"/status/??","conditions":[{"httpMethods":["GET","POST"]}]}]"#)
        #expect(protected.status == 200)
        #expect(self.resourceIds(h).count == 1)
        let denied = DevHarness.json(h.checkAccess(token: token, rpt: "", path: "/status/??", method: "POST"))
        #expect(denied["access"] == .string("denied"))
        let ticket = try #require(denied["ticket"]?.stringValue)
        let rpt = try #require(DevHarness.json(h.getRPT(token: token, ticket: ticket))["access_token"]?.stringValue)
        let introspection = DevHarness.json(
            h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
        let permission = introspection["permissions"]?.arrayValue?.first
        #expect(permission?["resource_id"] == .string(self.resourceIds(h)[0]))
        #expect(permission?["resource_scopes"] == .array([]))
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/status/??"))["access"] == .string("granted"))
        let withScopes = try #require(
            DevHarness.json(
                h.send(
                    "POST", "/_dev/tokens",
                    body: #"{"permissions":[{"resource_path":"/status/??","scopes":["whatever"]}]}"#))["access_token"]?
                .stringValue)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: withScopes, path: "/status/??"))["access"]
                == .string("granted"))
        let other = try #require(
            DevHarness.json(
                h.send("POST", "/_dev/tokens", body: #"{"permissions":[{"resource_id":"elsewhere","scopes":[]}]}"#))[
                    "access_token"]?.stringValue)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: other, path: "/status/??"))["access"] == .string("denied"))
    }

    /// An expired RPT is denied by check-access and inactive at introspect-rpt.
    @Test func expiredRPTIsDeniedAndInactive() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let minted = h.send(
            "POST", "/_dev/tokens", body: #"{"permissions":[{"resource_path":"/posts/??"}],"lifetime":60}"#)
        let rpt = try #require(DevHarness.json(minted)["access_token"]?.stringValue)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??"))["access"] == .string("granted"))
        h.clock.advance(60)
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: rpt, path: "/posts/??"))["access"] == .string("denied"))
        let introspection = DevHarness.json(
            h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
        #expect(introspection["active"] == .bool(false))
        #expect(introspection["permissions"] == .null)
    }

    /// introspect-rpt of a live RPT has the fields the auth plugin requires (`exp`, `iat`, `client_id`,
    /// `permissions`).
    @Test func introspectRPTShape() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        let rpt = try #require(
            DevHarness.json(
                h.send("POST", "/_dev/tokens", body: #"{"permissions":[{"resource_id":"r1","scopes":["v"]}]}"#))[
                    "access_token"]?.stringValue)
        let body = DevHarness.json(
            h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
        #expect(body["active"] == .bool(true))
        #expect(body["exp"] == .int(h.clock.now + 3600))
        #expect(body["iat"] == .int(h.clock.now))
        #expect(body["client_id"] == .string("demo-client"))
        #expect(
            body["permissions"]
                == .array([
                    .object([
                        "resource_id": .string("r1"), "resource_scopes": .array([.string("v")]),
                        "exp": .int(h.clock.now + 3600),
                    ])
                ]))
        #expect(
            DevHarness.error(h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id")]), token: token))
                == "bad_request")
    }
}
