/// The answer of oxd `/uma-rs-check-access` (Part B §4.4), as the enforcement state machine consumes it.
///
/// Wire shape (status 200, no envelope in oxd 4.x):
/// ```json
/// {"access":"granted"}
/// {"access":"denied","ticket":"t1",
///  "www-authenticate_header":"UMA realm=\"rs\",as_uri=\"…\",error=\"insufficient_scope\",ticket=\"t1\""}
/// ```
public enum CheckAccessResponse: Sendable, Equatable {
    /// `access == "granted"`.
    case granted
    /// `access == "denied"`, with the challenge oxd built (passed to the client verbatim, SPEC A2) and the ticket,
    /// each `nil` when absent or `null`.
    case denied(wwwAuthenticate: String?, ticket: String?)

    /// Decodes an HTTP answer of `/uma-rs-check-access`.
    /// - Parameters:
    ///   - status: the HTTP status; anything but 200 (400 unprotected resource, 403 bad oxd token, 500) is
    ///     `.unexpectedStatus` (Part B §2.9).
    ///   - body: the raw body bytes.
    /// - Returns: the answer, or `.malformedBody` / `.unexpectedAccess` / `.invalidMember`.
    public static func decode(
        status: Int,
        body: some Collection<UInt8>
    ) -> Result<CheckAccessResponse, AuthorizationServerError> {
        guard status == 200 else { return .failure(.unexpectedStatus(status)) }
        return JSONBody.parseObject(body).flatMap { members in
            switch members["access"]?.stringValue {
            case "granted":
                return .success(.granted)
            case "denied":
                let challenge = members["www-authenticate_header"]
                let ticket = members["ticket"]
                guard Self.isOptionalString(challenge) else {
                    return .failure(.invalidMember("www-authenticate_header"))
                }
                guard Self.isOptionalString(ticket) else { return .failure(.invalidMember("ticket")) }
                return .success(.denied(wwwAuthenticate: challenge?.stringValue, ticket: ticket?.stringValue))
            default:
                return .failure(.unexpectedAccess)
            }
        }
    }

    private static func isOptionalString(_ value: JSONValue?) -> Bool {
        guard let value else { return true }
        return value == .null || value.stringValue != nil
    }
}
