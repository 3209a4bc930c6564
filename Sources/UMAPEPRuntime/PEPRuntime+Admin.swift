import Foundation
import PEPCore
import PEPMetrics
import PEPProxy

/// The answers of the admin API (``AdminAPI``), read from the configuration generation in force.
extension PEPRuntime {
    /// The product version (`uma-pep --version`, `GET /status`).
    public static let version = "0.1.0"

    /// `GET /status`.
    func adminStatus() -> JSONValue {
        let generation = self.generation.withLock { $0 }
        let configuration = generation.configuration
        let connections = self.connections.snapshot
        let requests = self.metrics.requestCounts()
        let notEnforcing = configuration.services.filter { $0.enforcement == .reportOnly }.map(\.name)
        var object: [String: JSONValue] = [
            "version": .string(Self.version),
            "started_at": .string(Self.timestamp(self.startedAt)),
            "uptime_seconds": .int(Int64(Date().timeIntervalSince(self.startedAt))),
            "workers": .int(Int64(self.startedWith.workerCount)),
            "ready": .bool(self.readiness.snapshot().ready),
            "connections": .object([
                "open": .int(Int64(connections.open)), "accepted": .int(Int64(connections.accepted)),
            ]),
            "requests": .object([
                "total": .int(Int64(truncatingIfNeeded: requests.total)),
                "would_deny": .object(requests.wouldDeny.mapValues { .int(Int64(truncatingIfNeeded: $0)) }),
            ]),
            "configuration": .object([
                "generation": .int(Int64(generation.number)),
                "loaded_at": .string(Self.timestamp(generation.loadedAt)),
                "file": .string(configuration.sourceFile),
            ]),
            "services": .object([
                "total": .int(Int64(configuration.services.count)),
                "not_enforcing": .array(notEnforcing.map(JSONValue.string)),
            ]),
        ]
        if !notEnforcing.isEmpty {
            object["warning"] = .string(
                "NOT ENFORCING (enforcement: report_only): \(notEnforcing.joined(separator: ", ")); requests they "
                    + "would deny are forwarded")
        }
        return .object(object)
    }

    /// `GET /config`: the configuration document in force, secrets `REDACTED`.
    func adminConfig() -> JSONValue {
        let generation = self.generation.withLock { $0 }
        return .object([
            "generation": .int(Int64(generation.number)),
            "file": .string(generation.configuration.sourceFile),
            "config": generation.configuration.redactedDocument,
        ])
    }

    /// `GET /services`: per service its routing, enforcement and rules, plus `check-config`'s lines.
    func adminServices() -> JSONValue {
        let configuration = self.generation.withLock { $0.configuration }
        let services = configuration.services.map { service -> JSONValue in
            let mode = service.authorizationServer.flatMap { configuration.authorizationServer(named: $0)?.mode }
            let rules = service.protectionDocument.rules.enumerated().map { index, rule -> JSONValue in
                .object([
                    "index": .int(Int64(index)), "path": .string(rule.path),
                    "conditions": .array(
                        rule.conditions.enumerated().map { conditionIndex, condition in
                            Self.conditionJSON(condition, index: conditionIndex, mode: mode)
                        }),
                ])
            }
            return .object([
                "name": .string(service.name),
                "hosts": .array(service.hosts.map { .string($0.description) }),
                "upstream": .string(service.upstream.description),
                "authorization_server": service.authorizationServer.map(JSONValue.string) ?? .null,
                "mode": mode.map { .string($0.rawValue) } ?? .null,
                "enforcement": .string(service.isPlain ? "none" : service.enforcement.rawValue),
                "deny_by_default": .bool(service.policy.denyByDefault),
                "near_miss": .string(service.nearMiss.rawValue),
                "rules": .array(rules),
                "report": .array(service.checkReportLines(mode: mode).map { .string($0) }),
            ])
        }
        return .object(["services": .array(services)])
    }

    static func conditionJSON(
        _ condition: RuleCondition, index: Int, mode: AuthorizationServerConfiguration.Mode?
    ) -> JSONValue {
        .object([
            "index": .int(Int64(index)),
            "http_methods": .array(condition.httpMethods.map(JSONValue.string)),
            "public": .bool(condition.isPublic),
            "scopes": .array(condition.requiredScopes.map(JSONValue.string)),
            "requires": .string(condition.requirementText(mode: mode)),
        ])
    }

