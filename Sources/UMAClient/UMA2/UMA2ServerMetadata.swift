import PEPCore

/// The parts of an authorization server's `/.well-known/uma2-configuration` the PEP uses (UMA 2.0 Grant §2,
/// UMA 2.0 FedAuthz §2, SPEC §5.1).
public struct UMA2ServerMetadata: Sendable, Equatable {
    /// `issuer` (used as `as_uri` in challenges).
    public var issuer: String
    /// `token_endpoint` (PAT, RPT).
    public var tokenEndpoint: String
    /// `introspection_endpoint` (RPT introspection).
    public var introspectionEndpoint: String
    /// `permission_endpoint` (permission tickets).
    public var permissionEndpoint: String
    /// `resource_registration_endpoint`, if offered.
    public var resourceRegistrationEndpoint: String?
    /// `claims_interaction_endpoint`, if offered (Keycloak has none).
    public var claimsInteractionEndpoint: String?
    /// The whole document.
    public var raw: JSONValue

    /// Reads a discovery document.
    /// - Throws: `UMA2Error.missingField` / `.invalidField` (operation `discovery`) when a required endpoint is
    ///   absent, not a string, or not an `http(s)` URL.
    public init(discoveryDocument json: JSONValue) throws(UMA2Error) {
        guard json.objectValue != nil else { throw .invalidField(operation: "discovery", field: "body") }
        self.issuer = try UMA2ServerMetadata.url(json, "issuer", required: true) ?? ""
        self.tokenEndpoint = try UMA2ServerMetadata.url(json, "token_endpoint", required: true) ?? ""
        self.introspectionEndpoint = try UMA2ServerMetadata.url(json, "introspection_endpoint", required: true) ?? ""
        self.permissionEndpoint = try UMA2ServerMetadata.url(json, "permission_endpoint", required: true) ?? ""
        self.resourceRegistrationEndpoint = try UMA2ServerMetadata.url(
            json, "resource_registration_endpoint", required: false)
        self.claimsInteractionEndpoint = try UMA2ServerMetadata.url(
            json, "claims_interaction_endpoint", required: false)
        self.raw = json
    }

    private static func url(_ json: JSONValue, _ name: String, required: Bool) throws(UMA2Error) -> String? {
        guard let value = json[name], value != .null else {
            if required { throw .missingField(operation: "discovery", field: name) }
            return nil
        }
        guard let text = value.stringValue else { throw .invalidField(operation: "discovery", field: name) }
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw .invalidField(operation: "discovery", field: name)
        }
        return text
    }
}
