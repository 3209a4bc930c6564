/// `services[].enforcement`: whether a service's decisions are applied or only reported.
public enum ServiceEnforcement: String, Sendable, Equatable, CaseIterable {
    /// Requests are answered as enforcement decides (401 + ticket, 403, 502, …). The default.
    case enforce
    /// Enforcement decides exactly as with `enforce` (introspection, check-access, tickets, caches), but a request
    /// it would refuse is forwarded all the same; the access log's `decision` reads `would_deny.<status>.<detail>`
    /// and `uma_pep_requests_total` counts it with `decision="would_deny"`. For side-by-side migration on mirrored
    /// traffic (Keycloak's policy enforcer calls this mode PERMISSIVE).
    case reportOnly = "report_only"
}

/// `readiness`: what `GET /readyz` on the admin listener requires besides a loaded configuration.
public struct ReadinessSettings: Sendable, Equatable {
    /// `require_authorization_server`: `/readyz` answers 503 while an authorization server (its `oxd_url` in oxd
    /// mode, its `op_url` in uma2 mode) does not accept TCP connections. Default `false`: reachability does not
    /// count (an unreachable server shows in the 502 answers and the `uma_pep_as_requests_total` outcomes).
    public let requireAuthorizationServer: Bool

    /// Creates readiness settings.
    public init(requireAuthorizationServer: Bool = false) {
        self.requireAuthorizationServer = requireAuthorizationServer
    }
}

extension IPAddress {
    /// Whether the address is a loopback address: `127.0.0.0/8`, `::1`, or `::ffff:127.0.0.0/104`
    /// (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3).
    public var isLoopback: Bool {
        let address = self.unmapped
        if !address.isIPv6 { return address.bytes[0] == 127 }
        return address.bytes[0..<15].allSatisfy { $0 == 0 } && address.bytes[15] == 1
    }
}

extension ConfigNode {
    /// The configuration document as JSON with secrets replaced by `"REDACTED"`: the values of `token` and of
    /// every key containing `secret` or `password` (any case: `client_secret`, `redis_password`, …); URLs in
    /// strings lose their `user:password@` and their query (``ConfigRedaction/url(_:)``). What `GET /config`
    /// serves.
    var redactedJSON: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .string(let text, _): return .string(text.contains("://") ? ConfigRedaction.url(text) : text)
        case .sequence(let items): return .array(items.map(\.redactedJSON))
        case .mapping(let members):
            var object: [String: JSONValue] = [:]
            for member in members {
                object[member.key] =
                    Self.isSecretKey(member.key) && member.value != .null
                    ? .string("REDACTED") : member.value.redactedJSON
            }
            return .object(object)
        }
    }

    /// Whether a mapping key names a secret.
    static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return lowered == "token" || lowered == "key" || lowered.contains("secret") || lowered.contains("password")
    }
}

extension ServiceConfiguration {
    /// The service's block of `check-config`'s report (`uma-pep check-config`), one line per element, for the
    /// admin API's `GET /services`.
    /// - Parameter mode: the mode of the service's authorization server (`nil` for a plain proxied service).
    public func checkReportLines(mode: AuthorizationServerConfiguration.Mode?) -> [String] {
        self.reportLines(mode: mode)
    }
}

extension RuleCondition {
    /// What the condition requires, as `check-config` words it: `public (no token check)`, `requires any of
    /// [view]; scope_expression …`, or who decides for a condition without scopes.
    /// - Parameter mode: the mode of the service's authorization server.
    public func requirementText(mode: AuthorizationServerConfiguration.Mode?) -> String {
        self.reportText(mode: mode)
    }
}
