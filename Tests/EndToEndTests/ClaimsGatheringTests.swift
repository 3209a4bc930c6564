import Foundation
import Testing

extension EndToEnd {
    /// Issue 13 item 1: claims gathering at the gateway (`obtain_rpt`, `redirect_claim_gathering_url`,
    /// `claims_redirect_path`; SPEC Part B §2.5, P0, P10). A browser stand-in (curl with a cookie jar) asks for a
    /// protected page through `uma-pep serve`; the development AS's claims form is submitted like a browser would.
    @Suite struct ClaimsGathering {
        static let cookieKey = "ZGVtby1vbmx5LWNvb2tpZS1rZXktcmVwbGFjZS1tZSE="

        /// Service `browser` on host 127.0.0.1 protecting `/posts/??` with the country/city-guarded scope.
        static func config(mode: String, extra: String = "") -> String {
            let server =
                mode == "uma2"
                ? """
                    dev:
                      mode: uma2
                      op_url: ${OXD_URL}
                      client_id: demo-browser-client
                      client_secret: demo-browser-secret
                      register_resources: true
                """
                : """
                    dev:
                      mode: oxd
                      oxd_url: ${OXD_URL}
                      op_url: ${OXD_URL}
                      oxd_id: demo-browser-oxd-id
                      client_id: demo-browser-client
                      client_secret: demo-browser-secret
                      register_resources: true
                """
            return """
                listen: ["127.0.0.1:0"]
                admin: {listen: "127.0.0.1:0"}
                workers: 2
                claims_gathering:
                  cookie_keys:
                    - {id: k1, key: "${COOKIE_KEY}"}
                authorization_servers:
                \(server)
                services:
                  - name: browser
                    url: ${UPSTREAM_URL}/_echo
                    hosts: [127.0.0.1]
                    obtain_rpt: true
                    redirect_claim_gathering_url: true
                    claims_redirect_path: /uma/claims-callback
                \(extra)
                    uma_scope_expression:
                      - path: /posts/??
                        conditions:
                          - httpMethods: [GET]
                            scopes: [claims_read]
                      - path: /todos
                        conditions:
                          - httpMethods: [GET]
                            scopes: [read]
                """
        }

        static func environment(mode: String, extra: String = "") throws -> E2EEnvironment {
            try E2EEnvironment(
                config: Self.config(mode: mode, extra: extra), environment: ["COOKIE_KEY": Self.cookieKey])
        }

