/// Decoding of RPT introspection answers: oxd `/introspect-rpt` (Part B §4.5) and the UMA 2.0 / RFC 7662
/// introspection endpoint (Part B §5.9, UMA 2.0 FedAuthz §5.1.1).
///
/// Accepted: status 200 and a JSON object whose `active` is a JSON boolean. `{"active":"true"}` (a string),
/// a missing `active`, or a member of the wrong type (`exp: "soon"`, a permission without a resource id) is
/// refused, so a malformed answer can never be mistaken for an active token (SECURITY.md case 20).
/// Presence of `iat`, `client_id` and `permissions` on an active token is the state machine's check
/// (A4b, `hasRequiredMembers`), not the decoder's; so are `exp` and `nbf` (`TokenLifetime`). Keycloak permission items (`rsid`, `scopes`) are normalized
/// to `resource_id` / `resource_scopes`; `raw` keeps the object as received.
extension IntrospectionResult {
    /// Decodes an introspection HTTP answer.
    /// - Parameters:
    ///   - status: the HTTP status (anything but 200 → `.unexpectedStatus`).
    ///   - body: the raw body bytes.
    /// - Returns: the result, or why the answer is unusable.
    public static func decode(
        status: Int,
        body: some Collection<UInt8>
    ) -> Result<IntrospectionResult, AuthorizationServerError> {
        guard status == 200 else { return .failure(.unexpectedStatus(status)) }
        return JSONBody.parse(body).flatMap { Self.decode(json: $0) }
    }

    /// Converts a parsed introspection object.
    /// - Parameter json: the JSON value of the answer.
    /// - Returns: the result, `.malformedBody` when it is not an object, or `.invalidMember(name)`.
    public static func decode(json: JSONValue) -> Result<IntrospectionResult, AuthorizationServerError> {
        guard let members = json.objectValue else { return .failure(.malformedBody) }
        guard let active = members["active"]?.boolValue else { return .failure(.invalidMember("active")) }
        guard active else { return .success(IntrospectionResult(active: false, raw: json)) }
        do {
            return .success(
                IntrospectionResult(
                    active: true,
                    exp: try Self.integer(members, "exp"),
                    iat: try Self.integer(members, "iat"),
                    nbf: try Self.integer(members, "nbf"),
                    clientId: try Self.string(members, "client_id"),
                    sub: try Self.string(members, "sub"),
                    iss: try Self.string(members, "iss"),
                    permissions: try Self.permissions(members["permissions"]),
                    raw: json
                )
            )
        } catch {
            return .failure(error)
        }
    }

    /// A4b: an active result must carry `iat`, `client_id` and a `permissions` array (Part B §2.2).
    /// `raw` must therefore be the received object (an empty permissions array is fine). `exp` is optional
    /// (RFC 7662 §2.2): without it the result is cached for at most `cache.ttl_without_exp` (`CacheTTL`); the
    /// reference refused such tokens (502).
    public var hasRequiredMembers: Bool {
        self.iat != nil && self.clientId != nil
            && (self.receivedPermissionsArray ?? (self.raw["permissions"]?.arrayValue != nil))
    }

    private static func integer(
        _ members: [String: JSONValue],
        _ name: String
    ) throws(AuthorizationServerError) -> Int64? {
        guard let value = members[name], value != .null else { return nil }
        guard let integer = value.intValue else { throw .invalidMember(name) }
        return integer
    }

    private static func string(
        _ members: [String: JSONValue],
        _ name: String
    ) throws(AuthorizationServerError) -> String? {
        guard let value = members[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw .invalidMember(name) }
        return text
    }

    private static func permissions(_ value: JSONValue?) throws(AuthorizationServerError) -> [Permission] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue else { throw .invalidMember("permissions") }
        var permissions: [Permission] = []
        permissions.reserveCapacity(items.count)
        for item in items {
            guard let members = item.objectValue,
                let resourceId = (members["resource_id"] ?? members["rsid"])?.stringValue
            else { throw .invalidMember("permissions") }
            var scopes: [String] = []
            if let scopeValue = members["resource_scopes"] ?? members["scopes"], scopeValue != .null {
                guard let scopeItems = scopeValue.arrayValue else { throw .invalidMember("permissions") }
                for scope in scopeItems {
                    guard let name = scope.stringValue else { throw .invalidMember("permissions") }
                    scopes.append(name)
                }
            }
            let exp = try Self.integer(members, "exp")
            permissions.append(Permission(resourceId: resourceId, scopes: scopes, exp: exp))
        }
        return permissions
    }
}
