import Foundation
import Testing

extension EndToEnd {
    /// Issue 14, item 2, through the real binary in both modes, with RPTs the dev AS mints with odd times
    /// (`/_dev/tokens` `claims` / `omit_claims`; the token stays live on the AS, so introspection says
    /// `active: true`): an `exp` in the past or an `nbf` ahead (beyond `cache.clock_skew`) is inactive → 401 +
    /// ticket, negatively cached; an active token without `exp` is granted and cached for at most
    /// `cache.ttl_without_exp`.
    @Suite struct TokenLifetime {
        static let modes = ["oxd", "uma2"]

        static func introspection(_ mode: String) -> String { mode == "oxd" ? "/introspect-rpt" : "/introspect" }

        static var now: Int { Int(Date().timeIntervalSince1970) }

        /// `exp` an hour ago and `nbf` an hour ahead: 401 + a ticket (as with no token), and the repeat is
        /// answered from the negative cache (no second introspection). `exp` 10 s ago is within the default
        /// 30 s skew: granted; with `clock_skew: 0` the same token is refused.
        @Test(arguments: Self.modes)
        func tokenOutsideItsTimesIsInactive(mode: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(mode: mode))
                let expired = try env.devAS.mintToken([Fixture.view], claims: ["exp": Self.now - 3600])
                let early = try env.devAS.mintToken(
                    [Fixture.view], claims: ["nbf": Self.now + 3600, "exp": Self.now + 7200])
                for token in [expired, early] {
                    for _ in 0..<2 {
                        let response = try env.send("GET", "/photos/1", token: token)
                        #expect(response.status == 401)
                        #expect(response.bodyText == Body.unauthorized)
                        #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                    }
                }
                #expect(try env.devAS.counts()[Self.introspection(mode)] == 2)

                let justExpired = try env.devAS.mintToken([Fixture.view], claims: ["exp": Self.now - 10])
                #expect(try env.send("GET", "/photos/1", token: justExpired).status == 200)
                let strict = try E2EEnvironment(config: Fixture.config(mode: mode, extra: "cache: {clock_skew: 0}"))
                let alsoExpired = try strict.devAS.mintToken([Fixture.view], claims: ["exp": Self.now - 10])
                #expect(try strict.send("GET", "/photos/1", token: alsoExpired).status == 401)
            }
        }

        /// An active token without `exp` (the reference answered 502) is granted and served from the cache
        /// until `ttl_without_exp` (here 1 s) has passed, then introspected again.
        @Test(arguments: Self.modes)
        func tokenWithoutExpIsCachedForTTLWithoutExp(mode: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(mode: mode, extra: "cache: {ttl_without_exp: 1s}"))
                let token = try env.devAS.mintToken([Fixture.view], omitClaims: ["exp"])
                for _ in 0..<2 {
                    let response = try env.send("GET", "/photos/1", token: token)
                    #expect(EchoedRequest(response)?.path == "/_echo/photos/1", "\(response.status)")
                }
                #expect(try env.devAS.counts()[Self.introspection(mode)] == 1)
                Thread.sleep(forTimeInterval: 2.1)
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(try env.devAS.counts()[Self.introspection(mode)] == 2)
                #expect(try env.pep.metrics().value("uma_pep_as_requests_total", ["outcome": "invalid_response"]) == 0)
            }
        }
    }
}