    /// `GET /services/{name}/match?method=M&path=P`: canonicalizes `P` as the proxy does (`path_params`,
    /// `encoded_slashes`, `fold_case`) and resolves it with the service's own ``RuleResolver`` (exact match,
    /// `near_miss`, `HEAD` as `GET`), then says what the request needs.
    /// - Returns: `200` with the match; `404` for an unknown service; `400` for a missing `path` or a path the
    ///   proxy would refuse (with the refusal's detail).
    func adminMatch(service name: String, query: String?) -> (status: Int, body: JSONValue) {
        let generation = self.generation.withLock { $0 }
        let configuration = generation.configuration
        guard let index = configuration.services.firstIndex(where: { $0.name == name }),
            index < generation.driver.services.count
        else {
            return (404, .object(["message": .string("No service named '\(name)'")]))
        }
        let service = configuration.services[index]
        let parameters = Self.queryParameters(query)
        let method = parameters["method"] ?? "GET"
        guard let target = parameters["path"], !target.isEmpty else {
            return (400, .object(["message": .string("Give the request as ?method=GET&path=/some/path")]))
        }
        guard Self.isMethodToken(method) else {
            return (400, .object(["message": .string("'method' is not an HTTP method token")]))
        }
        let canonical: CanonicalTarget
        do {
            canonical = try CanonicalTarget.canonicalize(
                requestTarget: target, method: method, host: nil, options: generation.engine.options.canonical)
        } catch {
            return (
                400,
                .object([
                    "message": .string("the proxy refuses this path with 400 before matching"),
                    "detail": .string(error.detail),
                ])
            )
        }
        let context = generation.driver.services[index]
        let mode = service.authorizationServer.flatMap { configuration.authorizationServer(named: $0)?.mode }
        var object: [String: JSONValue] = [
            "service": .string(name),
            "enforcement": .string(service.isPlain ? "none" : service.enforcement.rawValue),
            "request": .object([
                "method": .string(method), "path": .string(canonical.path),
                "query": canonical.query.map(JSONValue.string) ?? .null,
            ]),
        ]
        guard !service.isPlain else {
            object["matched"] = .bool(false)
            object["rule"] = .null
            object["outcome"] = .string("plain proxied service: forwarded without a token check")
            return (200, .object(object))
        }
        guard let match = context.rules.resolve(method: method, path: canonical.path) else {
            object["matched"] = .bool(false)
            object["rule"] = .null
            object["outcome"] = .string(
                service.policy.denyByDefault
                    ? "no rule matches: refused (deny_by_default: true)"
                    : "no rule matches: forwarded (deny_by_default: false); a token, if sent, is introspected")
            return (200, .object(object))
        }
        let rule = service.protectionDocument.rules[match.ruleIndex]
        let condition = rule.conditions[match.conditionIndex]
        object["matched"] = .bool(true)
        object["rule"] = .object([
            "index": .int(Int64(match.ruleIndex)), "path": .string(match.pattern),
            "condition": Self.conditionJSON(condition, index: match.conditionIndex, mode: mode),
            "authorized_method": .string(match.authorizedMethod ?? method),
            "near_miss": match.nearMiss.map { .string($0.description) } ?? .null,
        ])
        object["outcome"] = .string(
            condition.isPublic
                ? "public: forwarded without a token check"
                : "protected: a token is needed; " + condition.requirementText(mode: mode))
        return (200, .object(object))
    }

    /// `GET /cache`: per cache its entries and counters since the generation was built.
    func adminCaches() -> JSONValue {
        let generation = self.generation.withLock { $0 }
        let driver = generation.driver
        func json(_ statistics: CacheStatistics) -> JSONValue {
            .object([
                "entries": .int(Int64(statistics.entries)), "pending": .int(Int64(statistics.pending)),
                "hits": .int(Int64(statistics.hits)), "misses": .int(Int64(statistics.misses)),
                "evictions": .int(Int64(statistics.evictions)), "expirations": .int(Int64(statistics.expirations)),
            ])
        }
        var workerIntrospectionHits = 0
        var workerDecisionHits = 0
        for cache in driver.workerCaches {
            workerIntrospectionHits += cache.introspectionHits.load(ordering: .relaxed)
            workerDecisionHits += cache.decisionHits.load(ordering: .relaxed)
        }
        return .object([
            "generation": .int(Int64(generation.number)),
            "caching_enabled": .bool(driver.cachingEnabled),
            "max_entries_per_cache": .int(Int64(generation.configuration.cache.maxEntries)),
            "caches": .object([
                "introspection": json(driver.introspections.statistics),
                "decision": json(driver.decisions.statistics),
                "upstream_headers": json(driver.upstreamHeaders.statistics),
                "worker_grant": .object([
                    "workers": .int(Int64(driver.workerCaches.count)),
                    "slots_per_worker": .int(Int64(WorkerGrantCache.capacity)),
                    "introspection_hits": .int(Int64(workerIntrospectionHits)),
                    "decision_hits": .int(Int64(workerDecisionHits)),
                ]),
            ]),
        ])
    }

