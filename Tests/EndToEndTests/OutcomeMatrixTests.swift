import Foundation
import Testing

extension EndToEnd {
    /// SPEC Part B §2.4a, the "anonymous ON" column (SPEC A1): every row that applies to uma-pep, through the
    /// real proxy, with the oxd calls each row makes. Host `api.test` has `deny_by_default: true`, `open.test`
    /// has `false`; `/photos/??` needs `view` for GET, `/docs/??` (on `open.test`) needs `read`.
    @Suite struct OutcomeMatrix {
        enum Token: String {
            /// No `Authorization` header.
            case none
            /// `Authorization: Basic …` (not a bearer token).
            case basic
            /// A bearer token the AS does not know (introspects inactive).
            case inactive
            /// An RPT with `view` on `/photos/??` and `read` on `/docs/??`.
            case permitted
            /// An RPT with only `admin` on `/admin/??`.
            case unpermitted
        }

        struct Row: CustomTestStringConvertible {
            var name: String
            var method = "GET"
            var host = "api.test"
            var path: String
            var token: Token
            var status: Int
            /// The exact body of a PEP answer; nil when forwarded (the upstream's echo).
            var body: String?
            var ticket = false
            /// `X-Anonymous-Consumer: true` upstream (forwarded rows only).
            var anonymous = false
            var calls: [String]
            var testDescription: String { self.name }
        }

        static let checkAccess = "/uma-rs-check-access"
        static let introspect = "/introspect-rpt"

        static let rows: [Row] = [
            Row(
                name: "no token, protected → 401 + ticket", path: "/photos/1", token: .none, status: 401,
                body: Body.unauthorized, ticket: true, calls: [checkAccess]),
            Row(
                name: "non-Bearer credentials, protected → 401 + ticket", path: "/photos/1", token: .basic,
                status: 401, body: Body.unauthorized, ticket: true, calls: [checkAccess]),
            Row(
                name: "no token, unprotected, deny_by_default → 403", path: "/elsewhere", token: .none, status: 403,
                body: Body.noTokenNoProtectedPath, calls: []),
            Row(
                name: "no token, unprotected method on a protected path → 403", method: "PATCH", path: "/photos/1",
                token: .none, status: 403, body: Body.noTokenNoProtectedPath, calls: []),
            Row(
                name: "no token, unprotected, no deny_by_default → upstream, anonymous", host: "open.test",
                path: "/elsewhere", token: .none, status: 200, anonymous: true, calls: []),
            Row(
                name: "inactive token, protected → 401 + ticket", path: "/photos/1", token: .inactive, status: 401,
                body: Body.unauthorized, ticket: true, calls: [introspect, checkAccess]),
            Row(
                name: "inactive token, unprotected, deny_by_default → 403", path: "/elsewhere", token: .inactive,
                status: 403, body: Body.noTokenNoProtectedPath, calls: [introspect]),
            Row(
                name: "inactive token, unprotected, no deny_by_default → upstream, anonymous", host: "open.test",
                path: "/elsewhere", token: .inactive, status: 200, anonymous: true, calls: [introspect]),
            Row(
                name: "active RPT with the permission, protected → upstream", path: "/photos/1", token: .permitted,
                status: 200, calls: [introspect, checkAccess]),
            Row(
                name: "active RPT with the permission on the other service → upstream", host: "open.test",
                path: "/docs/guide", token: .permitted, status: 200, calls: [introspect, checkAccess]),
            Row(
                name: "active RPT without the permission → 403", path: "/photos/1", token: .unpermitted,
                status: 403, body: Body.notAuthorized, calls: [introspect, checkAccess]),
            Row(
                name: "active token, unprotected, deny_by_default → 403", path: "/elsewhere", token: .permitted,
                status: 403, body: Body.unprotected, calls: [introspect]),
            Row(
                name: "active token, unprotected, no deny_by_default → upstream", host: "open.test",
                path: "/elsewhere", token: .permitted, status: 200, calls: [introspect]),
            Row(
                name: "public rule, no token → upstream, anonymous", path: "/public/x", token: .none, status: 200,
                anonymous: true, calls: []),
            Row(
                name: "public rule, a token is not introspected → upstream, anonymous", method: "DELETE",
                path: "/public/x", token: .inactive, status: 200, anonymous: true, calls: []),
        ]

