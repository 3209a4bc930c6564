import Foundation
import Testing

extension EndToEnd {
    /// SECURITY.md case 17: the value that is authorized is the value the upstream gets — repeated credential or
    /// `Host` headers are refused before any authorization-server call.
    @Suite struct CredentialHeaders {
        /// Two `Authorization` headers, or two `Host` headers → 400; `Bearer A, Bearer B` → 401 (invalid token
        /// syntax). Nothing reaches the upstream and the AS is not asked.
        @Test func repeatedCredentialsAreRefused() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let view = try env.devAS.mintToken([Fixture.view])
                let admin = try env.devAS.mintToken([Fixture.admin])
                let cases: [(request: String, status: Int)] = [
                    (
                        "DELETE /admin/users/7 HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer \(view)\r\n"
                            + "Authorization: Bearer \(admin)\r\nConnection: close\r\n\r\n", 400
                    ),
                    (
                        "GET /photos/1 HTTP/1.1\r\nHost: api.test\r\nHost: admin.internal\r\n"
                            + "Authorization: Bearer \(view)\r\nConnection: close\r\n\r\n", 400
                    ),
                    (
                        "DELETE /admin/users/7 HTTP/1.1\r\nHost: api.test\r\n"
                            + "Authorization: Bearer \(admin), Bearer \(view)\r\nConnection: close\r\n\r\n", 401
                    ),
                ]
                for item in cases {
                    let response = try HTTP.raw(port: env.pep.proxyPort, Array(item.request.utf8))
                    #expect(response.status == item.status)
                    #expect(EchoedRequest(response) == nil)
                    if item.status == 401 {
                        #expect(response.bodyText == Body.invalidToken)
                        #expect(response.header("WWW-Authenticate") == nil)
                    }
                }
                #expect(try env.devAS.calls() == [])
            }
        }

        /// The token forwarded (`pass_credentials: pass`) is byte-identical to the one introspected, whatever the
        /// case of the scheme and the amount of whitespace the client used.
        @Test func forwardedTokenIsTheIntrospectedOne() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                let response = try env.send("GET", "/photos/1", headers: [("Authorization", "BEARER   \(token)")])
                let echoed = try #require(EchoedRequest(response))
                let forwarded = echoed.values("Authorization")
                #expect(forwarded.count == 1)
                #expect(forwarded.first?.hasSuffix(" \(token)") == true)
            }
        }
    }
}
