import Foundation
import Testing

extension EndToEnd {
    /// What reaches the upstream (SPEC Part B §2.6, A11; SECURITY.md cases 18, 19), as seen by its `/_echo`.
    @Suite struct UpstreamHeaders {
        /// Custom headers covering every format, `_` → `-`, a literal, `iterate` and `list`.
        static let customHeaders = """
            custom_headers:
              - {header_name: x-oauth-client-id, value_lua_exp: introspect_data.client_id}
              - {header_name: x_version, value_lua_exp: '"version 1.0"'}
              - {header_name: x-client-b64, value_lua_exp: introspect_data.client_id, format: base64}
              - {header_name: x-rpt-data, value_lua_exp: introspect_data, format: jwt}
              - {header_name: x-issuer, value_lua_exp: introspect_data.iss, format: urlencoded}
              - {header_name: 'x-team-{*}', value_lua_exp: introspect_data.team, iterate: true}
              - {header_name: x-roles, value_lua_exp: introspect_data.roles, format: list, sep: ";"}
            """

        /// `pass_credentials`: `pass` forwards the client's `Authorization`, `hide` removes it, `phantom_token`
        /// replaces it with `Bearer <unsigned JWT of the introspection data>` (standard base64, no padding).
        @Test(arguments: ["pass", "hide", "phantom_token"])
        func passCredentials(_ mode: String) async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(services: Fixture.service("pass_credentials: \(mode)")))
                let token = try env.devAS.mintToken([Fixture.view])
                let echoed = try #require(EchoedRequest(try env.send("GET", "/photos/1", token: token)))
                let values = echoed.values("Authorization")
                switch mode {
                case "pass":
                    #expect(values == ["Bearer \(token)"])
                case "hide":
                    #expect(values == [])
                default:
                    #expect(values.count == 1)
                    let parts = (values.first ?? "").dropFirst("Bearer ".count).split(
                        separator: ".", omittingEmptySubsequences: false)
                    #expect(values.first?.hasPrefix("Bearer ") == true)
                    #expect(parts.count == 3 && parts[2].isEmpty)
                    #expect(parts.first.flatMap { Self.base64JSON(String($0)) }?["alg"] as? String == "none")
                    let payload = try #require(parts.count == 3 ? Self.base64JSON(String(parts[1])) : nil)
                    #expect(payload["active"] as? Bool == true)
                    #expect(payload["client_id"] as? String == "demo-client")
                    #expect((payload["permissions"] as? [Any])?.count == 1)
                    #expect(!(values.first ?? "").contains(token))
                }
                // On a public rule there is no introspection data: `hide` still removes the header, the others pass it.
                let publicEcho = try #require(EchoedRequest(try env.send("GET", "/public/x", token: token)))
                #expect(publicEcho.values("Authorization") == (mode == "hide" ? [] : ["Bearer \(token)"]))
            }
        }

        /// Custom headers are computed from the introspection data in every format; an anonymous request gets only
        /// the literal ones and `X-Anonymous-Consumer: true`.
        @Test func customHeadersInEveryFormat() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(services: Fixture.service(Self.customHeaders)))
                let token = try env.devAS.mintToken(
                    [Fixture.view], claims: ["team": ["b": "2", "a": "one"], "roles": ["r1", "r2"]])
                let echoed = try #require(EchoedRequest(try env.send("GET", "/photos/1", token: token)))
                #expect(echoed.values("x-oauth-client-id") == ["demo-client"])
                #expect(echoed.values("x-version") == ["version 1.0"])
                #expect(echoed.values("x-client-b64") == [Data("demo-client".utf8).base64EncodedString()])
                let jwt = echoed.values("x-rpt-data").first ?? ""
                let payload = jwt.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first
                #expect(payload.flatMap { Self.base64JSON(String($0)) }?["client_id"] as? String == "demo-client")
                #expect(
                    echoed.values("x-issuer") == [
                        env.devAS.url.replacingOccurrences(of: ":", with: "%3A")
                            .replacingOccurrences(of: "/", with: "%2F")
                    ])
                #expect(echoed.values("x-team-a") == ["one"])
                #expect(echoed.values("x-team-b") == ["2"])
                #expect(echoed.values("x-roles") == ["r1;r2"])
                #expect(echoed.values("X-Anonymous-Consumer") == [])

                let anonymous = try #require(EchoedRequest(try env.send("GET", "/public/x")))
                #expect(anonymous.values("x-version") == ["version 1.0"])
                #expect(anonymous.values("x-oauth-client-id") == [])
                #expect(anonymous.values("X-Anonymous-Consumer") == ["true"])
            }
        }

        /// Client-sent identity headers, in any case.
        static let spoofed: [(String, String)] = [
            ("x-consumer-id", "1"), ("X-Authenticated-Scope", "admin"), ("x-oauth-client-id", "trusted-client"),
            ("X-OAUTH-CLIENT-ID", "trusted-client-2"), ("X-Forwarded-Client-Cert", #"Hash=00;Subject="CN=admin""#),
            ("X-Anonymous-Consumer", "false"), ("X-Version", "spoofed"), ("x-team-admin", "yes"),
            ("X-Forwarded-For", "6.6.6.6"),
        ]

        /// SECURITY.md case 18: client copies of PEP-owned headers never reach the upstream, on a public rule and
        /// with enforcement on (lower-case `authorization: bearer …` works like `Authorization: Bearer …`); the
        /// upstream sees only the PEP-generated values.
        @Test func spoofedIdentityHeadersNeverReachUpstream() async throws {
            try await offPool {
                let env = try E2EEnvironment(
                    config: Fixture.config(services: Fixture.service(Self.customHeaders)))
                let publicEcho = try #require(EchoedRequest(try env.send("GET", "/public/x", headers: Self.spoofed)))
                for (name, value) in Self.spoofed {
                    #expect(!publicEcho.values(name).contains(value), "\(name) reached the upstream")
                }
                #expect(publicEcho.values("X-Anonymous-Consumer") == ["true"])
                #expect(publicEcho.values("X-Version") == ["version 1.0"])

                let token = try env.devAS.mintToken([Fixture.view])
                let response = try env.send(
                    "GET", "/photos/1", headers: [("authorization", "bearer \(token)")] + Self.spoofed)
                let echoed = try #require(EchoedRequest(response), "not forwarded: \(response.status)")
                #expect(echoed.values("x-oauth-client-id") == ["demo-client"])
                #expect(echoed.values("X-Version") == ["version 1.0"])
                #expect(echoed.values("X-Anonymous-Consumer") == [])
                for name in ["x-consumer-id", "X-Authenticated-Scope", "X-Forwarded-Client-Cert", "x-team-admin"] {
                    #expect(echoed.values(name) == [], "\(name) reached the upstream")
                }
                #expect(!echoed.values("X-Forwarded-For").joined().contains("6.6.6.6"))
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
            }
        }

        /// SECURITY.md case 19: an RPT whose introspection `client_id` carries CR LF (and `sub` a NUL) → 502 when
        /// the value goes into a `string` header; never an injected header upstream or in the metrics. Encoded
        /// (`base64`) it is forwarded safely.
        @Test func controlCharactersInTokenDataFailClosed() async throws {
            try await offPool {
                let evilClient = "c1\r\nX-Authenticated-Scope: admin"
                let headers = """
                    custom_headers:
                      - {header_name: x-oauth-client-id, value_lua_exp: introspect_data.client_id}
                    """
                let env = try E2EEnvironment(config: Fixture.config(services: Fixture.service(headers)))
                let evil = try env.devAS.mintToken([Fixture.view], clientId: evilClient)
                let response = try env.send("GET", "/photos/1", token: evil)
                #expect(response.status == 502)
                #expect(response.bodyText == Body.unexpected)
                #expect(EchoedRequest(response) == nil)
                #expect(response.header("X-Authenticated-Scope") == nil)
                let nul = try env.devAS.mintToken([Fixture.view], claims: ["client_id": "c2\u{0}x"])
                #expect(try env.send("GET", "/photos/1", token: nul).status == 502)
                let metrics = try env.pep.metrics().text
                #expect(!metrics.split(separator: "\n").contains { $0.hasPrefix("X-Authenticated-Scope") })

                let encoded = """
                    custom_headers:
                      - {header_name: x-oauth-client-id, value_lua_exp: introspect_data.client_id, format: base64}
                    """
                let env2 = try E2EEnvironment(config: Fixture.config(services: Fixture.service(encoded)))
                let evil2 = try env2.devAS.mintToken([Fixture.view], clientId: evilClient)
                let echoed = try #require(EchoedRequest(try env2.send("GET", "/photos/1", token: evil2)))
                #expect(echoed.values("x-oauth-client-id") == [Data(evilClient.utf8).base64EncodedString()])
                #expect(echoed.values("X-Authenticated-Scope") == [])
            }
        }

        /// SECURITY.md case 19, request side: an encoded CR LF in the path is refused (`path.encoded_control`,
        /// 400) before any AS call and never becomes a response header.
        @Test func encodedCRLFInPathInjectsNothing() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let response = try env.send("GET", "/photos/1%0d%0aSet-Cookie:%20x=1")
                #expect(response.status == 400)
                #expect(try env.devAS.calls() == [])
                #expect(response.header("Set-Cookie") == nil)
                #expect(response.headers.allSatisfy { !$0.0.lowercased().hasPrefix("set-cookie") })
            }
        }

        /// Decodes standard or URL-safe base64 without padding into a JSON object.
        static func base64JSON(_ text: String) -> [String: Any]? {
            var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while b64.count % 4 != 0 { b64 += "=" }
            guard let data = Data(base64Encoded: b64) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }
}
