import Testing

@testable import PEPCore

/// `authorization_servers.<name>.jwt_rpts`: defaults, values, and errors naming the field.
@Suite struct JWTRPTSettingsTests {
    private func config(_ jwtRPTs: String) -> String {
        """
        authorization_servers:
          main:
            mode: uma2
            op_url: https://as.example
            client_id: pep
            client_secret: s
        \(jwtRPTs)
        services:
          - name: api
            url: http://127.0.0.1:9000
            hosts: [api.example.com]
        """
    }

    @Test func defaults() throws {
        let server = try ConfigTestSupport.load(self.config("")).authorizationServers[0]
        #expect(
            server.jwtRPTs == JWTRPTSettings(localVerification: true, audience: nil, kidRefetchInterval: .seconds(30)))
    }

    @Test func values() throws {
        let server = try ConfigTestSupport.load(
            self.config("    jwt_rpts: {local_verification: false, audience: my-api, kid_refetch_interval: 2m}")
        ).authorizationServers[0]
        #expect(
            server.jwtRPTs
                == JWTRPTSettings(localVerification: false, audience: "my-api", kidRefetchInterval: .seconds(120)))
    }

    @Test(arguments: [
        ("    jwt_rpts: {local_verificaton: true}", "authorization_servers.main.jwt_rpts.local_verificaton"),
        ("    jwt_rpts: {local_verification: yes please}", "authorization_servers.main.jwt_rpts.local_verification"),
        ("    jwt_rpts: {audience: \"\"}", "authorization_servers.main.jwt_rpts.audience"),
        ("    jwt_rpts: {kid_refetch_interval: 10ms}", "authorization_servers.main.jwt_rpts.kid_refetch_interval"),
        ("    jwt_rpts: {kid_refetch_interval: 2h}", "authorization_servers.main.jwt_rpts.kid_refetch_interval"),
        ("    jwt_rpts: true", "authorization_servers.main.jwt_rpts"),
    ])
    func errorsNameTheField(yaml: String, field: String) {
        let error = ConfigTestSupport.error(self.config(yaml))
        #expect(error?.fieldPath == field, "\(String(describing: error))")
    }
}
