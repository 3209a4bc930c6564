import PEPCore

extension IntrospectionResult {
    /// Normalizes an RPT introspection response from oxd `/introspect-rpt` (SPEC §4.5) or an authorization server's
    /// introspection endpoint (RFC 7662 §2.2, UMA 2.0 FedAuthz §5.1.1, SPEC §5.9).
    ///
    /// - `active` must be a JSON boolean (`"true"` is rejected).
    /// - `exp`, `iat`, `nbf`: integers (seconds since the epoch), `null` or absent.
    /// - `client_id`, `sub`, `iss`: strings, `null` or absent.
    /// - `permissions`: array (or `null`/absent = none) of objects with `resource_id` (Keycloak: `rsid`),
    ///   `resource_scopes` (Keycloak: `scopes`; absent = none) and optional integer `exp`.
    /// - An inactive response (`"active":false`) is accepted whatever its other members hold (oxd fills them with
    ///   `null`); only `active` and `raw` are set.
    ///
    /// Whether an *active* result carries enough to be trusted (oxd mode needs `exp`, `iat`, `client_id`,
    /// `permissions`, SPEC §2.2 A4b) is the enforcement's decision; `raw` keeps the whole object.
    /// - Throws: `IntrospectionFormatError`.
    public init(introspectionResponse json: JSONValue) throws(IntrospectionFormatError) {
        guard let members = json.objectValue else { throw .notAnObject }
        guard let activeValue = members["active"] else { throw .missingField("active") }
        guard let active = activeValue.boolValue else { throw .invalidField("active") }
        guard active else {
            self.init(active: false, raw: json)
            return
        }
        var permissions: [Permission] = []
        switch members["permissions"] {
        case nil, .null?:
            break
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                permissions.append(try IntrospectionResult.permission(item, path: "permissions[\(index)]"))
            }
        default:
            throw .invalidField("permissions")
        }
        self.init(
            active: true,
            exp: try IntrospectionResult.numericDate(members["exp"], path: "exp", roundUp: false),
            iat: try IntrospectionResult.numericDate(members["iat"], path: "iat", roundUp: false),
            nbf: try IntrospectionResult.numericDate(members["nbf"], path: "nbf", roundUp: true),
            clientId: try IntrospectionResult.optionalString(members["client_id"], path: "client_id"),
            sub: try IntrospectionResult.optionalString(members["sub"], path: "sub"),
            iss: try IntrospectionResult.optionalString(members["iss"], path: "iss"),
            permissions: permissions,
            raw: json)
    }

    private static func permission(_ item: JSONValue, path: String) throws(IntrospectionFormatError) -> Permission {
        guard let members = item.objectValue else { throw .invalidField(path) }
        let idValue =
            IntrospectionResult.present(members["resource_id"]) ?? IntrospectionResult.present(members["rsid"])
        guard let idValue else { throw .missingField("\(path).resource_id") }
        guard let resourceId = idValue.stringValue else { throw .invalidField("\(path).resource_id") }
        var scopes: [String] = []
        let scopesName = IntrospectionResult.present(members["resource_scopes"]) != nil ? "resource_scopes" : "scopes"
        if let scopesValue = IntrospectionResult.present(members[scopesName]) {
            guard let items = scopesValue.arrayValue else { throw .invalidField("\(path).\(scopesName)") }
            for scope in items {
                guard let name = scope.stringValue else { throw .invalidField("\(path).\(scopesName)") }
                scopes.append(name)
            }
        }
        let exp = try IntrospectionResult.numericDate(members["exp"], path: "\(path).exp", roundUp: false)
        return Permission(resourceId: resourceId, scopes: scopes, exp: exp)
    }

    /// `nil` for an absent member or JSON `null`.
    private static func present(_ value: JSONValue?) -> JSONValue? {
        if case .null? = value { return nil }
        return value
    }

    /// A NumericDate (RFC 7519 §2: seconds since the epoch, "non-integer values can be represented"): whole
    /// seconds, rounded towards the safe side (`exp`, `iat` down; `nbf` up); `nil` when absent or `null`.
    private static func numericDate(_ value: JSONValue?, path: String, roundUp: Bool) throws(IntrospectionFormatError)
        -> Int64?
    {
        guard let value = IntrospectionResult.present(value) else { return nil }
        if let number = value.intValue { return number }
        guard case .double(let seconds) = value, seconds.isFinite, abs(seconds) < 9.0e18 else {
            throw .invalidField(path)
        }
        return Int64(roundUp ? seconds.rounded(.up) : seconds.rounded(.down))
    }

    private static func optionalString(_ value: JSONValue?, path: String) throws(IntrospectionFormatError) -> String? {
        guard let value = IntrospectionResult.present(value) else { return nil }
        guard let text = value.stringValue else { throw .invalidField(path) }
        return text
    }
}