    /// `POST /cache/flush` with body `{}` (or none), `{"service":"<name>"}` or `{"token":"<RPT>"}`.
    ///
    /// - all: every introspection, decision and upstream-header entry;
    /// - one service: its decision and upstream-header entries (introspections are per authorization server and
    ///   token, shared by services, and stay);
    /// - one token: every entry of that token (compared in the cache; never echoed or logged).
    ///
    /// Each also empties every worker's grant cache (``EnforcementDriver/flushWorkerCaches()``): entries there
    /// refill from the process-wide caches on the next request. In-flight calls are not cancelled.
    func adminFlush(body: [UInt8]) -> (status: Int, body: JSONValue) {
        let request: AdminFlushRequest
        switch AdminFlushRequest.parse(body) {
        case .success(let parsed): request = parsed
        case .failure(let message): return (400, .object(["message": .string(message.text)]))
        }
        let generation = self.generation.withLock { $0 }
        let driver = generation.driver
        var object: [String: JSONValue] = [:]
        let counts: (introspection: Int, decision: Int, headers: Int)
        switch request {
        case .all:
            // Grants first: the inline ones leave with their introspection records.
            let decisions = driver.decisions.removeValues(.all)
            counts = (
                driver.introspections.removeValues { _ in true }, decisions,
                driver.upstreamHeaders.removeValues { _ in true }
            )
            object["scope"] = .string("all")
        case .service(let name):
            guard generation.configuration.service(named: name) != nil else {
                return (404, .object(["message": .string("No service named '\(name)'")]))
            }
            counts = (
                0, driver.decisions.removeValues(.service(name)),
                driver.upstreamHeaders.removeValues { $0.service == name }
            )
            object["scope"] = .string("service")
            object["service"] = .string(name)
        case .token(let token):
            let decisions = driver.decisions.removeValues(.token(token))
            counts = (
                driver.introspections.removeValues { $0.holds(token: token) }, decisions,
                driver.upstreamHeaders.removeValues { $0.token == token }
            )
            object["scope"] = .string("token")
        }
        driver.flushWorkerCaches()
        object["flushed"] = .object([
            "introspection": .int(Int64(counts.introspection)), "decision": .int(Int64(counts.decision)),
            "upstream_headers": .int(Int64(counts.headers)), "worker_grant": .string("all"),
        ])
        self.logger.notice(
            "POST /cache/flush: caches flushed",
            metadata: [
                "scope": "\(object["scope"]?.stringValue ?? "")",
                "entries": "\(counts.introspection + counts.decision + counts.headers)",
            ])
        return (200, .object(object))
    }

    /// `name=value` pairs of a query string, percent-decoded (`+` stays a plus: paths may contain it).
    static func queryParameters(_ query: String?) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }

    /// An RFC 9110 §5.6.2 token.
    static func isMethodToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The body of `POST /cache/flush` (pure parsing, table-tested).
enum AdminFlushRequest: Equatable {
    case all
    case service(String)
    /// The token as the client sends it after `Bearer ` (a leading `Bearer ` is dropped).
    case token(String)

    struct Failure: Error, Equatable {
        let text: String
    }

    /// Parses `{}` / empty, `{"service":"…"}` or `{"token":"…"}`. The failure never contains the token.
    static func parse(_ body: [UInt8]) -> Result<AdminFlushRequest, Failure> {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .success(.all) }
        guard let value = try? JSONCodec.parse(body), case .object(let members) = value else {
            return .failure(Failure(text: #"The body must be a JSON object: {}, {"service":"…"} or {"token":"…"}"#))
        }
        let unknown = members.keys.filter { $0 != "service" && $0 != "token" }.sorted()
        guard unknown.isEmpty else {
            return .failure(Failure(text: "Unknown field '\(unknown[0])': use service or token"))
        }
        switch (members["service"], members["token"]) {
        case (nil, nil): return .success(.all)
        case (.string(let name)?, nil) where !name.isEmpty: return .success(.service(name))
        case (nil, .string(let token)?):
            var value = Substring(token)
            if value.count >= 7, value.prefix(7).lowercased() == "bearer " { value = value.dropFirst(7) }
            guard !value.isEmpty else { return .failure(Failure(text: "'token' is empty")) }
            return .success(.token(String(value)))
        case (.some, .some): return .failure(Failure(text: "Give either service or token, not both"))
        default: return .failure(Failure(text: "service and token must be non-empty strings"))
        }
    }
}
