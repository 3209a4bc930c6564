/// A UMA permission ticket from the permission endpoint (UMA 2.0 FedAuthz §4.3, Part B §5.4), and the
/// client-facing challenge built from it in `uma2` mode (UMA 2.0 Grant §3.2, SPEC A2, Part B §5.5).
public struct PermissionTicket: Sendable, Equatable, Hashable {
    /// The opaque ticket value.
    public var value: String

    /// Creates a ticket.
    public init(_ value: String) {
        self.value = value
    }

    /// Decodes the permission endpoint's answer: `201 {"ticket":"…"}` (200 is tolerated).
    /// - Parameters:
    ///   - status: the HTTP status; others (400 `invalid_resource_id`/`invalid_scope`, 401/403 bad PAT) are
    ///     `.unexpectedStatus`.
    ///   - body: the raw body bytes.
    /// - Returns: the ticket, `.malformedBody`, or `.missingTicket` when `ticket` is absent, empty or not a string.
    public static func decode(
        status: Int,
        body: some Collection<UInt8>
    ) -> Result<PermissionTicket, AuthorizationServerError> {
        guard status == 201 || status == 200 else { return .failure(.unexpectedStatus(status)) }
        return JSONBody.parseObject(body).flatMap { members in
            guard let ticket = members["ticket"]?.stringValue, !ticket.isEmpty else { return .failure(.missingTicket) }
            return .success(PermissionTicket(ticket))
        }
    }

    /// The `WWW-Authenticate` value in oxd's exact format — no spaces, order realm, as_uri, error, ticket:
    /// `UMA realm="<realm>",as_uri="<asURI>",error="insufficient_scope",ticket="<ticket>"` (SPEC A2). The
    /// tutorial client splits it on `,` and takes the 4th item, so the format is fixed.
    /// - Parameters:
    ///   - realm: the realm (`rs` in oxd).
    ///   - asURI: the authorization server's issuer URI.
    /// - Returns: the value, or `nil` when any part cannot sit inside a quoted-string (`"`, `\`, CTL, or a
    ///   non-ASCII byte; RFC 9110 §5.6.4) — the caller answers 502 (SECURITY.md case 19).
    public func challenge(realm: String, asURI: String) -> String? {
        guard Self.isQuotable(realm), Self.isQuotable(asURI), Self.isQuotable(self.value) else { return nil }
        return "UMA realm=\"" + realm + "\",as_uri=\"" + asURI + "\",error=\"insufficient_scope\",ticket=\""
            + self.value + "\""
    }

    /// True when the text is printable ASCII (SP included) without `"` or `\`.
    private static func isQuotable(_ text: String) -> Bool {
        for byte in text.utf8
        where byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            return false
        }
        return true
    }
}
