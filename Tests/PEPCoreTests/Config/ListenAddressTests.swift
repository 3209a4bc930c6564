import Testing

@testable import PEPCore

@Suite struct ListenAddressTests {
    /// IPv4 and bracketed IPv6 addresses with ports parse; port 0 (ephemeral) is allowed.
    @Test(arguments: [
        ("0.0.0.0:8000", "0.0.0.0:8000"), ("127.0.0.1:0", "127.0.0.1:0"), ("[::1]:8000", "[::1]:8000"),
        ("[::]:443", "[::]:443"), ("[2001:DB8::1]:65535", "[2001:db8::1]:65535"),
    ])
    func parses(_ text: String, _ canonical: String) throws {
        #expect(try #require(ListenAddress(text)).description == canonical)
    }

    /// Names, missing ports, bare IPv6 and out-of-range ports are refused.
    @Test(arguments: [
        "localhost:8000", "0.0.0.0", "::1:8000", "[::1]", "1.2.3.4:65536", "1.2.3.4:-1", ":8000",
        "[127.0.0.1]:80", "1.2.3.4:80:80",
    ])
    func rejects(_ text: String) {
        #expect(ListenAddress(text) == nil)
    }

    /// `listen` takes strings and `{address, tls}` objects; duplicates and an admin clash are errors.
    @Test func listenersInConfiguration() throws {
        let text = ConfigTestSupport.config(
            topExtra: """
                listen:
                  - "127.0.0.1:8000"
                  - {address: "[::1]:8443", tls: {certificate: /etc/pep/cert.pem, private_key: /etc/pep/key.pem}}
                admin: {listen: "127.0.0.1:9901"}
                """)
        let config = try ConfigTestSupport.load(text)
        #expect(config.listeners.count == 2)
        #expect(
            config.listeners[1].tls
                == ListenerTLS(certificatePath: "/etc/pep/cert.pem", privateKeyPath: "/etc/pep/key.pem"))
        #expect(config.admin.listen.port == 9901)
        let single = try ConfigTestSupport.load(ConfigTestSupport.config(topExtra: "listen: \"127.0.0.1:1\""))
        #expect(single.listeners.map(\.address.port) == [1])

        let cases: [(String, String, String)] = [
            ("listen: [\"127.0.0.1:8000\", \"127.0.0.1:8000\"]", "listen[1]", "config.duplicate_listener"),
            (
                "listen: [\"127.0.0.1:8000\"]\nadmin: {listen: \"127.0.0.1:8000\"}", "admin.listen",
                "config.duplicate_listener"
            ),
            ("listen: [\"localhost:8000\"]", "listen[0]", "config.invalid_address"),
            ("listen: []", "listen", "config.missing_field"),
            (
                "listen: [{address: \"127.0.0.1:1\", tls: {certificate: c}}]", "listen[0].tls.private_key",
                "config.missing_field"
            ),
            (
                "listen: [{address: \"127.0.0.1:1\", tls: {certificate: c, private_key: k, ca: x}}]",
                "listen[0].tls.ca",
                "config.unknown_field"
            ),
            ("admin: {listen: \"127.0.0.1:8001\", password: x}", "admin.password", "config.unknown_field"),
            ("admin: {listen: \"127.0.0.1:8001\", token: x}", "admin.token", "config.invalid_value"),
        ]
        for (extra, fieldPath, detail) in cases {
            let error = ConfigTestSupport.error(ConfigTestSupport.config(topExtra: extra))
            #expect(error?.fieldPath == fieldPath, "\(extra)")
            #expect(error?.detail == detail, "\(extra)")
        }
    }
}
