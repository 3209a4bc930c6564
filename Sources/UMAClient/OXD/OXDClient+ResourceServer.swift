import PEPCore

extension OXDClient {
    /// `POST /introspect-rpt` (SPEC §4.5), protected: body `{"oxd_id","rpt"}`. Accepts only 200; the answer is
    /// normalized by `IntrospectionResult(introspectionResponse:)` (`active` must be a JSON boolean).
    public func introspectRPT(
        _ rpt: String, completion: @escaping @Sendable (Result<IntrospectionResult, OXDError>) -> Void
    ) {
        let command = "introspect-rpt"
        let body: JSONValue = .object(["oxd_id": .string(self.configuration.oxdId), "rpt": .string(rpt)])
        self.protectedCommand(
            command, body: body,
            decode: { reply throws(OXDError) in
                let json = try OXDClient.object(reply, command: command)
                do throws(IntrospectionFormatError) {
                    return try IntrospectionResult(introspectionResponse: json)
                } catch {
                    switch error {
                    case .notAnObject: throw .invalidField(command: command, field: "body")
                    case .missingField(let field): throw .missingField(command: command, field: field)
                    case .invalidField(let field): throw .invalidField(command: command, field: field)
                    }
                }
            }, completion: completion)
    }

    /// `POST /uma-rs-check-access` (SPEC §4.4), protected: body `{"oxd_id","rpt","path","http_method"}` plus
    /// `scopes` when given. `rpt` is `""` when the client sent no token (SPEC §2.4 P3); `path` is the matched rule's
    /// pattern. Accepts only 200 with `access` = `granted` | `denied`; a `www-authenticate_header` with control
    /// characters is rejected (it is emitted as a response header).
    public func umaRSCheckAccess(
        rpt: String, path: String, httpMethod: String, scopes: [String]? = nil,
        completion: @escaping @Sendable (Result<CheckAccessDecision, OXDError>) -> Void
    ) {
        let command = "uma-rs-check-access"
        var members: [String: JSONValue] = [
            "oxd_id": .string(self.configuration.oxdId), "rpt": .string(rpt), "path": .string(path),
            "http_method": .string(httpMethod),
        ]
        if let scopes { members["scopes"] = .array(scopes.map { .string($0) }) }
        self.protectedCommand(
            command, body: .object(members),
            decode: { reply throws(OXDError) in
                let json = try OXDClient.object(reply, command: command)
                guard let access = json["access"] else { throw .missingField(command: command, field: "access") }
                switch access.stringValue {
                case "granted":
                    return .granted
                case "denied":
                    let header = try OXDClient.optionalString(json, "www-authenticate_header", command: command)
                    if let header, !header.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) {
                        throw .invalidField(command: command, field: "www-authenticate_header")
                    }
                    let ticket = try OXDClient.optionalString(json, "ticket", command: command)
                    return .denied(wwwAuthenticate: header, ticket: ticket)
                default:
                    throw .invalidField(command: command, field: "access")
                }
            }, completion: completion)
    }

    /// `POST /uma-rs-protect` (SPEC §4.3), protected: body `{"oxd_id","resources","overwrite"}` where `resources` is
    /// the protection document as JSON (`[{path, conditions:[{httpMethods, scopes?, scope_expression?,
    /// ticketScopes?}]}]`). Accepts only 200.
    public func umaRSProtect(
        resources: JSONValue, overwrite: Bool, completion: @escaping @Sendable (Result<Void, OXDError>) -> Void
    ) {
        let command = "uma-rs-protect"
        let body: JSONValue = .object([
            "oxd_id": .string(self.configuration.oxdId), "resources": resources, "overwrite": .bool(overwrite),
        ])
        self.protectedCommand(
            command, body: body,
            decode: { reply throws(OXDError) in
                _ = try OXDClient.object(reply, command: command)
                return ()
            }, completion: completion)
    }

    /// `POST /get-jwks` (SPEC §4.9, §2.3), with the oxd access token: body `{"op_host"}`. Returns the `keys` array.
    public func getJWKS(completion: @escaping @Sendable (Result<[JSONValue], OXDError>) -> Void) {
        let command = "get-jwks"
        let body: JSONValue = .object(["op_host": .string(self.configuration.opHost)])
        self.protectedCommand(
            command, body: body,
            decode: { reply throws(OXDError) in
                let json = try OXDClient.object(reply, command: command)
                guard let keys = json["keys"] else { throw .missingField(command: command, field: "keys") }
                guard let array = keys.arrayValue else { throw .invalidField(command: command, field: "keys") }
                return array
            }, completion: completion)
    }

    /// A string member that may be absent or `null`.
    /// - Throws: `.invalidField` when present with another type.
    static func optionalString(_ json: JSONValue, _ name: String, command: String) throws(OXDError) -> String? {
        guard let value = json[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw .invalidField(command: command, field: name) }
        return text
    }
}
