/// Parses the JSON body of an authorization-server answer into a `JSONValue` (RFC 8259) with the strict
/// `JSONCodec`.
///
/// Anything that is not one complete JSON document — non-JSON text, a truncated body, trailing garbage — is
/// `AuthorizationServerError.malformedBody` (SPEC A8, SECURITY.md case 20). Numbers without a fraction keep
/// their integer-ness (`.int`), so `exp` values round-trip exactly.
enum JSONBody {
    /// Parses a body.
    /// - Parameter body: the raw bytes.
    /// - Returns: the value, or `.malformedBody`.
    static func parse(_ body: some Collection<UInt8>) -> Result<JSONValue, AuthorizationServerError> {
        do {
            return .success(try JSONCodec.parse(Array(body)))
        } catch {
            return .failure(.malformedBody)
        }
    }

    /// Parses a body that must be a JSON object.
    /// - Parameter body: the raw bytes.
    /// - Returns: the members, or `.malformedBody`.
    static func parseObject(_ body: some Collection<UInt8>) -> Result<[String: JSONValue], AuthorizationServerError> {
        Self.parse(body).flatMap { value in
            guard let members = value.objectValue else { return .failure(.malformedBody) }
            return .success(members)
        }
    }
}
