import Testing

@testable import PEPCore

@Suite struct PEPConfigurationAdvisoriesTests {
    /// A document with `?` (protected), `?` (public) and `GET` conditions, indented for `config(document:)`.
    static let mixedDocument = """
              - path: /posts/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
                  - httpMethods: ["?"]
                    scopes: [write]
              - path: /public/??
                conditions:
                  - httpMethods: ["?"]
                    public: true
        """

    /// In oxd mode, a protected `?` condition is reported with its field path (check-access would get 502).
    @Test func anyMethodInOXDModeIsReported() throws {
        let config = try ConfigTestSupport.load(ConfigTestSupport.config(document: Self.mixedDocument))
        let advisories = config.advisories
        #expect(advisories.map(\.fieldPath) == ["services[0].uma_scope_expression[0].conditions[1].httpMethods"])
        #expect(advisories.first?.message.contains("502") == true)
        let report = config.checkReport()
        #expect(report.contains("\nWarnings:\n  services[0].uma_scope_expression[0].conditions[1].httpMethods: "))
    }

    /// Explicit methods, public `?` conditions and uma2 mode give no advisory, and the report has no section.
    @Test func nothingToReport() throws {
        let explicit = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(explicit.advisories.isEmpty)
        #expect(!explicit.checkReport().contains("Warnings:"))
        let uma2 = ConfigTestSupport.config(document: Self.mixedDocument)
            .replacingOccurrences(of: "mode: oxd", with: "mode: uma2")
            .replacingOccurrences(of: "    oxd_url: https://oxd.example.com:8443\n", with: "")
            .replacingOccurrences(of: "    oxd_id: oxd-1\n", with: "")
        let config = try ConfigTestSupport.load(uma2)
        #expect(config.authorizationServers.first?.mode == .uma2)
        #expect(config.advisories.isEmpty)
    }

    /// `fold_case` and `encoded_slashes` load; with `fold_case`, upper-case letters are reported in literal and
    /// `{regex}` segments alike (they could never match), regex escapes such as `\D` are not.
    @Test func foldCaseReportsUpperCaseRules() throws {
        let document = """
                  - path: /Admin/??
                    conditions:
                      - httpMethods: [GET]
                        scopes: [read]
                  - path: /reports/{[A-Z]+}
                    conditions:
                      - httpMethods: [GET]
                        scopes: [read]
            """
        let folded = try ConfigTestSupport.load(
            ConfigTestSupport.config(document: document, topExtra: "fold_case: true\nencoded_slashes: keep"))
        #expect(folded.foldCase)
        #expect(folded.encodedSlashes == .keep)
        #expect(
            folded.advisories.map(\.fieldPath) == [
                "services[0].uma_scope_expression[0].path", "services[0].uma_scope_expression[1].path",
            ])
        #expect(PEPConfiguration.hasUppercaseLiteral("/files/{\\D+}/x") == false)
        #expect(PEPConfiguration.hasUppercaseLiteral("/files/{[a-z]+}/x") == false)
        let plain = try ConfigTestSupport.load(ConfigTestSupport.config(document: document))
        #expect(!plain.foldCase && plain.encodedSlashes == .reject)
        #expect(plain.advisories.isEmpty)
        #expect(ConfigTestSupport.error(ConfigTestSupport.config(topExtra: "encoded_slashes: decode")) != nil)
    }

    /// A claims callback path that a rule of the service also matches (the rule never applies there), or one with
    /// upper-case letters under `fold_case` (never served), is reported on `claims_redirect_path`.
    @Test func claimsCallbackShadowsRuleOrCannotMatch() throws {
        let key = "dGVzdC1vbmx5LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE="
        let gathering = "claims_gathering:\n  cookie_keys:\n    - {id: k1, key: \"\(key)\"}"
        func claims(_ path: String) -> String {
            "    obtain_rpt: true\n    redirect_claim_gathering_url: true\n    claims_redirect_path: \(path)"
        }
        let shadowing = try ConfigTestSupport.load(
            ConfigTestSupport.config(serviceExtra: claims("/posts/callback"), topExtra: gathering))
        #expect(shadowing.advisories.map(\.fieldPath) == ["services[0].claims_redirect_path"])
        #expect(shadowing.advisories.first?.message.contains("'/posts/??'") == true)
        let upper = try ConfigTestSupport.load(
            ConfigTestSupport.config(serviceExtra: claims("/UMA/cb"), topExtra: gathering + "\nfold_case: true"))
        #expect(upper.advisories.map(\.fieldPath) == ["services[0].claims_redirect_path"])
        #expect(upper.advisories.first?.message.contains("fold_case") == true)
        let fine = try ConfigTestSupport.load(
            ConfigTestSupport.config(serviceExtra: claims("/uma/cb"), topExtra: gathering + "\nfold_case: true"))
        #expect(fine.advisories.isEmpty)
    }

    /// The demo's public cookie key is reported on the key that uses it (any position), another key is not.
    @Test func publicDemoCookieKeyIsReported() throws {
        let demo = "ZGVtby1vbmx5LWNvb2tpZS1rZXktcmVwbGFjZS1tZSE="
        let other = "dGVzdC1vbmx5LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE="
        let claims = "    obtain_rpt: true\n    redirect_claim_gathering_url: true\n    claims_redirect_path: /uma/cb"
        func config(_ keys: [String]) throws -> PEPConfiguration {
            let list = keys.enumerated().map { "    - {id: k\($0.offset), key: \"\($0.element)\"}" }
            return try ConfigTestSupport.load(
                ConfigTestSupport.config(
                    serviceExtra: claims,
                    topExtra: "claims_gathering:\n  cookie_keys:\n" + list.joined(separator: "\n")))
        }
        let rotated = try config([other, demo])
        #expect(rotated.advisories.map(\.fieldPath) == ["claims_gathering.cookie_keys[1].key"])
        #expect(rotated.advisories.first?.message.contains("UMA_PEP_COOKIE_KEY") == true)
        #expect(!rotated.advisories.description.contains(demo), "the key itself is not repeated")
        #expect(try config([other]).advisories.isEmpty)
    }
}