        /// An unsigned JWT carrying `claims` (the development AS reads a pushed claim token's payload unverified).
        static func claimToken(_ claims: [String: String]) throws -> String {
            let payload = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
            func b64url(_ data: Data) -> String {
                data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            return b64url(Data(#"{"alg":"none"}"#.utf8)) + "." + b64url(payload) + "."
        }

        /// `pushed_claims: bearer_token`: the request's bearer value (an ID token, say) is pushed as the claim
        /// token of the gateway's RPT request; with the right claims the page comes at once, with a wrong city it
        /// is refused, without a token the browser flow starts. Both modes.
        @Test(arguments: ["oxd", "uma2"])
        func pushedClaimsFromTheBearerToken(mode: String) async throws {
            try await offPool {
                let env = try Self.environment(mode: mode, extra: "    pushed_claims: bearer_token")
                let good = try Self.claimToken(["country": "US", "city": "NY"])
                let page = try env.send("GET", "/posts/1", host: "127.0.0.1", token: good)
                #expect(page.status == 200, "\(page.bodyText)\n\(env.diagnostics())")
                // The claim token went upstream as sent (pass_credentials: pass); only the obtained RPT was
                // introspected, never the claim token.
                #expect(EchoedRequest(page)?.values("Authorization") == ["Bearer \(good)"])
                #expect(try env.devAS.calls().filter { $0.contains("introspect") }.count == 1)
                let wrong = try env.send(
                    "GET", "/posts/1", host: "127.0.0.1", token: try Self.claimToken(["country": "US", "city": "LA"]))
                #expect(wrong.status == 403)
                #expect(try env.send("GET", "/posts/1", host: "127.0.0.1").status == 302)
            }
        }

        /// Starts the flow for `target`: 302 to the AS's claims page with a pending session cookie; returns the
        /// claims page.
        static func start(_ browser: CurlBrowser, _ env: E2EEnvironment, target: String) throws -> CurlBrowser.Response
        {
            let first = try browser.get("http://127.0.0.1:\(env.pep.proxyPort)\(target)")
            #expect(first.status == 302)
            let location = try #require(first.header("Location"))
            #expect(location.hasPrefix("\(env.devAS.url)/gather_claims?"))
            let callback = "http%3A%2F%2F127.0.0.1%3A\(env.pep.proxyPort)%2Fuma%2Fclaims-callback"
            #expect(location.contains("claims_redirect_uri=\(callback)"), "\(location)")
            let cookie = try #require(first.header("Set-Cookie"))
            #expect(cookie.hasPrefix("uma_pep_session="))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
            #expect(first.header("Cache-Control") == "no-cache, no-store, max-age=0")
            let page = try browser.get(location)
            #expect(page.status == 200)
            return page
        }

        /// Submits the claims form without following the AS's redirect; returns the callback URL it names.
        static func submit(_ browser: CurlBrowser, _ env: E2EEnvironment, page: String, city: String) throws
            -> String
        {
            let answer = try browser.post(
                "\(env.devAS.url)/gather_claims", form: ClaimsForm.filled(page, country: "US", city: city))
            #expect(answer.status == 302)
            let callback = try #require(answer.header("Location"))
            #expect(callback.hasPrefix("http://127.0.0.1:\(env.pep.proxyPort)/uma/claims-callback?"))
            return callback
        }

        static func happyPath(mode: String) throws {
            let env = try Self.environment(mode: mode)
            let browser = try CurlBrowser(directory: env.scratch)
            let page = try Self.start(browser, env, target: "/posts/1?x=1")
            let beforeCallback = try browser.copy(name: "captured")
            var callback = try Self.submit(browser, env, page: page.body, city: "NY")
            // Open-redirect attempt: parameters naming another target are ignored.
            callback += "&redirect_uri=https%3A%2F%2Fevil.example%2F&return_to=%2F%2Fevil.example"
            let back = try browser.get(callback)
            #expect(back.status == 302, "\(back.body)\n\(env.diagnostics())")
            #expect(back.header("Location") == "/posts/1?x=1")
            let landed = try browser.get("http://127.0.0.1:\(env.pep.proxyPort)/posts/1?x=1")
            #expect(landed.status == 200)
            #expect(landed.body.contains("\"path\":\"/_echo/posts/1\""), "\(landed.body)")
            // The session cookie (and the RPT in it) never reaches the upstream.
            #expect(!landed.body.contains("uma_pep_session"))

            // The RPT is cached: the next page needs no authorization-server round trip.
            try env.devAS.resetCalls()
            let again = try browser.get("http://127.0.0.1:\(env.pep.proxyPort)/posts/2", follow: true)
            #expect(again.status == 200)
            #expect(try env.devAS.calls() == [])

            // Another resource the session's RPT has no permission for: the gateway asks for a new RPT with the
            // denial's ticket (`read` needs no claims) and forwards.
            let todos = try browser.get("http://127.0.0.1:\(env.pep.proxyPort)/todos")
            #expect(todos.status == 200, "\(todos.body)")

            // Replayed callback: with the session that now holds the RPT (no pending state) → 400; with the
            // captured pending session (state already used) → 400.
            #expect(try browser.get(callback).status == 400)
            #expect(try beforeCallback.get(callback).status == 400)
        }

        @Test func browserGetsThePageAfterClaimsGatheringOXD() async throws {
            try await offPool { try Self.happyPath(mode: "oxd") }
        }

        @Test func browserGetsThePageAfterClaimsGatheringUMA2() async throws {
            try await offPool { try Self.happyPath(mode: "uma2") }
        }

        /// Wrong claims: the AS refuses the RPT → 403, never the page; bad callbacks → 400; a tampered cookie is no
        /// session (the flow starts over).
        @Test func refusalsAndBadInput() async throws {
            try await offPool {
                let env = try Self.environment(mode: "oxd")
                let proxy = "http://127.0.0.1:\(env.pep.proxyPort)"

                let wrong = try CurlBrowser(directory: env.scratch, name: "wrong")
                let page = try Self.start(wrong, env, target: "/posts/1")
                let callback = try Self.submit(wrong, env, page: page.body, city: "LA")
                let refused = try wrong.get(callback)
                #expect(refused.status == 403)
                #expect(refused.body == Body.notAuthorized)

                // CR LF in the path: refused before enforcement (400), no cookie, no injected header (SECURITY
                // case 19); encoded bytes that pass reach Location percent-encoded (ClaimsSession.safeReturnTarget).
                let crlf = try CurlBrowser(directory: env.scratch, name: "crlf")
                let injected = try crlf.get("\(proxy)/posts/1%0d%0aSet-Cookie:%20x=1")
                #expect(injected.status == 400)
                #expect(!injected.headers.contains { $0.0.lowercased() == "set-cookie" })
                let encoded = try crlf.get("\(proxy)/posts/1%22%3Cx%3E?q=%0d%0a")
                #expect(encoded.status == 302)
                #expect(encoded.headers.filter { $0.0.lowercased() == "set-cookie" }.count == 1)

                // A callback without a session → 400 (empty body, as the reference).
                let stranger = try CurlBrowser(directory: env.scratch, name: "stranger")
                let noSession = try stranger.get("\(proxy)/uma/claims-callback?ticket=t&state=s")
                #expect(noSession.status == 400)
                #expect(noSession.body.isEmpty)

                // `state` not bound to this session → 400; missing arguments → 400 with the reference message.
                let other = try CurlBrowser(directory: env.scratch, name: "other")
                _ = try Self.start(other, env, target: "/posts/3")
                #expect(try other.get("\(proxy)/uma/claims-callback?ticket=t&state=forged").status == 400)
                let missing = try other.get("\(proxy)/uma/claims-callback?state=forged")
                #expect(missing.status == 400)
                #expect(missing.body == #"{"message":"missed ticket or state argument(s)"}"#)

                // A tampered cookie is no session: the callback is refused and the page starts over.
                let value = try #require(try other.cookie("uma_pep_session"))
                var bytes = Array(value.utf8)
                bytes[bytes.count / 2] =
                    bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                try other.setCookie("uma_pep_session", String(decoding: bytes, as: UTF8.self))
                #expect(try other.get("\(proxy)/uma/claims-callback?ticket=t&state=forged").status == 400)
                let restarted = try other.get("\(proxy)/posts/3")
                #expect(restarted.status == 302)
                #expect(restarted.header("Location")?.hasPrefix("\(env.devAS.url)/gather_claims?") == true)
            }
        }
    }
}
