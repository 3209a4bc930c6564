import Testing

@testable import PEPCore

@Suite struct ConfigRedactionTests {
    /// Echoed URLs never show user information or a query (secrets from `${VAR}` substitution).
    @Test(arguments: [
        ("http://admin:S3cret@127.0.0.1:8443", "http://***@127.0.0.1:8443"),
        ("https://h.example/x?token=abc", "https://h.example/x?***"),
        ("http://u:p@h/p?q=1#f", "http://***@h/p?***"),
        ("http://127.0.0.1:9000/api", "http://127.0.0.1:9000/api"),
    ])
    func redactsUserInfoAndQuery(input: String, expected: String) {
        #expect(ConfigRedaction.url(input) == expected)
    }

    /// A config error about an invalid oxd_url does not print the password it carries.
    @Test func invalidURLErrorHidesThePassword() throws {
        let text = try ConfigTestSupport.fixture("tutorial.yaml")
        let error = try #require(
            ConfigTestSupport.error(text, environment: ["OXD_URL": "http://admin:S3cretPassw0rd@127.0.0.1:18443"]))
        #expect(!error.description.contains("S3cretPassw0rd"))
        #expect(error.fieldPath.hasSuffix("oxd_url"))
    }
}
