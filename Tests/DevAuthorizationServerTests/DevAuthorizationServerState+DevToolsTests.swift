import PEPCore
import PEPProxy
import Synchronization
import Testing

@testable import DevAuthorizationServer

/// The `/_dev/*` hooks: call log, direct RPT minting, fault injection, clock.
@Suite struct DevToolsTests {
    /// Every non-dev call is logged with endpoint, method, time and status; counts add up; DELETE resets.
    @Test func callLogCountsPerEndpoint() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        for _ in 0..<3 {
            _ = h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("x")]), token: token)
        }
        _ = h.send("GET", "/resource_set/abc")
        let log = DevHarness.json(h.send("GET", "/_dev/calls"))
        #expect(log["counts"]?["/introspect-rpt"] == .int(3))
        #expect(log["counts"]?["/get-client-token"] == .int(1))
        #expect(log["counts"]?["/resource_set/{id}"] == .int(1))
        #expect(log["counts"]?["/_dev/calls"] == nil)
        let first = log["calls"]?.arrayValue?.first
        #expect(
            first
                == .object([
                    "endpoint": .string("/get-client-token"), "method": .string("POST"), "at": .int(h.clock.now),
                    "status": .int(200),
                ]))
        #expect(h.send("DELETE", "/_dev/calls").status == 204)
        #expect(
            DevHarness.json(h.send("GET", "/_dev/calls")) == .object(["calls": .array([]), "counts": .object([:])]))
    }

    /// `/_dev/tokens` mints by rule path or resource id, with a fixed value, extra claims and a lifetime.
    @Test func mintTokensByPathOrId() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let minted = h.send(
            "POST", "/_dev/tokens",
            body:
                #"""
                {"token": "RPT_VIEW", "client_id": "c1\r\nX-Evil: 1", "lifetime": 300, "claims": {"sub": "a\u0000b"},
                 "permissions": [{"resource_path": "/posts/??", "http_method": "POST"},
                                 {"resource_id": "free", "scopes": ["v"]}]}
                """#
        )
        #expect(minted.status == 200)
        #expect(DevHarness.json(minted)["access_token"] == .string("RPT_VIEW"))
        #expect(DevHarness.json(minted)["expires_in"] == .int(300))
        #expect(
            DevHarness.json(h.checkAccess(token: token, rpt: "RPT_VIEW", path: "/posts/??", method: "POST"))["access"]
                == .string("granted"))
        let introspection = DevHarness.json(
            h.oxd(
                "introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string("RPT_VIEW")]), token: token)
        )
        #expect(introspection["client_id"] == .string("c1\r\nX-Evil: 1"))
        #expect(introspection["sub"] == .string("a\u{0}b"))
        #expect(introspection["exp"] == .int(h.clock.now + 300))
        #expect(introspection["permissions"]?.arrayValue?.first?["resource_scopes"] == .array([.string("write")]))
        let missing = h.send("POST", "/_dev/tokens", body: #"{"permissions":[{"resource_path":"/nowhere"}]}"#)
        #expect(missing.status == 400)
        #expect(DevHarness.error(missing) == "invalid_resource")
    }

    /// `/_dev/tokens` mints RPTs with odd times for the PEP's token edge cases: `claims` replace `exp`/`nbf`
    /// while the token stays live (so it introspects `active: true` with an `exp` in the past), and
    /// `omit_claims` leaves members out (an active token without `exp`); `active` cannot be omitted.
    @Test func mintTokensWithOddTimes() throws {
        let h = try DevHarness()
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let past = h.clock.now - 3600
        let minted = h.send(
            "POST", "/_dev/tokens",
            body: #"{"token": "EXPIRED", "claims": {"exp": \#(past)}, "permissions": [{"resource_path": "/posts/??"}]}"#
        )
        #expect(minted.status == 200)
        #expect(
            h.send("POST", "/_dev/tokens", body: #"{"token": "NO_EXP", "omit_claims": ["exp", "nbf"]}"#).status == 200)
        func introspect(_ rpt: String) -> JSONValue {
            DevHarness.json(
                h.oxd("introspect-rpt", .object(["oxd_id": .string("demo-oxd-id"), "rpt": .string(rpt)]), token: token))
        }
        #expect(introspect("EXPIRED")["active"] == .bool(true))
        #expect(introspect("EXPIRED")["exp"] == .int(past))
        #expect(introspect("NO_EXP")["active"] == .bool(true))
        #expect(introspect("NO_EXP").objectValue?["exp"] == nil)
        #expect(introspect("NO_EXP").objectValue?["nbf"] == nil)
        #expect(introspect("NO_EXP")["iat"] == .int(h.clock.now))
        let bad = h.send("POST", "/_dev/tokens", body: #"{"omit_claims": ["active"]}"#)
        #expect(bad.status == 400)
        #expect(DevHarness.error(bad) == "invalid_request")
        #expect(h.send("POST", "/_dev/tokens", body: #"{"omit_claims": "exp"}"#).status == 400)
    }

    /// `/_dev/tokens` finds `/resource_set` resources named `"<path> <METHODS>"` too.
    @Test func mintTokensForDirectModeResources() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        let created = h.send(
            "POST", "/resource_set", headers: [("Authorization", "Bearer " + pat)],
            body: #"{"name":"/photos/?? GET,HEAD","resource_scopes":["view"]}"#)
        let id = DevHarness.json(created)["_id"]
        let minted = h.send(
            "POST", "/_dev/tokens", body: #"{"permissions":[{"resource_path":"/photos/??","http_method":"HEAD"}]}"#)
        let rpt = try #require(DevHarness.json(minted)["access_token"]?.stringValue)
        let introspection = DevHarness.json(
            h.form("/introspect", [("token", rpt)], headers: [("Authorization", "Bearer " + pat)]))
        #expect(introspection["permissions"]?.arrayValue?.first?["resource_id"] == id)
        #expect(
            h.send(
                "POST", "/_dev/tokens", body: #"{"permissions":[{"resource_path":"/photos/??","http_method":"PUT"}]}"#
            ).status == 400)
    }

    /// When two resources match a path, `/_dev/tokens` takes one that can grant the requested scopes, then the
    /// newest: the tutorial's two services protect `/posts/??` with different scopes.
    @Test func mintTokensPreferAResourceWithTheRequestedScopes() throws {
        let h = try DevHarness()
        let pat = try h.pat()
        var ids: [JSONValue?] = []
        for scopes in [#"["read"]"#, #"["claims_read"]"#] {
            let created = h.send(
                "POST", "/resource_set", headers: [("Authorization", "Bearer " + pat)],
                body: #"{"name":"/items/?? GET","resource_scopes":"# + scopes + "}")
            ids.append(DevHarness.json(created)["_id"])
        }
        func minted(_ permission: String) throws -> JSONValue? {
            let response = h.send("POST", "/_dev/tokens", body: #"{"permissions":["# + permission + "]}")
            let rpt = try #require(DevHarness.json(response)["access_token"]?.stringValue)
            let introspection = DevHarness.json(
                h.form("/introspect", [("token", rpt)], headers: [("Authorization", "Bearer " + pat)]))
            return introspection["permissions"]?.arrayValue?.first?["resource_id"]
        }
        #expect(try minted(#"{"resource_path":"/items/??","scopes":["read"]}"#) == ids[0])
        #expect(try minted(#"{"resource_path":"/items/??","scopes":["claims_read"]}"#) == ids[1])
        #expect(try minted(#"{"resource_path":"/items/??"}"#) == ids[1])
        #expect(try minted(#"{"resource_path":"/items/??","scopes":["nobody"]}"#) == ids[1])
    }

    /// Two oxd registrations protect one path with the same scopes (the tutorial's `browser` and
    /// `claim-gathering` services): `/_dev/tokens` takes the resource of the token's own client, else the newest.
    @Test func mintTokensPreferTheTokenClientsResource() throws {
        let h = try DevHarness()
        let document =
            #"[{"path": "/shared/??", "conditions": [{"httpMethods": ["GET"], "scopes": ["claims_read"]}]}]"#
        var resourceByClient: [String: JSONValue] = [:]
        for (client, secret, oxdId) in [
            ("demo-client", "demo-secret", "demo-oxd-id"), ("other-client", "other-secret", "other-oxd-id"),
        ] {
            let token = try h.clientToken(clientId: client, secret: secret)
            let protected = h.oxd(
                "uma-rs-protect",
                .object(["oxd_id": .string(oxdId), "resources": try #require(JSONText.parse(document))]), token: token)
            try #require(protected.status == 200)
            let node = DevHarness.json(h.oxd("get-rp", .object(["oxd_id": .string(oxdId)])))["node"]
            resourceByClient[client] = node?["uma_protected_resources"]?.arrayValue?.last?["id"]
        }
        let pat = try h.pat()
        func minted(_ client: String?) throws -> JSONValue? {
            let clientMember = client.map { #""client_id": ""# + $0 + #"", "# } ?? ""
            let response = h.send(
                "POST", "/_dev/tokens",
                body: "{" + clientMember
                    + #""permissions": [{"resource_path": "/shared/??", "scopes": ["claims_read"]}]}"#)
            let rpt = try #require(DevHarness.json(response)["access_token"]?.stringValue)
            let introspection = DevHarness.json(
                h.form("/introspect", [("token", rpt)], headers: [("Authorization", "Bearer " + pat)]))
            return introspection["permissions"]?.arrayValue?.first?["resource_id"]
        }
        #expect(resourceByClient.count == 2 && resourceByClient["demo-client"] != resourceByClient["other-client"])
        #expect(try minted("demo-client") == resourceByClient["demo-client"])
        #expect(try minted("other-client") == resourceByClient["other-client"])
        #expect(try minted("a-third-client") == resourceByClient["other-client"])
    }

    /// A `status` fault answers the next N calls with that status, then the endpoint recovers.
    @Test func statusFaultForNextCalls() throws {
        let h = try DevHarness()
        let armed = h.send("POST", "/_dev/fault", body: #"{"endpoint":"/jwks","count":2,"kind":"status","status":503}"#)
        #expect(armed.status == 200)
        #expect(h.send("GET", "/jwks").status == 503)
        #expect(DevHarness.error(h.send("GET", "/jwks")) == "injected_fault")
        #expect(h.send("GET", "/jwks").status == 200)
        #expect(DevHarness.json(h.send("GET", "/_dev/calls"))["counts"]?["/jwks"] == .int(3))
    }

    /// A `garbage` fault answers 200 with a body that is not JSON.
    @Test func garbageFaultIsNotJSON() throws {
        let h = try DevHarness()
        _ = h.send("POST", "/_dev/fault", body: #"{"endpoint":"/.well-known/uma2-configuration","kind":"garbage"}"#)
        let response = h.send("GET", "/.well-known/uma2-configuration")
        #expect(response.status == 200)
        #expect(JSONText.parse(response.body) == nil)
    }

    /// A `body` fault answers its status with exactly its body text, then the endpoint answers normally.
    @Test func bodyFaultAnswersExactBody() throws {
        let h = try DevHarness()
        let armed = h.send(
            "POST", "/_dev/fault",
            body: #"{"endpoint":"/.well-known/uma2-configuration","kind":"body","status":200,"#
                + #""body":"{\"active\":\"true\"}"}"#)
        #expect(armed.status == 200)
        let faulted = h.send("GET", "/.well-known/uma2-configuration")
        #expect(faulted.status == 200)
        #expect(String(decoding: faulted.body, as: UTF8.self) == #"{"active":"true"}"#)
        #expect(JSONText.parse(h.send("GET", "/.well-known/uma2-configuration").body)?["issuer"] != nil)
        let missing = h.send("POST", "/_dev/fault", body: #"{"endpoint":"/x","kind":"body"}"#)
        #expect(missing.status == 400)
    }

    /// A `hang` fault waits `delay_ms` (through the injected sleeper) and then answers normally; DELETE clears.
    @Test func hangFaultSleepsThenAnswers() throws {
        let slept = Mutex<[Int]>([])
        let h = try DevHarness(sleep: { milliseconds in slept.withLock { $0.append(milliseconds) } })
        _ = h.send("POST", "/_dev/fault", body: #"{"endpoint":"/jwks","kind":"hang","delay_ms":2500,"count":5}"#)
        #expect(h.send("GET", "/jwks").status == 200)
        #expect(slept.withLock { $0 } == [2500])
        #expect(h.send("DELETE", "/_dev/fault").status == 204)
        _ = h.send("GET", "/jwks")
        #expect(slept.withLock { $0 } == [2500])
    }

    /// Malformed fault requests are 400.
    @Test(arguments: [
        #"{"kind":"status"}"#, #"{"endpoint":"/x","kind":"explode"}"#, #"{"endpoint":"/x","status":42}"#, "nope",
    ])
    func faultValidation(body: String) throws {
        let h = try DevHarness()
        #expect(h.send("POST", "/_dev/fault", body: body).status == 400)
    }

    /// With `devHooksEnabled: false` every `/_dev/*` path is 404.
    @Test func hooksCanBeDisabled() throws {
        let server = try DevAuthorizationServer(
            configuration: DevAuthorizationServerConfiguration(devHooksEnabled: false), clock: { 1_700_000_000 })
        for (method, path) in [("GET", "/_dev/calls"), ("POST", "/_dev/tokens"), ("POST", "/_dev/fault")] {
            #expect(server.handle(.init(method: method, path: path, body: Array("{}".utf8))).status == 404)
        }
    }

    /// `/_dev/clock` moves the server's time: a ticket expires without waiting.
    @Test func clockAdvanceExpiresTickets() throws {
        let h = try DevHarness(ticketLifetime: 60)
        let token = try h.clientToken()
        try h.protectTutorial(token: token)
        let ticket = try h.ticket(token: token, path: "/posts/??")
        let moved = DevHarness.json(h.send("POST", "/_dev/clock", body: #"{"advance_seconds":61}"#))
        #expect(moved["offset"] == .int(61))
        #expect(moved["now"] == .int(h.clock.now + 61))
        #expect(DevHarness.error(h.getRPT(token: token, ticket: ticket)) == "expired_ticket")
        #expect(h.send("POST", "/_dev/clock", body: #"{"advance_seconds":-5}"#).status == 400)
    }
}
