extension Consumer {
    /// The consumer as custom-header expressions and the phantom token see it (`consumer`, and
    /// `introspect_data.consumer` when mapped; Part B §1.1): `{"id":…, "custom_id":…, "username":…}`, with
    /// absent fields omitted.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["id": .string(self.id)]
        if let customId = self.customId { members["custom_id"] = .string(customId) }
        if let username = self.username { members["username"] = .string(username) }
        return .object(members)
    }
}
