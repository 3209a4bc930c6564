extension PEPConfiguration {
    /// What `uma-pep check-config FILE` prints on success: listeners, limits, authorization servers (secrets
    /// shown as `REDACTED`), per service its hosts → upstream and every rule with its methods and the scopes it
    /// requires (or `public`), then `advisories` under "Warnings:" if there are any. Multi-line, ends with a
    /// newline. Control characters in configured strings are escaped.
    public func checkReport() -> String {
        var lines: [String] = ["Configuration \(Self.printable(self.sourceFile)) is valid.", "", "Listeners:"]
        for listener in self.listeners {
            var line = "  \(listener.address) "
            if let tls = listener.tls {
                line += tls.clientCAPath == nil ? "(https" : "(https, client certificate required"
                line += tls.additionalCertificates.isEmpty ? ")" : ", \(tls.certificates.count) certificates by SNI)"
            } else {
                line += "(http)"
            }
            lines.append(line)
        }
        lines.append(
            "Admin: \(self.admin.listen) ("
                + (self.admin.token == nil
                    ? "no token: POST /cache/flush and POST /reload are refused)" : "token REDACTED)"))
        if self.readiness.requireAuthorizationServer {
            lines.append("Readiness: /readyz fails while an authorization server is unreachable")
        }
        lines.append("Workers: \(self.workerCount)")
        lines.append("Limits:")
        let fields = self.limits.reportFields.map { "\($0.0) \($0.1)" }
        for start in stride(from: 0, to: fields.count, by: 4) {
            lines.append("  " + fields[start..<min(start + 4, fields.count)].joined(separator: ", "))
        }
        lines.append(
            "Cache: max_entries \(self.cache.maxEntries), max_ttl \(ConfigDuration.format(self.cache.maxTTL)), "
                + "negative_ttl \(ConfigDuration.format(self.cache.negativeTTL)), "
                + "ttl_without_exp \(ConfigDuration.format(self.cache.ttlWithoutExp)), "
                + "clock_skew \(ConfigDuration.format(self.cache.clockSkew))")
        if let redis = self.cache.redis {
            lines.append(
                "Shared cache: \(redis), timeout \(ConfigDuration.format(redis.timeout)), connect_timeout "
                    + "\(ConfigDuration.format(redis.connectTimeout)), max_backoff \(ConfigDuration.format(redis.maxBackoff)), "
                    + "max_pending \(redis.maxPending)")
        }
        lines.append("Consumers: \(self.consumers.count) (\(self.consumerMappingReport))")
        let proxies = self.trustedProxies.map(\.description).joined(separator: ", ")
        lines.append("Trusted proxies: \(proxies.isEmpty ? "none" : proxies)")
        lines.append(
            "Paths: path_params \(self.pathParams.rawValue), encoded_slashes \(self.encodedSlashes.rawValue), "
                + "fold_case \(self.foldCase); trust_request_id \(self.trustRequestId)")
        if self.accessLog.enabled {
            lines.append(
                "Access log: \(self.accessLog.destination), \(self.accessLog.format.rawValue), buffer "
                    + "\(self.accessLog.bufferBytes) bytes, flush \(ConfigDuration.format(self.accessLog.flushInterval))"
            )
        } else {
            lines.append("Access log: off")
        }
        if !self.claimsGathering.cookieKeys.isEmpty {
            let ids = self.claimsGathering.cookieKeys.map { Self.printable($0.id) }
            lines.append(
                "Claims gathering: cookie \(self.claimsGathering.cookieName) (AES-256-GCM, HttpOnly, SameSite=Lax, "
                    + "Secure behind TLS), keys \(ids.joined(separator: ", ")) (new cookies use \(ids[0]); values "
                    + "REDACTED), session_lifetime \(ConfigDuration.format(self.claimsGathering.sessionLifetime)), "
                    + "pending_lifetime \(ConfigDuration.format(self.claimsGathering.pendingLifetime))")
        }
        lines.append("")
        lines.append("Authorization servers:")
        for server in self.authorizationServers {
            lines.append("  \(server.name): mode \(server.mode.rawValue)")
            if let oxdURL = server.oxdURL { lines.append("    oxd_url: \(Self.printable(oxdURL))") }
            lines.append("    op_url: \(Self.printable(server.opURL))")
            if let oxdId = server.oxdId { lines.append("    oxd_id: \(Self.printable(oxdId))") }
            lines.append("    client_id: \(Self.printable(server.clientId))")
            lines.append("    client_secret: \(server.clientSecret)")
            lines.append(
                "    timeouts: connect \(ConfigDuration.format(server.connectTimeout)), "
                    + "total \(ConfigDuration.format(server.timeout))"
                    + (server.insecureSkipVerify ? "; TLS verification DISABLED" : ""))
        }
        lines.append("")
        lines.append("Services:")
        for service in self.services {
            let mode = service.authorizationServer.flatMap { self.authorizationServer(named: $0)?.mode }
            lines += service.reportLines(mode: mode)
        }
        let advisories = self.advisories
        if !advisories.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            for advisory in advisories { lines.append("  \(Self.printable(advisory.description))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A one-line summary for logs: no secrets (`client_secret=REDACTED`), no protection rules.
    public var redactedDescription: String {
        let listeners = self.listeners.map { "\($0.address)\($0.tls == nil ? "" : "+tls")" }.joined(separator: ",")
        let servers = self.authorizationServers.map { server in
            "\(server.name)(\(server.mode.rawValue) op_url=\(Self.printable(server.opURL)) "
                + "client_id=\(Self.printable(server.clientId)) client_secret=\(server.clientSecret))"
        }.joined(separator: ",")
        let services = self.services.map { service in
            "\(service.name)(hosts=\(service.hosts.map(\.description).joined(separator: "|")) "
                + "upstream=\(service.upstream) as=\(service.authorizationServer ?? "none") "
                + "rules=\(service.protectionDocument.rules.count))"
        }.joined(separator: ",")
        return "config \(Self.printable(self.sourceFile)): listeners=[\(listeners)] admin=\(self.admin.listen) "
            + "workers=\(self.workerCount) authorization_servers=[\(servers)] services=[\(services)]"
    }

    /// What `consumers` and `consumer_mapping` do together, for the report's `Consumers:` line.
    var consumerMappingReport: String {
        switch (self.consumers.isEmpty, self.consumerMapping) {
        case (true, false):
            return "consumer_mapping false"
        case (true, true):
            return "consumer_mapping true: none are listed, so every active token gets 401 Unknown consumer"
        case (false, false):
            return "consumer_mapping false: a token whose client_id is a consumer's custom_id is mapped to it; "
                + "a token without one is accepted"
        case (false, true):
            return "consumer_mapping true: a token whose client_id is a consumer's custom_id is mapped to it; "
                + "a token without one gets 401 Unknown consumer"
        }
    }

    /// `text` with control characters and `\` escaped, so a configured value cannot forge report lines.
    static func printable(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                output += "\\u{\(String(scalar.value, radix: 16))}"
            } else if scalar == "\\" {
                output += "\\\\"
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}

extension ProxyLimits {
    /// The `limits` fields (configuration names, in report order) whose values differ in `other`: what a reload
    /// that needs a restart names.
    public func changedFields(comparedTo other: ProxyLimits) -> [String] {
        zip(self.reportFields, other.reportFields).filter { pair in pair.0.1 != pair.1.1 }.map { pair in pair.0.0 }
    }

    /// `(field, value)` pairs in configuration syntax, for reports.
    var reportFields: [(String, String)] {
        [
            ("max_header_bytes", "\(self.maxHeaderBytes)"), ("max_headers_count", "\(self.maxHeadersCount)"),
            ("max_body_bytes", "\(self.maxBodyBytes)"),
            ("max_connections_per_worker", "\(self.maxConnectionsPerWorker)"),
            ("max_connections_per_ip", "\(self.maxConnectionsPerIP)"),
            ("header_timeout", ConfigDuration.format(self.headerTimeout)),
            ("idle_timeout", ConfigDuration.format(self.idleTimeout)),
            ("send_timeout", ConfigDuration.format(self.sendTimeout)),
            ("drain_timeout", ConfigDuration.format(self.drainTimeout)),
            ("upstream_connect_timeout", ConfigDuration.format(self.upstreamConnectTimeout)),
            ("upstream_read_timeout", ConfigDuration.format(self.upstreamReadTimeout)),
            ("upstream_max_idle", "\(self.upstreamMaxIdle)"),
            ("upstream_idle_timeout", ConfigDuration.format(self.upstreamIdleTimeout)),
            ("upstream_max_requests", "\(self.upstreamMaxRequests)"),
            ("max_pending_authorization_calls", "\(self.maxPendingAuthorizationCalls)"),
            ("cache_misses_per_ip_per_second", "\(self.cacheMissesPerIPPerSecond)"),
            ("uncached_requests_per_turn", "\(self.uncachedRequestsPerTurn)"),
            ("uncached_requests_per_second", "\(self.uncachedRequestsPerSecond)"),
            ("control_plane_nice", "\(self.controlPlaneNice)"),
            ("max_websocket_tunnels", "\(self.maxWebSocketTunnels)"),
            ("websocket_idle_timeout", ConfigDuration.format(self.webSocketIdleTimeout)),
        ]
    }
}

extension ServiceConfiguration {
    /// The service's block of `checkReport()`.
    /// - Parameter mode: the mode of the service's authorization server (`nil` for a plain proxied service).
    func reportLines(mode: AuthorizationServerConfiguration.Mode?) -> [String] {
        let printable = PEPConfiguration.printable
        let policy = self.policy
        var lines = ["  \(self.name)"]
        lines.append("    hosts: \(self.hosts.map(\.description).joined(separator: ", ")) -> \(self.upstream)")
        guard let authorizationServer = policy.authorizationServer else {
            lines.append(
                "    authorization server: none (plain proxied service: every request is forwarded without a token check)"
            )
            lines.append("    pass_credentials \(policy.passCredentials.rawValue), preserve_host \(self.preserveHost)")
            if self.upstreamTLS.insecureSkipVerify { lines.append("    upstream TLS verification DISABLED") }
            return lines
        }
        lines.append("    authorization server: \(authorizationServer)")
        if self.enforcement == .reportOnly {
            lines.append(
                "    enforcement report_only: NOT ENFORCING (requests it would deny are forwarded, logged and counted "
                    + "as would_deny)")
        }
        lines.append(
            "    deny_by_default \(policy.denyByDefault), pass_credentials \(policy.passCredentials.rawValue), "
                + "ticket_on_insufficient_scope \(policy.ticketOnInsufficientScope), preserve_host \(self.preserveHost)"
        )
        lines.append("    " + self.nearMissReportText)
        let claims = policy.claims
        if claims.redirectClaimGatheringURL, let callback = claims.claimsRedirectPath {
            lines.append(
                "    obtain_rpt: without a token the gateway asks for the RPT itself; need_info redirects (302) to "
                    + "the claims-gathering page, callback \(printable(callback)) (session in the encrypted cookie)")
        } else if claims.obtainRPT {
            lines.append(
                "    obtain_rpt: without a token the gateway asks for the RPT itself; need_info is refused (403: "
                    + "redirect_claim_gathering_url is off)")
        }
        if let format = claims.pushedClaimTokenFormat {
            lines.append(
                "    pushed_claims: the bearer token is pushed as the claim token (\(printable(format))), never "
                    + "introspected as an RPT")
        }
        if self.upstreamTLS.insecureSkipVerify { lines.append("    upstream TLS verification DISABLED") }
        for header in policy.customHeaders {
            var line = "    header \(printable(header.headerName)) = \(printable(header.expression.expressionText))"
            if let format = header.format { line += " (\(format.rawValue))" }
            if header.iterate { line += " (iterate)" }
            lines.append(line)
        }
        guard !self.protectionDocument.rules.isEmpty else {
            lines.append("    rules: none (every request is unprotected; deny_by_default decides)")
            return lines
        }
        lines.append("    rules:")
        for rule in self.protectionDocument.rules {
            lines.append("      \(printable(rule.path))")
            let headAsGet = !rule.conditions.contains { $0.httpMethods.contains("HEAD") }
            for condition in rule.conditions {
                var methods = condition.httpMethods.joined(separator: ", ")
                if headAsGet, condition.httpMethods.contains("GET") { methods += " (and HEAD, as GET)" }
                lines.append("        \(methods): \(condition.reportText(mode: mode))")
            }
        }
        return lines
    }

    /// The `near_miss` line: the setting and what it does for this service.
    var nearMissReportText: String {
        guard !self.policy.denyByDefault else {
            return "near_miss \(self.nearMiss.rawValue) (no effect: deny_by_default refuses unmatched requests)"
        }
        switch self.nearMiss {
        case .protect:
            return "near_miss protect: an unmatched request that matches a protected rule after folding case or "
                + "dropping one trailing slash is enforced as that rule"
        case .off:
            return "near_miss off: unmatched requests are forwarded unchecked, even when they match a protected "
                + "rule after folding case or dropping one trailing slash"
        }
    }
}

extension RuleCondition {
    /// `public (no token check)`, or the required scopes, expression and ticket scopes. A condition without scopes
    /// says who decides: oxd's check-access, or (uma2) any permission for the resource.
    func reportText(mode: AuthorizationServerConfiguration.Mode?) -> String {
        let printable = PEPConfiguration.printable
        if self.isPublic { return "public (no token check)" }
        if self.requiredScopes.isEmpty {
            return mode == .oxd
                ? "no scopes: oxd's /uma-rs-check-access decides for the resource"
                : "no scopes: any permission for the resource grants; tickets name no scopes"
        }
        var text = "requires any of [\(self.requiredScopes.map(printable).joined(separator: ", "))]"
        if let expression = self.scopeExpression {
            text += "; scope_expression \(expression.rule.reportText(data: expression.data))"
        }
        let ticketScopes = self.effectiveTicketScopes
        if ticketScopes != self.requiredScopes {
            text += "; ticket scopes [\(ticketScopes.map(printable).joined(separator: ", "))]"
        }
        return text
    }
}

extension ScopeRule {
    /// Infix text with scope names, e.g. `(admin and (employee or customer))`.
    func reportText(data: [String]) -> String {
        switch self {
        case .variable(let index):
            return data.indices.contains(index) ? PEPConfiguration.printable(data[index]) : "var \(index)"
        case .literal(let value): return "\(value)"
        case .not(let operand): return "not \(operand.reportText(data: data))"
        case .and(let operands):
            return "(" + operands.map { $0.reportText(data: data) }.joined(separator: " and ") + ")"
        case .or(let operands):
            return "(" + operands.map { $0.reportText(data: data) }.joined(separator: " or ") + ")"
        }
    }
}
