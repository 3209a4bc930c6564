import Testing

@testable import PEPCore

@Suite struct PermissionTicketTests {
    /// 201 (and 200) with a ticket decode; other statuses and bodies fail.
    @Test func decodesPermissionEndpointAnswer() {
        #expect(
            PermissionTicket.decode(status: 201, body: Array(#"{"ticket":"abc"}"#.utf8))
                == .success(PermissionTicket("abc"))
        )
        #expect(
            PermissionTicket.decode(status: 200, body: Array(#"{"ticket":"abc"}"#.utf8))
                == .success(PermissionTicket("abc"))
        )
        #expect(
            PermissionTicket.decode(status: 400, body: Array(#"{"error":"invalid_resource_id"}"#.utf8))
                == .failure(.unexpectedStatus(400))
        )
        #expect(PermissionTicket.decode(status: 201, body: Array(#"{"ticket":""}"#.utf8)) == .failure(.missingTicket))
        #expect(PermissionTicket.decode(status: 201, body: Array(#"{"ticket":1}"#.utf8)) == .failure(.missingTicket))
        #expect(PermissionTicket.decode(status: 201, body: Array(#"{"tick"#.utf8)) == .failure(.malformedBody))
    }

    /// The challenge has oxd's exact format: no spaces, order realm, as_uri, error, ticket (SPEC A2).
    @Test func buildsChallenge() {
        let challenge = PermissionTicket("016f84e8").challenge(realm: "rs", asURI: "https://as.test")
        #expect(challenge == #"UMA realm="rs",as_uri="https://as.test",error="insufficient_scope",ticket="016f84e8""#)
        #expect(challenge?.split(separator: ",")[3].split(separator: "=")[1] == "\"016f84e8\"")
    }

    /// A ticket or issuer that cannot sit in a quoted-string yields no challenge (SECURITY.md case 19).
    @Test(arguments: ["a\"b", "a\\b", "a\r\nSet-Cookie: x=1", "a\u{0}", "tö"])
    func refusesUnsafeTicket(_ ticket: String) {
        #expect(PermissionTicket(ticket).challenge(realm: "rs", asURI: "https://as.test") == nil)
        #expect(PermissionTicket("ok").challenge(realm: "rs", asURI: ticket) == nil)
    }
}
