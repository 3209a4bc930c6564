import PEPCore

/// Inputs shared by the PEPCore micro benchmarks: protection documents of a given size, tokens, a policy and
/// warm caches shaped like the ones `EnforcementDriver` (UMAPEPRuntime) keeps.
enum BenchFixtures {
    /// Seconds since the epoch used as "now" by every enforcement benchmark.
    static let now: Int64 = 1_700_000_000
    static let serviceName = "bench"
    static let authorizationServer = "dev"

    /// A protection document with `count` rules, the shapes seen in Gluu Gateway configurations:
    /// `/api/v1/r<i>/??` (GET read, POST/PUT write), every 4th rule `/api/v1/r<i>/?/items` (GET read) and every
    /// 10th `/api/v2/r<i>` (any method, read). Rule `count - 1` is always `/api/v1/r<count-1>/??`, the one the
    /// matcher benchmarks hit, so the walk crosses the widest literal fan-out.
    static func document(rules count: Int) -> ProtectionDocument {
        var rules: [ResourceRule] = []
        rules.reserveCapacity(count)
        for index in 0..<count {
            let path: String
            let conditions: [RuleCondition]
            if index == count - 1 || (index % 4 != 1 && index % 10 != 3) {
                path = "/api/v1/r\(index)/??"
                conditions = [
                    RuleCondition(httpMethods: ["GET"], scopes: ["read"]),
                    RuleCondition(httpMethods: ["POST", "PUT"], scopes: ["write"]),
                ]
            } else if index % 4 == 1 {
                path = "/api/v1/r\(index)/?/items"
                conditions = [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]
            } else {
                path = "/api/v2/r\(index)"
                conditions = [RuleCondition(httpMethods: ["?"], scopes: ["read"])]
            }
            rules.append(ResourceRule(path: path, conditions: conditions))
        }
        return ProtectionDocument(rules: rules)
    }

    /// The request path that hits the last rule of `document(rules:)` through its `??` tail.
    static func hitPath(rules count: Int) -> String { "/api/v1/r\(count - 1)/42/items/7" }

    /// The load harness's document: `/`, `/4k`, `/64k` and `/api/??` (GET read) plus one regex rule.
    static let loadDocument = ProtectionDocument(rules: [
        ResourceRule(path: "/", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(path: "/4k", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(path: "/64k", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(path: "/api/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
        ResourceRule(path: "/users/{[0-9]+}/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["read"])]),
    ])

    /// A token of `length` b64token characters, distinct per `index` (dev-AS RPTs are ~40–700 bytes).
    static func token(_ index: Int, length: Int = 64) -> String {
        let head = "rpt-\(index)-"
        return head + String(repeating: "x", count: max(0, length - head.utf8.count))
    }

    /// An active introspection result like the dev AS returns for a `read` RPT.
    static func introspection(clientId: String = "bench-client") -> IntrospectionResult {
        let exp = Self.now + 3_600
        let raw: JSONValue = .object([
            "active": .bool(true), "exp": .int(exp), "iat": .int(Self.now - 10), "client_id": .string(clientId),
            "permissions": .array([
                .object([
                    "resource_id": .string("res-1"), "resource_scopes": .array([.string("read")]),
                    "exp": .int(exp),
                ])
            ]),
        ])
        return IntrospectionResult(
            active: true, exp: exp, iat: Self.now - 10, clientId: clientId,
            permissions: [IntrospectionResult.Permission(resourceId: "res-1", scopes: ["read"], exp: exp)],
            raw: raw)
    }

    /// The oxd-mode policy of the load harness's service (no custom headers, `pass_credentials: pass`).
    static let policy = EnforcementPolicy(
        service: ServicePolicy(
            serviceName: Self.serviceName, authorizationServer: Self.authorizationServer, denyByDefault: false),
        mode: .oxd)

    static func decisionKey(_ match: RuleMatch, method: String, token: String) -> DecisionCacheKey {
        DecisionCacheKey(
            service: Self.serviceName, authorizationServer: Self.authorizationServer, ruleIndex: match.ruleIndex,
            conditionIndex: match.conditionIndex, method: method, token: token)
    }
}
