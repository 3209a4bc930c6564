import Testing

@testable import PEPCore

/// `obtain_rpt`, `redirect_claim_gathering_url`, `claims_redirect_path` and `claims_gathering` (docs/configuration.md):
/// defaults, and bad values refused with the field named.
@Suite struct ClaimsGatheringConfigTests {
    static let key = "ZGVtby1vbmx5LWNvb2tpZS1rZXktcmVwbGFjZS1tZSE="
    static let flow = "    obtain_rpt: true\n    redirect_claim_gathering_url: true\n    claims_redirect_path: /uma/cb"
    static func keys(_ items: String) -> String { "claims_gathering:\n  cookie_keys:\n\(items)" }

    @Test func defaultsAreOff() throws {
        let config = try ConfigTestSupport.load(ConfigTestSupport.config())
        #expect(config.services[0].policy.claims == .off)
        #expect(config.claimsGathering == ClaimsGatheringSettings())
        #expect(config.claimsGathering.cookieName == "uma_pep_session")
        #expect(config.claimsGathering.sessionLifetime == .seconds(3600))
        #expect(config.claimsGathering.pendingLifetime == .seconds(600))
    }

    @Test func loadsTheFlowWithKeysFromTheEnvironment() throws {
        let text = ConfigTestSupport.config(
            serviceExtra: Self.flow,
            topExtra: Self.keys("    - {id: k2, key: \"${NEW_KEY}\"}\n    - {id: k1, key: \"${OLD_KEY}\"}")
                + "\n  session_lifetime: 30m\n  pending_lifetime: 5m\n  cookie_name: gw_session")
        let oldKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        let config = try ConfigTestSupport.load(text, environment: ["NEW_KEY": Self.key, "OLD_KEY": oldKey])
        #expect(
            config.services[0].policy.claims
                == ClaimsGatheringPolicy(
                    obtainRPT: true, redirectClaimGatheringURL: true, claimsRedirectPath: "/uma/cb"))
        #expect(config.claimsGathering.cookieKeys.map(\.id) == ["k2", "k1"])
        #expect(config.claimsGathering.cookieKeys[0].key.bytes == Array("demo-only-cookie-key-replace-me!".utf8))
        #expect(config.claimsGathering.cookieKeys[1].key.bytes == Array(0..<32))
        #expect(config.claimsGathering.cookieName == "gw_session")
        #expect(config.claimsGathering.sessionLifetime == .seconds(1800))
        #expect(config.claimsGathering.pendingLifetime == .seconds(300))
        // The key never shows: not in /config's document, not when printed.
        #expect(!"\(config.redactedDocument)".contains(Self.key))
        #expect(!"\(config.claimsGathering)".contains("demo-only"))
    }

    @Test func pushedClaims() throws {
        let base = "    obtain_rpt: true\n    pushed_claims: bearer_token"
        let config = try ConfigTestSupport.load(ConfigTestSupport.config(serviceExtra: base))
        #expect(config.services[0].policy.claims.pushedClaimTokenFormat == ClaimsGatheringPolicy.idTokenFormat)
        let jwt = try ConfigTestSupport.load(
            ConfigTestSupport.config(
                serviceExtra: base + "\n    pushed_claims_format: urn:ietf:params:oauth:token-type:jwt"))
        #expect(jwt.services[0].policy.claims.pushedClaimTokenFormat == "urn:ietf:params:oauth:token-type:jwt")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let label: String
        let service: String
        let top: String
        let fieldPath: String
        let detail: String
        var testDescription: String { self.label }
    }

    static let bad: [Bad] = [
        Bad(
            label: "redirect without obtain_rpt",
            service: "    redirect_claim_gathering_url: true\n    claims_redirect_path: /cb", top: "",
            fieldPath: "services[0].redirect_claim_gathering_url", detail: "config.field_not_allowed"),
        Bad(
            label: "redirect without a path", service: "    obtain_rpt: true\n    redirect_claim_gathering_url: true",
            top: "", fieldPath: "services[0].claims_redirect_path", detail: "config.missing_field"),
        Bad(
            label: "path without redirect", service: "    obtain_rpt: true\n    claims_redirect_path: /cb", top: "",
            fieldPath: "services[0].claims_redirect_path", detail: "config.field_not_allowed"),
        Bad(
            label: "path not canonical",
            service: "    obtain_rpt: true\n    redirect_claim_gathering_url: true\n    claims_redirect_path: /a/../cb",
            top: Self.keys("    - {id: k, key: \(Self.key)}"), fieldPath: "services[0].claims_redirect_path",
            detail: "config.invalid_path"),
        Bad(
            label: "path with a query",
            service: "    obtain_rpt: true\n    redirect_claim_gathering_url: true\n    claims_redirect_path: /cb?x=1",
            top: Self.keys("    - {id: k, key: \(Self.key)}"), fieldPath: "services[0].claims_redirect_path",
            detail: "config.invalid_path"),
        Bad(
            label: "no claims_gathering section", service: Self.flow, top: "", fieldPath: "claims_gathering",
            detail: "config.missing_field"),
        Bad(
            label: "no keys", service: Self.flow, top: "claims_gathering:\n  cookie_name: x",
            fieldPath: "claims_gathering.cookie_keys", detail: "config.missing_field"),
        Bad(
            label: "key of 16 bytes", service: Self.flow,
            top: Self.keys("    - {id: k, key: AAECAwQFBgcICQoLDA0ODw==}"),
            fieldPath: "claims_gathering.cookie_keys[0].key", detail: "config.invalid_value"),
        Bad(
            label: "key not base64", service: Self.flow, top: Self.keys("    - {id: k, key: \"not base64!\"}"),
            fieldPath: "claims_gathering.cookie_keys[0].key", detail: "config.invalid_value"),
        Bad(
            label: "key id repeated", service: Self.flow,
            top: Self.keys("    - {id: k, key: \(Self.key)}\n    - {id: k, key: \(Self.key)}"),
            fieldPath: "claims_gathering.cookie_keys[1].id", detail: "config.invalid_value"),
        Bad(
            label: "key id with a space", service: Self.flow, top: Self.keys("    - {id: \"a b\", key: \(Self.key)}"),
            fieldPath: "claims_gathering.cookie_keys[0].id", detail: "config.invalid_value"),
        Bad(
            label: "cookie name with ;", service: Self.flow,
            top: Self.keys("    - {id: k, key: \(Self.key)}") + "\n  cookie_name: \"a;b\"",
            fieldPath: "claims_gathering.cookie_name", detail: "config.invalid_value"),
        Bad(
            label: "pushed claims without obtain_rpt", service: "    pushed_claims: bearer_token", top: "",
            fieldPath: "services[0].pushed_claims", detail: "config.field_not_allowed"),
        Bad(
            label: "pushed claims, unknown source", service: "    obtain_rpt: true\n    pushed_claims: cookie",
            top: "", fieldPath: "services[0].pushed_claims", detail: "config.invalid_value"),
        Bad(
            label: "format without pushed claims", service: "    obtain_rpt: true\n    pushed_claims_format: urn:x",
            top: "", fieldPath: "services[0].pushed_claims_format", detail: "config.field_not_allowed"),
        Bad(
            label: "format not a URI",
            service: "    obtain_rpt: true\n    pushed_claims: bearer_token\n    pushed_claims_format: id token",
            top: "", fieldPath: "services[0].pushed_claims_format", detail: "config.invalid_value"),
    ]

    @Test(arguments: Self.bad)
    func refused(_ row: Bad) throws {
        let error = try #require(
            ConfigTestSupport.error(ConfigTestSupport.config(serviceExtra: row.service, topExtra: row.top)))
        #expect(error.fieldPath == row.fieldPath, "\(error)")
        #expect(error.reason.rawValue == row.detail, "\(error)")
        #expect(!"\(error)".contains(Self.key))
    }
}
