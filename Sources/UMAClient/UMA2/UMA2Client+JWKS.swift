import PEPCore

extension UMA2Client {
    /// The authorization server's JWK Set (RFC 7517 §5) for local JWT RPT verification: `GET jwks_uri` from the
    /// discovery document (RFC 8414 §2; oxAuth publishes it in `uma2-configuration`), no authentication.
    /// Accepts only 200 with a `keys` array.
    /// - Parameter completion: the `keys` array and the discovery `issuer` (what `iss` must equal), or
    ///   `.missingEndpoint("jwks_uri")`, `.unexpectedStatus`, `.missingField` / `.invalidField` (`keys`).
    public func jwks(completion: @escaping @Sendable (Result<(keys: [JSONValue], issuer: String), UMA2Error>) -> Void) {
        let operation = "jwks"
        self.metadata { metadataResult in
            guard case .success(let metadata) = metadataResult else {
                if case .failure(let error) = metadataResult { completion(.failure(error)) }
                return
            }
            guard let uri = metadata.raw["jwks_uri"]?.stringValue,
                uri.lowercased().hasPrefix("https://") || uri.lowercased().hasPrefix("http://")
            else {
                let error = UMA2Error.missingEndpoint("jwks_uri")
                self.log(error)
                return completion(.failure(error))
            }
            let request = Request(
                method: "GET", url: uri, headers: [HTTPField(name: "Accept", value: "application/json")], body: [])
            self.send(operation, request) { result in
                let outcome = result.flatMap { reply in
                    Result { () throws(UMA2Error) -> (keys: [JSONValue], issuer: String) in
                        let json = try UMA2Client.object(reply, operation: operation)
                        guard let keys = json["keys"] else { throw .missingField(operation: operation, field: "keys") }
                        guard let array = keys.arrayValue else {
                            throw .invalidField(operation: operation, field: "keys")
                        }
                        return (array, metadata.issuer)
                    }
                }
                if case .failure(let error) = outcome { self.log(error) }
                completion(outcome)
            }
        }
    }
}
