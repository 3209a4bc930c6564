extension IntrospectionResult {
    /// The `introspect_data` object of custom headers and the phantom token payload (Part B §1.1, §2.6):
    /// the introspection object as received (`raw`), plus a `consumer` member when a consumer is mapped.
    ///
    /// When `raw` is not an object (a result built in code), the typed members are written instead:
    /// `active`, `exp`, `iat`, `nbf`, `client_id`, `sub`, `iss`, `permissions` (`resource_id`,
    /// `resource_scopes`, `exp`).
    /// - Parameter consumer: the mapped consumer, if any.
    /// - Returns: a JSON object.
    public func introspectData(consumer: Consumer?) -> JSONValue {
        var members = self.raw.objectValue ?? self.typedMembers
        if let consumer { members["consumer"] = consumer.jsonValue }
        return .object(members)
    }

    private var typedMembers: [String: JSONValue] {
        var members: [String: JSONValue] = ["active": .bool(self.active)]
        if let exp = self.exp { members["exp"] = .int(exp) }
        if let iat = self.iat { members["iat"] = .int(iat) }
        if let nbf = self.nbf { members["nbf"] = .int(nbf) }
        if let clientId = self.clientId { members["client_id"] = .string(clientId) }
        if let sub = self.sub { members["sub"] = .string(sub) }
        if let iss = self.iss { members["iss"] = .string(iss) }
        members["permissions"] = .array(
            self.permissions.map { permission in
                var item: [String: JSONValue] = [
                    "resource_id": .string(permission.resourceId),
                    "resource_scopes": .array(permission.scopes.map { .string($0) }),
                ]
                if let exp = permission.exp { item["exp"] = .int(exp) }
                return .object(item)
            }
        )
        return members
    }
}
