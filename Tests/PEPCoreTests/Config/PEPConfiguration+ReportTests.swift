import Foundation
import Testing

@testable import PEPCore

@Suite struct PEPConfigurationReportTests {
    /// The check-config report lists listeners, services with hosts → upstream, the authorization server, and
    /// every rule with methods and scopes or public, without the client secret.
    @Test func tutorialReport() throws {
        let config = try ConfigTestSupport.load(
            try ConfigTestSupport.fixture("tutorial.yaml"), environment: ["CLIENT_SECRET": "TOPSECRET-123"],
            file: "tutorial.yaml")
        let report = config.checkReport()
        #expect(report.hasPrefix("Configuration tutorial.yaml is valid."))
        #expect(report.contains("  127.0.0.1:8000 (http)"))
        #expect(report.contains("Admin: 127.0.0.1:8001"))
        #expect(report.contains("  dev: mode oxd"))
        #expect(report.contains("client_secret: REDACTED"))
        #expect(!report.contains("TOPSECRET-123"))
        #expect(report.contains("hosts: claim-gathering.example.com -> http://127.0.0.1:9000"))
        #expect(
            report.contains(
                "GET, POST (and HEAD, as GET): requires any of [claims_read]; scope_expression (claims_read)"))
        #expect(report.contains("      /todos\n        GET (and HEAD, as GET): requires any of [read]"))
        #expect(report.contains("near_miss protect (no effect: deny_by_default refuses unmatched requests)"))
        #expect(report.contains("      /public/??\n        ?: public (no token check)"))
        #expect(report.contains("header x-oauth-client-id = introspect_data.client_id (string)"))
    }

    /// A condition without scopes says who decides in each mode.
    @Test func scopeLessCondition() throws {
        let text = """
            authorization_servers:
              o: {oxd_url: https://oxd.example, op_url: https://op.example, oxd_id: i, client_id: c, client_secret: s}
              u: {mode: uma2, op_url: https://as.example, client_id: c, client_secret: s}
            services:
              - name: viaoxd
                url: http://127.0.0.1:9001
                hosts: [oxd.example.com]
                authorization_server: o
                uma_scope_expression: '[{"path":"/s","conditions":[{"httpMethods":["GET"]}]}]'
              - name: viauma2
                url: http://127.0.0.1:9002
                hosts: [uma2.example.com]
                authorization_server: u
                uma_scope_expression: '[{"path":"/s","conditions":[{"httpMethods":["GET"]}]}]'
            """
        let report = try ConfigTestSupport.load(text).checkReport()
        #expect(
            report.contains(
                "      /s\n        GET (and HEAD, as GET): no scopes: oxd's /uma-rs-check-access decides for the resource\n"
            ))
        #expect(
            report.contains(
                "      /s\n        GET (and HEAD, as GET): no scopes: any permission for the resource grants; tickets name no scopes\n"
            ))
    }

    /// The consumers line says whether a matching consumer is merely mapped or required.
    @Test func consumersLine() throws {
        let text = ConfigTestSupport.config(topExtra: "consumers: [{id: k1, custom_id: c1}]")
        #expect(
            try ConfigTestSupport.load(text).checkReport().contains(
                "Consumers: 1 (consumer_mapping false: a token whose client_id is a consumer's custom_id is mapped to "
                    + "it; a token without one is accepted)"))
        let required = try ConfigTestSupport.load(
            ConfigTestSupport.config(topExtra: "consumer_mapping: true\nconsumers: [{id: k1, custom_id: c1}]"))
        #expect(required.checkReport().contains("a token without one gets 401 Unknown consumer)"))
        #expect(
            try ConfigTestSupport.load(ConfigTestSupport.config()).checkReport().contains(
                "Consumers: 0 (consumer_mapping false)\n"))
    }

    /// A plain proxied service says it is forwarded without a token check, in the report and the log line.
    @Test func plainService() throws {
        let text =
            ConfigTestSupport.config() + "\n  - {name: site, url: http://127.0.0.1:9000, hosts: [www.example.com]}"
        let config = try ConfigTestSupport.load(text)
        #expect(
            config.checkReport().hasSuffix(
                "  site\n    hosts: www.example.com -> http://127.0.0.1:9000\n"
                    + "    authorization server: none (plain proxied service: every request is forwarded without a "
                    + "token check)\n    pass_credentials pass, preserve_host false\n"))
        #expect(
            config.redactedDescription.contains("site(hosts=www.example.com upstream=http://127.0.0.1:9000 as=none"))
    }

    /// Each service says what `near_miss` does for it.
    @Test func nearMissLine() throws {
        for (options, expected) in [
            (
                "deny_by_default: false",
                "    near_miss protect: an unmatched request that matches a protected rule after folding case or "
                    + "dropping one trailing slash is enforced as that rule"
            ),
            (
                "deny_by_default: false, near_miss: off",
                "    near_miss off: unmatched requests are forwarded unchecked, even when they match a protected "
                    + "rule after folding case or dropping one trailing slash"
            ),
            ("near_miss: off", "    near_miss off (no effect: deny_by_default refuses unmatched requests)"),
        ] {
            let text = ConfigTestSupport.config(
                serviceExtra: options.split(separator: ",").map { "    " + $0.trimmingCharacters(in: .whitespaces) }
                    .joined(separator: "\n"))
            let report = try ConfigTestSupport.load(text).checkReport()
            #expect(report.contains(expected + "\n"), "\(options)")
        }
    }

    /// The log description is one line and never carries the secret.
    @Test func redactedDescription() throws {
        let config = try ConfigTestSupport.load(
            try ConfigTestSupport.fixture("tutorial.yaml"), environment: ["CLIENT_SECRET": "TOPSECRET-123"])
        let line = config.redactedDescription
        #expect(!line.contains("\n"))
        #expect(!line.contains("TOPSECRET-123"))
        #expect(line.contains("client_secret=REDACTED"))
        #expect(line.contains("non-claim-gathering(hosts=non-claim-gathering.example.com"))
        #expect(!"\(config.authorizationServers[0])".contains("TOPSECRET-123"))
    }

    /// Configured strings cannot inject lines into the report.
    @Test func controlCharactersAreEscaped() {
        #expect(PEPConfiguration.printable("a\nb\\c") == "a\\u{a}b\\\\c")
    }

    /// A reload's "limits changed" warning names the fields that differ, in report order.
    @Test func changedLimitFieldsAreNamed() {
        let old = ProxyLimits()
        let new = ProxyLimits(idleTimeout: .seconds(5), uncachedRequestsPerTurn: 2)
        #expect(new.changedFields(comparedTo: old) == ["idle_timeout", "uncached_requests_per_turn"])
        #expect(old.changedFields(comparedTo: old).isEmpty)
    }

    /// Every `ProxyLimits` field is reported once: one missing from `reportFields` would be absent from
    /// `check-config` and never named by a reload (a change to it alone would warn "limits changed ()").
    @Test func everyLimitIsReported() {
        let limits = ProxyLimits()
        let names = limits.reportFields.map(\.0)
        #expect(names.count == Mirror(reflecting: limits).children.count)
        #expect(Set(names).count == names.count)
    }

    /// Scope rules render as infix text with scope names.
    @Test func scopeRuleText() {
        let rule = ScopeRule.and([.variable(0), .or([.variable(1), .not(.variable(2))])])
        #expect(rule.reportText(data: ["admin", "employee", "customer"]) == "(admin and (employee or not customer))")
    }
}
