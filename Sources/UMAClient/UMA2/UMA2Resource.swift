import PEPCore

/// One permission requested at the permission endpoint (UMA 2.0 FedAuthz §4.1).
public struct UMA2PermissionRequest: Sendable, Equatable, Hashable {
    /// The registered resource id.
    public var resourceId: String
    /// The scopes the ticket asks for.
    public var scopes: [String]

    /// Creates a request.
    public init(resourceId: String, scopes: [String]) {
        self.resourceId = resourceId
        self.scopes = scopes
    }

    /// `{"resource_id":…,"resource_scopes":[…]}`.
    var json: JSONValue {
        .object(["resource_id": .string(self.resourceId), "resource_scopes": .array(self.scopes.map { .string($0) })])
    }
}

/// A resource description for the resource registration endpoint (UMA 2.0 FedAuthz §3.1, SPEC §5.3).
public struct UMA2ResourceDescription: Sendable, Equatable {
    /// Human-readable name (e.g. path + methods).
    public var name: String
    /// `resource_scopes`.
    public var scopes: [String]
    /// `type`, optional.
    public var type: String?
    /// `description`, optional.
    public var description: String?
    /// Gluu extension `scope_expression` (JsonLogic), sent as a JSON string as Gluu expects.
    public var scopeExpression: JSONValue?

    /// Creates a description.
    public init(
        name: String, scopes: [String], type: String? = nil, description: String? = nil,
        scopeExpression: JSONValue? = nil
    ) {
        self.name = name
        self.scopes = scopes
        self.type = type
        self.description = description
        self.scopeExpression = scopeExpression
    }

    /// The registration body.
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(self.name), "resource_scopes": .array(self.scopes.map { .string($0) }),
        ]
        if let type = self.type { members["type"] = .string(type) }
        if let description = self.description { members["description"] = .string(description) }
        if let expression = self.scopeExpression {
            members["scope_expression"] = .string(JSONCodec.serializeToString(expression))
        }
        return .object(members)
    }
}
