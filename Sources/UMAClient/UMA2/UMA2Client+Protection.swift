import PEPCore

extension UMA2Client {
    /// RPT introspection (SPEC §5.9, RFC 7662 §2.1): `POST introspection_endpoint` with form
    /// `token=<rpt>&token_type_hint=requesting_party_token` (the token percent-encoded on its own), authenticated with
    /// the PAT (`protectionToken`, retried once on 401/403) or the client credentials. Accepts only 200; the answer is
    /// normalized by `IntrospectionResult(introspectionResponse:)` (Keycloak `rsid`/`scopes` included).
    public func introspect(
        rpt: String, completion: @escaping @Sendable (Result<IntrospectionResult, UMA2Error>) -> Void
    ) {
        let operation = "introspection"
        let fields: [(name: String, value: String)] = [
            ("token", rpt), ("token_type_hint", "requesting_party_token"),
        ]
        let decode: @Sendable (JSONReply) throws(UMA2Error) -> IntrospectionResult = { reply throws(UMA2Error) in
            let json = try UMA2Client.object(reply, operation: operation)
            do throws(IntrospectionFormatError) {
                return try IntrospectionResult(introspectionResponse: json)
            } catch {
                switch error {
                case .notAnObject: throw .invalidField(operation: operation, field: "body")
                case .missingField(let field): throw .missingField(operation: operation, field: field)
                case .invalidField(let field): throw .invalidField(operation: operation, field: field)
                }
            }
        }
        switch self.configuration.introspectionAuthentication {
        case .protectionToken:
            self.protectedCall(
                operation,
                request: { metadata throws(UMA2Error) in
                    Request(
                        method: "POST", url: metadata.introspectionEndpoint,
                        headers: [
                            HTTPField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                            HTTPField(name: "Accept", value: "application/json"),
                        ],
                        body: FormEncoding.body(fields))
                }, decode: decode, completion: completion)
        case .clientCredentials:
            self.metadata { metadataResult in
                guard case .success(let metadata) = metadataResult else {
                    if case .failure(let error) = metadataResult { completion(.failure(error)) }
                    return
                }
                let request = self.clientAuthenticatedForm(url: metadata.introspectionEndpoint, fields: fields)
                self.send(operation, request) { result in
                    let outcome = result.flatMap { reply in Result { () throws(UMA2Error) in try decode(reply) } }
                    if case .failure(let error) = outcome { self.log(error) }
                    completion(outcome)
                }
            }
        }
    }

    /// Requests a permission ticket (SPEC §5.4, UMA 2.0 FedAuthz §4.1): `POST permission_endpoint` with the PAT and a
    /// JSON array of `{"resource_id","resource_scopes"}` (the array form every AS accepts). Accepts 200 or 201 with a
    /// non-empty `ticket`.
    public func requestPermissionTicket(
        _ permissions: [UMA2PermissionRequest], completion: @escaping @Sendable (Result<String, UMA2Error>) -> Void
    ) {
        let operation = "permission"
        let body = JSONCodec.serialize(.array(permissions.map(\.json)))
        self.protectedCall(
            operation,
            request: { metadata throws(UMA2Error) in
                Request(
                    method: "POST", url: metadata.permissionEndpoint,
                    headers: [HTTPField(name: "Content-Type", value: "application/json")], body: body)
            },
            decode: { reply throws(UMA2Error) in
                let json = try UMA2Client.object(reply, operation: operation, accepting: [200, 201])
                return try UMA2Client.requiredString(json, "ticket", operation: operation)
            }, completion: completion)
    }

    /// Registers a resource (SPEC §5.3, UMA 2.0 FedAuthz §3.2.1): `POST resource_registration_endpoint` with the PAT
    /// and the JSON description. Accepts 200 or 201 with a non-empty `_id`, which it returns.
    public func registerResource(
        _ resource: UMA2ResourceDescription, completion: @escaping @Sendable (Result<String, UMA2Error>) -> Void
    ) {
        let operation = "resource_registration"
        let body = JSONCodec.serialize(resource.json)
        self.protectedCall(
            operation,
            request: { metadata throws(UMA2Error) in
                guard let endpoint = metadata.resourceRegistrationEndpoint else {
                    throw .missingEndpoint("resource_registration_endpoint")
                }
                return Request(
                    method: "POST", url: endpoint,
                    headers: [HTTPField(name: "Content-Type", value: "application/json")], body: body)
            },
            decode: { reply throws(UMA2Error) in
                let json = try UMA2Client.object(reply, operation: operation, accepting: [200, 201])
                return try UMA2Client.requiredString(json, "_id", operation: operation)
            }, completion: completion)
    }

    /// Deletes a registered resource (UMA 2.0 FedAuthz §3.2.5): `DELETE {resource_registration_endpoint}/{id}` with
    /// the PAT (id percent-encoded). Accepts 200 or 204, whatever the body.
    public func deleteResource(id: String, completion: @escaping @Sendable (Result<Void, UMA2Error>) -> Void) {
        let operation = "resource_registration"
        self.protectedCall(
            operation,
            request: { metadata throws(UMA2Error) in
                guard var endpoint = metadata.resourceRegistrationEndpoint else {
                    throw .missingEndpoint("resource_registration_endpoint")
                }
                while endpoint.hasSuffix("/") { endpoint.removeLast() }
                return Request(
                    method: "DELETE", url: "\(endpoint)/\(FormEncoding.percentEncode(id))", headers: [], body: [])
            },
            decode: { reply throws(UMA2Error) in
                guard reply.status == 200 || reply.status == 204 else {
                    throw .unexpectedStatus(operation: operation, status: reply.status, error: reply.errorCode)
                }
                return ()
            }, completion: completion)
    }
}
