import Foundation
import Testing

extension EndToEnd {
    /// SPEC A8, Part B §2.8: the oxd access token ("PAT") is cached, and re-fetched once when oxd refuses it.
    @Suite struct ProtectionToken {
        /// oxd answers 403 (a refused access token) once: uma-pep gets a new token and retries; the client sees
        /// no error.
        @Test func refusedTokenIsRefetchedOnce() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault(
                    "/introspect-rpt", .body, status: 403,
                    body: #"{"error":"invalid_access_token","error_description":"Invalid access token."}"#)
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 200)
                #expect(
                    try env.devAS.calls() == [
                        "/introspect-rpt", "/get-client-token", "/introspect-rpt", "/uma-rs-check-access",
                    ])
            }
        }

        /// The token expired on the AS (its clock moved past the 1 h lifetime): oxd answers 403
        /// `inactive_access_token`, uma-pep fetches a new token and the request succeeds.
        @Test func expiredTokenIsReplaced() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let (status, _, _) = try HTTP.postJSON(port: env.devAS.port, "/_dev/clock", ["advance_seconds": 4000])
                #expect(status == 200)
                // The AS's clock now runs 4000 s ahead of uma-pep's: the RPT's own nbf (its issue time there) would
                // lie beyond cache.clock_skew and make it inactive, so it carries uma-pep's time instead.
                let token = try env.devAS.mintToken(
                    [Fixture.view], claims: ["nbf": Int(Date().timeIntervalSince1970)])
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 200)
                let calls = try env.devAS.callStatuses()
                #expect(
                    calls.map(\.endpoint) == [
                        "/introspect-rpt", "/get-client-token", "/introspect-rpt", "/uma-rs-check-access",
                    ])
                #expect(calls.first?.status == 403)
            }
        }

        /// oxd refuses the token twice in a row: one re-fetch only, then 502 (no loop).
        @Test func secondRefusalGives502() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault(
                    "/introspect-rpt", .body, count: 5, status: 403, body: #"{"error":"invalid_access_token"}"#)
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 502)
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/get-client-token", "/introspect-rpt"])
            }
        }
    }
}
