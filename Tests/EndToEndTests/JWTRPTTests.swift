import Foundation
import Testing

extension EndToEnd {
    /// Local verification of JWT RPTs (Part B §2.3): with `dev-as --rpt-as-jwt` the proxy verifies the RPT with
    /// the JWK Set (oxd `/get-jwks` or `jwks_uri`) and never introspects it; forged, expired, `alg: none`, HMAC
    /// and unknown-`kid` tokens are 401 with nothing forwarded; a `kid` flood makes no JWK Set call within the
    /// refetch interval; a rotated key is fetched.
    @Suite struct JWTRPTs {
        static func environment(mode: String, jwtRPTs: String? = nil) throws -> E2EEnvironment {
            var config = Fixture.config(mode: mode)
            if let jwtRPTs {
                config = config.replacingOccurrences(
                    of: "    timeout: 3s\n", with: "    timeout: 3s\n    jwt_rpts: \(jwtRPTs)\n")
            }
            return try E2EEnvironment(config: config, devASArguments: ["--rpt-as-jwt"])
        }

        static func jwksEndpoint(_ mode: String) -> String { mode == "oxd" ? "/get-jwks" : "/jwks" }

        static func introspections(_ counts: [String: Int]) -> Int {
            (counts["/introspect-rpt"] ?? 0) + (counts["/introspect"] ?? 0)
        }

        static func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        static func segments(_ token: String) -> [String] { token.split(separator: ".").map(String.init) }

        /// A JWT RPT grants without any introspection; the key set is fetched once for many tokens.
        @Test(arguments: ["oxd", "uma2"])
        func grantsWithoutIntrospection(mode: String) async throws {
            try await offPool {
                let env = try Self.environment(mode: mode)
                let first = try env.devAS.mintToken([Fixture.view])
                #expect(Self.segments(first).count == 3)
                let response = try env.send("GET", "/photos/1", token: first)
                #expect(EchoedRequest(response) != nil, "\(response.status) \(response.bodyText)\n\(env.diagnostics())")
                for _ in 0..<3 {
                    let token = try env.devAS.mintToken([Fixture.view])
                    #expect(EchoedRequest(try env.send("GET", "/photos/1", token: token)) != nil)
                    #expect(EchoedRequest(try env.send("GET", "/photos/2", token: token)) != nil)
                }
                let unpermitted = try env.devAS.mintToken([Fixture.admin])
                let denied = try env.send("GET", "/photos/1", token: unpermitted)
                #expect(denied.status == 403)
                let counts = try env.devAS.counts()
                #expect(Self.introspections(counts) == 0, "\(counts)")
                #expect(counts[Self.jwksEndpoint(mode)] == 1, "\(counts)")
            }
        }

        /// Forgeries are 401 (a ticket for the protected path, like any unusable token) and reach no upstream;
        /// no token is introspected, and a flood of random `kid`s makes no JWK Set call within the interval.
        @Test(arguments: ["oxd", "uma2"])
        func refusalsAndKidFlood(mode: String) async throws {
            try await offPool {
                let env = try Self.environment(mode: mode)
                let valid = try env.devAS.mintToken([Fixture.view])
                #expect(EchoedRequest(try env.send("GET", "/photos/1", token: valid)) != nil)
                let parts = Self.segments(valid)
                let now = Int(Date().timeIntervalSince1970)
                let expired = try env.devAS.mintToken([Fixture.view], claims: ["exp": now - 300])
                let evilPayload = Self.base64URL(#"{"client_id":"evil","exp":\#(now + 600),"iat":\#(now)}"#)
                let header = String(
                    decoding: Data(
                        base64Encoded: parts[0] + String(repeating: "=", count: (4 - parts[0].count % 4) % 4))
                        ?? Data(), as: UTF8.self)
                let kid = try #require(
                    (try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])?["kid"] as? String)
                var forgeries: [(String, String)] = [
                    ("tampered payload", parts[0] + "." + evilPayload + "." + parts[2]),
                    ("expired", expired),
                    ("alg none", Self.base64URL(#"{"alg":"none","kid":"\#(kid)"}"#) + "." + parts[1] + "."),
                    ("HS256", Self.base64URL(#"{"alg":"HS256","kid":"\#(kid)"}"#) + "." + parts[1] + "." + parts[2]),
                    ("no kid", Self.base64URL(#"{"alg":"RS256"}"#) + "." + parts[1] + "." + parts[2]),
                    ("bad segment", parts[0] + "." + parts[1] + "~." + parts[2]),
                ]
                for index in 0..<20 {
                    let header = Self.base64URL(#"{"alg":"RS256","kid":"random-\#(index)"}"#)
                    forgeries.append(("kid flood \(index)", header + "." + parts[1] + "." + parts[2]))
                }
                try env.devAS.resetCalls()
                for (label, token) in forgeries {
                    let response = try env.send("GET", "/photos/1", token: token)
                    #expect(response.status == 401, "\(label): \(response.status) \(response.bodyText)")
                    #expect(EchoedRequest(response) == nil, "\(label) reached the upstream")
                    #expect(response.header("WWW-Authenticate") != nil, "\(label): \(response.bodyText)")
                }
                let counts = try env.devAS.counts()
                #expect(Self.introspections(counts) == 0, "\(counts)")
                #expect(counts[Self.jwksEndpoint(mode)] == nil, "\(counts)")
                // The valid token still works (cached as an introspection result).
                #expect(EchoedRequest(try env.send("GET", "/photos/1", token: valid)) != nil)
            }
        }

        /// A failed JWK Set fetch is 502; after a key rotation, a token with the new `kid` fetches the set again
        /// (once the refetch interval has passed) and is granted.
        @Test func fetchFailureAndKeyRotation() async throws {
            try await offPool {
                let env = try Self.environment(mode: "uma2", jwtRPTs: "{kid_refetch_interval: 1s}")
                let first = try env.devAS.mintToken([Fixture.view])
                try env.devAS.fault("/jwks", .status, status: 500)
                let failed = try env.send("GET", "/photos/1", token: first)
                #expect(failed.status == 502)
                #expect(failed.bodyText == Body.unexpected)
                Thread.sleep(forTimeInterval: 1.1)
                #expect(EchoedRequest(try env.send("GET", "/photos/1", token: first)) != nil)
                let rotate = try HTTP.postJSON(port: env.devAS.port, "/_dev/rotate-key", [String: Any]())
                #expect(rotate.status == 200)
                let second = try env.devAS.mintToken([Fixture.view])
                #expect(Self.segments(second)[0] != Self.segments(first)[0])
                Thread.sleep(forTimeInterval: 1.1)
                let response = try env.send("GET", "/photos/1", token: second)
                #expect(EchoedRequest(response) != nil, "\(response.status) \(response.bodyText)\n\(env.diagnostics())")
                let counts = try env.devAS.counts()
                #expect(counts["/jwks"] == 3, "\(counts)")
                #expect(Self.introspections(counts) == 0, "\(counts)")
            }
        }

        /// `jwt_rpts.local_verification: false`: JWT RPTs are introspected like opaque ones.
        @Test func localVerificationOff() async throws {
            try await offPool {
                let env = try Self.environment(mode: "oxd", jwtRPTs: "{local_verification: false}")
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(EchoedRequest(try env.send("GET", "/photos/1", token: token)) != nil)
                let counts = try env.devAS.counts()
                #expect(counts["/introspect-rpt"] == 1, "\(counts)")
                #expect(counts["/get-jwks"] == nil, "\(counts)")
            }
        }
    }
}
