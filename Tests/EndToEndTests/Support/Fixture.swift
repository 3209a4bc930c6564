/// Per-test YAML configurations. `${OXD_URL}` and `${UPSTREAM_URL}` are filled by `E2EEnvironment`; every
/// listener binds port 0.
enum Fixture {
    /// The top of a config: listeners, workers, one authorization server `dev` and optional extra top-level
    /// YAML (`cache:`, `consumers:`…), followed by `services`.
    /// - Parameters:
    ///   - mode: `oxd` (through the dev AS's oxd API) or `uma2` (its UMA 2.0 endpoints).
    ///   - timeout, connectTimeout: the authorization-server call timeouts (SPEC A8).
    static func config(
        mode: String = "oxd", timeout: String = "3s", connectTimeout: String = "1s", extra: String = "",
        services: String = Self.apiService
    ) -> String {
        let server: String
        if mode == "uma2" {
            server = """
                  dev:
                    mode: uma2
                    op_url: ${OXD_URL}
                    client_id: demo-client
                    client_secret: demo-secret
                    register_resources: true
                    connect_timeout: \(connectTimeout)
                    timeout: \(timeout)
                """
        } else {
            server = """
                  dev:
                    mode: oxd
                    oxd_url: ${OXD_URL}
                    op_url: ${OXD_URL}
                    oxd_id: demo-oxd-id
                    client_id: demo-client
                    client_secret: demo-secret
                    register_resources: true
                    connect_timeout: \(connectTimeout)
                    timeout: \(timeout)
                """
        }
        return """
            listen: ["127.0.0.1:0"]
            admin: {listen: "127.0.0.1:0"}
            workers: 2
            \(extra)
            authorization_servers:
            \(server)
            services:
            \(services)
            """
    }

    /// Service `api` (host `api.test`, `deny_by_default: true`) with SECURITY.md F0's rules, and service `open`
    /// (host `open.test`, `deny_by_default: false`). Both forward to the upstream's `/_echo` so a forwarded
    /// request's answer shows what the upstream received.
    static let apiService = service() + "\n" + openService

    /// Service `api` with options (YAML lines at service level, e.g. `pass_credentials: hide`).
    static func service(_ options: String = "", denyByDefault: Bool = true) -> String {
        var text = """
              - name: api
                url: ${UPSTREAM_URL}/_echo
                hosts: [api.test]
                deny_by_default: \(denyByDefault)

            """
        for line in options.split(separator: "\n") { text += "    \(line)\n" }
        text += """
                uma_scope_expression:
                  - path: /photos/??
                    conditions:
                      - httpMethods: [GET]
                        scopes: [view]
                      - httpMethods: [POST, PUT]
                        scopes: [add]
                        ticketScopes: [add]
                  - path: /admin/??
                    conditions:
                      - httpMethods: [GET, POST, PUT, DELETE]
                        scopes: [admin]
                  - path: /public/??
                    conditions:
                      - {httpMethods: ["?"], public: true}
            """
        return text
    }

    /// Service `open`: `deny_by_default: false`, one protected rule `/docs/??` GET `read`.
    static let openService = """
          - name: open
            url: ${UPSTREAM_URL}/_echo
            hosts: [open.test]
            deny_by_default: false
            uma_scope_expression:
              - path: /docs/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
        """

    /// Permissions for the F0 tokens.
    static let view = DevASProcess.Permission(path: "/photos/??", method: "GET", scopes: ["view"])
    static let add = DevASProcess.Permission(path: "/photos/??", method: "POST", scopes: ["add"])
    static let admin = DevASProcess.Permission(path: "/admin/??", method: "GET", scopes: ["admin"])
    static let read = DevASProcess.Permission(path: "/docs/??", method: "GET", scopes: ["read"])
}

/// The parsed `/_echo` answer of the demo upstream: what reached it.
struct EchoedRequest {
    var method: String
    var path: String
    var query: String?
    var headers: [(String, String)]

    init?(_ response: RawResponse) {
        guard response.status == 200, let json = response.json, let method = json["method"] as? String,
            let path = json["path"] as? String, let headers = json["headers"] as? [[String]]
        else { return nil }
        self.method = method
        self.path = path
        self.query = json["query"] as? String
        self.headers = headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }

    /// Every value of `name` (case-insensitive).
    func values(_ name: String) -> [String] {
        self.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }
}
