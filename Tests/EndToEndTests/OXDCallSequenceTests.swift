import Foundation
import Testing

extension EndToEnd {
    /// Issue 4 "Done when": the exact oxd calls uma-pep makes, in order and count (SPEC Part B §2.2, §2.4, A7).
    /// The PAT (`/get-client-token`) and `/uma-rs-protect` happen at start, before the call log is reset.
    @Suite struct OXDCallSequence {
        /// No token on a protected path: one `/uma-rs-check-access`, 401 with oxd's challenge passed verbatim.
        @Test func firstRequestWithoutTokenMakesOneCheckAccess() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let response = try env.send("GET", "/photos/1")
                #expect(response.status == 401)
                #expect(response.bodyText == Body.unauthorized)
                let challenge = try #require(response.header("WWW-Authenticate"))
                #expect(Challenge.matches(challenge, asURI: env.devAS.url))
                #expect(try env.devAS.calls() == ["/uma-rs-check-access"])
                // Tickets are never cached: the next token-less request registers a new one.
                let again = try env.send("GET", "/photos/1")
                #expect(again.header("WWW-Authenticate").flatMap(Challenge.ticket) != Challenge.ticket(challenge))
                #expect(try env.devAS.calls() == ["/uma-rs-check-access", "/uma-rs-check-access"])
            }
        }

        /// A fresh RPT: `/introspect-rpt` then `/uma-rs-check-access`, then forwarded (200 from the upstream).
        @Test func firstRequestWithFreshRPTIntrospectsThenChecksAccess() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 200)
                #expect(EchoedRequest(response)?.path == "/_echo/photos/1")
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
            }
        }

        /// The same RPT again on the same path: both caches hit, no oxd call at all.
        @Test func sameRPTAgainMakesNoCalls() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                try env.devAS.resetCalls()
                for _ in 0..<3 {
                    #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                }
                #expect(try env.devAS.calls() == [])
            }
        }

        /// The same RPT on another path under the same rule (`/photos/??`): the decision is per rule, no call.
        @Test func sameRPTOnAnotherPathOfTheSameRuleMakesNoCalls() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                try env.devAS.resetCalls()
                let response = try env.send("GET", "/photos/2/comments?page=3", token: token)
                #expect(response.status == 200)
                let echoed = try #require(EchoedRequest(response))
                #expect(echoed.path == "/_echo/photos/2/comments")
                #expect(echoed.query == "page=3")
                #expect(try env.devAS.calls() == [])
            }
        }

        /// An active RPT without the permission: introspection and check-access, 403 without a ticket; the
        /// denial is not cached (the next request asks oxd again) but the introspection is.
        @Test func rptWithoutPermissionGets403() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.admin])
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 403)
                #expect(response.bodyText == Body.notAuthorized)
                #expect(response.header("WWW-Authenticate") == nil)
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
                try env.devAS.resetCalls()
                #expect(try env.send("GET", "/photos/1", token: token).status == 403)
                #expect(try env.devAS.calls() == ["/uma-rs-check-access"])
            }
        }

        /// An inactive RPT on a protected path counts as no token: 401 + ticket after introspection; the inactive
        /// result is cached (`negative_ttl`), so a repeat only registers a new ticket.
        @Test func inactiveRPTGetsTicket() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = "not-a-live-rpt-\(UUID().uuidString)"
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 401)
                #expect(response.bodyText == Body.unauthorized)
                #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
                try env.devAS.resetCalls()
                #expect(try env.send("GET", "/photos/1", token: token).status == 401)
                #expect(try env.devAS.calls() == ["/uma-rs-check-access"])
            }
        }

        /// An expired RPT (its `exp` passed on the AS clock) is inactive: 401 + ticket, never forwarded.
        @Test func expiredRPTGetsTicket() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view], lifetime: 60)
                let (status, _, _) = try HTTP.postJSON(port: env.devAS.port, "/_dev/clock", ["advance_seconds": 120])
                #expect(status == 200)
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 401)
                #expect(response.header("WWW-Authenticate") != nil)
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
            }
        }
    }
}
