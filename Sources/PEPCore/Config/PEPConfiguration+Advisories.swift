/// A finding about a configuration that loads and runs, but probably not as its author meant. `check-config`
/// prints them under "Warnings:"; `serve` logs each as a warning at start and after a SIGHUP reload.
public struct ConfigAdvisory: Sendable, Equatable, CustomStringConvertible {
    /// Where, in the form `ConfigError` uses: `services[0].uma_scope_expression[1].conditions[0].httpMethods`.
    public let fieldPath: String
    /// What will happen, and what to write instead.
    public let message: String

    /// `fieldPath: message`.
    public var description: String { "\(self.fieldPath): \(self.message)" }
}

extension PEPConfiguration {
    /// The demo's published cookie key (`demo-only-cookie-key-replace-me!`, the fallback in `Config/tutorial.yaml`).
    static let demoCookieKey = Array("demo-only-cookie-key-replace-me!".utf8)

    /// Non-fatal findings, in configuration order:
    /// - a non-public condition with the any-method `"?"` on a service whose authorization server is in `oxd`
    ///   mode. The rule matches every method locally, but `/uma-rs-check-access` is sent the request's real
    ///   method, for which oxd has no resource registered (the resource was registered for `?`): oxd answers
    ///   400 and the request gets 502 (SPEC Part B §2.4, "Methods"). `uma2` mode checks permissions by
    ///   resource id and is not affected.
    /// - with `fold_case: true`, a rule path with upper-case letters (in `{regex}` segments too, except after a
    ///   `\`, as in `\D`): request paths are lower-cased before matching, so those letters never match.
    /// - a service with `enforcement: report_only`: it forwards the requests it would refuse.
    /// - a `claims_redirect_path` that one of the service's rules also matches: the callback takes the path, so
    ///   that rule never applies to it; with `fold_case: true`, a `claims_redirect_path` with upper-case letters:
    ///   the lower-cased request path never equals it, so the callback is never served.
    /// - an `admin.token` written in the file instead of read from the environment (`${ADMIN_TOKEN}`).
    /// - a `claims_gathering.cookie_keys` key that is the demo's public one (`Config/tutorial.yaml` falls back to
    ///   it when `UMA_PEP_COOKIE_KEY` is unset): anyone can open and forge session cookies with it.
    public var advisories: [ConfigAdvisory] {
        var advisories: [ConfigAdvisory] = []
        for (index, key) in self.claimsGathering.cookieKeys.enumerated() where key.key.bytes == Self.demoCookieKey {
            advisories.append(
                ConfigAdvisory(
                    fieldPath: "claims_gathering.cookie_keys[\(index)].key",
                    message:
                        "this is the demo's public cookie key: anyone can forge session cookies with it. Outside the "
                        + "demo, set UMA_PEP_COOKIE_KEY to 32 random bytes (openssl rand -base64 32)"))
        }
        if self.admin.token != nil, !self.admin.tokenFromEnvironment {
            advisories.append(
                ConfigAdvisory(
                    fieldPath: "admin.token",
                    message:
                        "the admin token is written in the file: read it from the environment (token: ${ADMIN_TOKEN}) "
                        + "so the file can be shared without it"))
        }
        for (serviceIndex, service) in self.services.enumerated() where service.enforcement == .reportOnly {
            advisories.append(
                ConfigAdvisory(
                    fieldPath: "services[\(serviceIndex)].enforcement",
                    message:
                        "service '\(Self.printable(service.name))' is NOT ENFORCING (report_only): requests it would "
                        + "deny are forwarded and logged as would_deny; set enforcement: enforce to protect it"))
        }
        if self.foldCase {
            for (serviceIndex, service) in self.services.enumerated() {
                for (ruleIndex, rule) in service.protectionDocument.rules.enumerated()
                where Self.hasUppercaseLiteral(rule.path) {
                    advisories.append(
                        ConfigAdvisory(
                            fieldPath: "services[\(serviceIndex)].uma_scope_expression[\(ruleIndex)].path",
                            message:
                                "fold_case is on, so request paths are lower-cased before matching: this rule's "
                                + "upper-case letters never match. Write the path in lower case."))
                }
            }
        }
        for (serviceIndex, service) in self.services.enumerated() {
            let claims = service.policy.claims
            guard claims.redirectClaimGatheringURL, let callback = claims.claimsRedirectPath else { continue }
            let field = "services[\(serviceIndex)].claims_redirect_path"
            if self.foldCase, Self.hasUppercaseLiteral(callback) {
                advisories.append(
                    ConfigAdvisory(
                        fieldPath: field,
                        message:
                            "fold_case is on, so request paths are lower-cased before matching: this callback path's "
                            + "upper-case letters never match and the callback is never served. Write it in lower "
                            + "case (and register that URL at the authorization server)."))
            }
            let resolver = try? RuleResolver(
                document: service.protectionDocument, nearMiss: .off, denyByDefault: true)
            if let match = Self.callbackMethods.lazy.compactMap({ resolver?.resolve(method: $0, path: callback) })
                .first
            {
                let rule = service.protectionDocument.rules[match.ruleIndex].path
                advisories.append(
                    ConfigAdvisory(
                        fieldPath: field,
                        message:
                            "the rule '\(Self.printable(rule))' (uma_scope_expression[\(match.ruleIndex)]) also matches "
                            + "'\(Self.printable(callback))': the claims callback takes that path, so the rule never "
                            + "applies to it. Choose a callback path outside the service's rules."))
            }
        }
        for (serviceIndex, service) in self.services.enumerated() {
            let server = self.authorizationServers.first { $0.name == service.authorizationServer }
            guard server?.mode == .oxd else { continue }
            for (ruleIndex, rule) in service.protectionDocument.rules.enumerated() {
                for (conditionIndex, condition) in rule.conditions.enumerated()
                where !condition.isPublic && condition.httpMethods.contains("?") {
                    advisories.append(
                        ConfigAdvisory(
                            fieldPath: "services[\(serviceIndex)].uma_scope_expression[\(ruleIndex)]"
                                + ".conditions[\(conditionIndex)].httpMethods",
                            message:
                                "\"?\" matches every method here, but oxd's /uma-rs-check-access is asked with the "
                                + "request's real method and has no resource registered for it: such requests get "
                                + "502. List the methods (e.g. [GET, POST]), or use an authorization server in "
                                + "mode uma2."))
                }
            }
        }
        return advisories
    }

    /// The methods a claims callback path is checked against for rules it shadows (the callback answers them all).
    static let callbackMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    /// Whether a rule path has an ASCII upper-case letter that is not a regex escape (`\D`, `\W`, `\p{Lu}`…).
    static func hasUppercaseLiteral(_ path: String) -> Bool {
        var escaped = false
        for byte in path.utf8 {
            if escaped {
                escaped = false
                continue
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                return true
            }
        }
        return false
    }
}
