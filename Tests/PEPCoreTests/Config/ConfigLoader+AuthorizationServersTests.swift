import Testing

@testable import PEPCore

@Suite struct ConfigLoaderAuthorizationServersTests {
    private func config(_ server: String) -> String {
        """
        authorization_servers:
          main:
        \(server)
        services:
          - name: api
            url: http://127.0.0.1:9000
            hosts: [api.example.com]
        """
    }

    /// A uma2 server needs no oxd fields; optional fields parse with units.
    @Test func loadsUMA2Server() throws {
        let server = try ConfigTestSupport.load(
            self.config(
                """
                    mode: uma2
                    op_url: https://keycloak.example.com/realms/demo/
                    client_id: pep
                    client_secret: ${SECRET}
                    ca_file: /etc/ssl/as.pem
                    connect_timeout: 500ms
                    timeout: 3s
                    register_resources: true
                    realm: api
                """), environment: ["SECRET": "xyz"]
        ).authorizationServers[0]
        #expect(server.mode == .uma2)
        #expect(server.opURL == "https://keycloak.example.com/realms/demo/")
        #expect(server.clientSecret.value == "xyz")
        #expect(server.caFile == "/etc/ssl/as.pem")
        #expect(server.connectTimeout == .milliseconds(500))
        #expect(server.timeout == .seconds(3))
        #expect(server.registerResources)
        #expect(server.realm == "api")
        #expect(server.oxdURL == nil && server.oxdId == nil)
    }

    /// The oxd URL loses its trailing slash so command URLs are `oxd_url + "/" + command`.
    @Test func oxdURLIsNormalised() throws {
        let server = try ConfigTestSupport.load(
            self.config(
                """
                    oxd_url: https://oxd.local:8443/
                    op_url: https://op.example
                    oxd_id: id
                    client_id: c
                    client_secret: s
                """)
        ).authorizationServers[0]
        #expect(server.mode == .oxd)
        #expect(server.oxdURL == "https://oxd.local:8443")
    }

    /// Each mistake names its field.
    @Test(arguments: [
        (
            "    mode: oxd\n    op_url: https://op\n    oxd_id: i\n    client_id: c\n    client_secret: s",
            "authorization_servers.main.oxd_url", "config.missing_field"
        ),
        (
            "    mode: uma2\n    oxd_url: https://x\n    op_url: https://op\n    client_id: c\n    client_secret: s",
            "authorization_servers.main.oxd_url", "config.field_not_allowed"
        ),
        (
            "    mode: uma3\n    op_url: https://op\n    client_id: c\n    client_secret: s",
            "authorization_servers.main.mode", "config.invalid_value"
        ),
        (
            "    mode: uma2\n    op_url: op.example\n    client_id: c\n    client_secret: s",
            "authorization_servers.main.op_url", "config.invalid_url"
        ),
        (
            "    mode: uma2\n    op_url: https://op\n    client_id: c",
            "authorization_servers.main.client_secret", "config.missing_field"
        ),
        (
            "    mode: uma2\n    op_url: https://op\n    client_id: c\n    client_secret: \"\"",
            "authorization_servers.main.client_secret", "config.missing_field"
        ),
        (
            "    mode: uma2\n    op_url: https://op\n    client_id: c\n    client_secret: s\n    connect_timeout: 10s",
            "authorization_servers.main.connect_timeout", "config.invalid_value"
        ),
        (
            "    mode: uma2\n    op_url: https://op\n    client_id: c\n    client_secret: s\n    realm: 'a\"b'",
            "authorization_servers.main.realm", "config.invalid_value"
        ),
        (
            "    mode: uma2\n    op_url: https://op\n    client_id: c\n    client_secret: s\n    clientsecret: s",
            "authorization_servers.main.clientsecret", "config.unknown_field"
        ),
    ])
    func rejectsInvalidServer(_ server: String, _ fieldPath: String, _ detail: String) throws {
        let error = try #require(ConfigTestSupport.error(self.config(server)))
        #expect(error.fieldPath == fieldPath)
        #expect(error.detail == detail)
    }

    /// A server name outside `[A-Za-z0-9._-]` is refused, quoted in the path.
    @Test func rejectsBadName() throws {
        let text = ConfigTestSupport.config().replacingOccurrences(of: "  gluu:", with: "  \"my as\":")
        let error = try #require(ConfigTestSupport.error(text))
        #expect(error.fieldPath == "authorization_servers[\"my as\"]")
        #expect(error.detail == "config.invalid_name")
    }
}