        /// Each row: exact status and body, the challenge when a ticket is due, `X-Anonymous-Consumer` upstream
        /// only for anonymous forwards, and exactly the oxd calls of the row.
        @Test(arguments: Self.rows)
        func row(_ row: Row) async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                var headers: [(String, String)] = []
                switch row.token {
                case .none: break
                case .basic: headers.append(("Authorization", "Basic ZGVtbzpkZW1v"))
                case .inactive: headers.append(("Authorization", "Bearer inactive-\(UUID().uuidString)"))
                case .permitted:
                    let token = try env.devAS.mintToken([Fixture.view, Fixture.read])
                    headers.append(("Authorization", "Bearer \(token)"))
                case .unpermitted:
                    let token = try env.devAS.mintToken([Fixture.admin])
                    headers.append(("Authorization", "Bearer \(token)"))
                }
                let response = try env.send(row.method, row.path, host: row.host, headers: headers)
                #expect(response.status == row.status)
                let challenge = response.header("WWW-Authenticate")
                #expect((challenge != nil) == row.ticket)
                if row.ticket { #expect(Challenge.matches(challenge ?? "", asURI: env.devAS.url)) }
                if let body = row.body {
                    #expect(response.bodyText == body)
                    #expect(response.header("Content-Type") == "application/json; charset=utf-8")
                } else {
                    let echoed = try #require(EchoedRequest(response), "not forwarded: \(response.bodyText)")
                    #expect(echoed.method == row.method)
                    #expect(echoed.path == "/_echo" + row.path)
                    #expect(echoed.values("X-Anonymous-Consumer") == (row.anonymous ? ["true"] : []))
                }
                #expect(try env.devAS.calls() == row.calls)
            }
        }

        /// `consumer_mapping: true`: an active token whose `client_id` maps to no consumer → 401 `Unknown
        /// consumer` on any path (no anonymous fallback); a mapped one passes and `consumer.*` headers work.
        @Test func unknownConsumerWithMappingOn() async throws {
            try await offPool {
                let extra = """
                    consumer_mapping: true
                    consumers:
                      - {id: c-42, custom_id: demo-client, username: demo}
                    """
                let service = Fixture.service(
                    "custom_headers:\n  - {header_name: x-consumer-id, value_lua_exp: consumer.id}")
                let env = try E2EEnvironment(config: Fixture.config(extra: extra, services: service))
                let stranger = try env.devAS.mintToken([Fixture.view], clientId: "demo-claims-client")
                for path in ["/photos/1", "/elsewhere", "/admin/x"] {
                    let response = try env.send("GET", path, token: stranger)
                    #expect(response.status == 401)
                    #expect(response.bodyText == Body.unknownConsumer)
                    #expect(response.header("WWW-Authenticate") == nil)
                }
                let known = try env.devAS.mintToken([Fixture.view])
                let response = try env.send("GET", "/photos/1", token: known)
                #expect(response.status == 200)
                #expect(EchoedRequest(response)?.values("x-consumer-id") == ["c-42"])
            }
        }

        /// `ticket_on_insufficient_scope: true` (SPEC A2): an active RPT without the permission gets 401 + a
        /// fresh ticket instead of 403.
        @Test func ticketOnInsufficientScope() async throws {
            try await offPool {
                let service = Fixture.service("ticket_on_insufficient_scope: true")
                let env = try E2EEnvironment(config: Fixture.config(services: service))
                let token = try env.devAS.mintToken([Fixture.admin])
                let response = try env.send("GET", "/photos/1", token: token)
                #expect(response.status == 401)
                #expect(response.bodyText == Body.unauthorized)
                #expect(Challenge.matches(response.header("WWW-Authenticate") ?? "", asURI: env.devAS.url))
                #expect(try env.devAS.calls() == ["/introspect-rpt", "/uma-rs-check-access"])
            }
        }
    }
}
