import Testing

@testable import PEPCore

/// Compact JWS parsing, header policy, key fit and claims checks of JWT RPTs (RFC 7515, RFC 7519, Part B §2.3).
@Suite struct JWTRPTValidationTests {
    static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }
    static let header = segment(#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#)
    static let payload = segment(#"{"client_id":"c","exp":2000,"iat":1000}"#)

    /// Base64url round trips and refuses padding, the standard alphabet and impossible lengths.
    @Test(arguments: [
        ("", [UInt8]()), ("AA", [0]), ("AAE", [0, 1]), ("_-8", [0xFF, 0xEF]), ("AQID", [1, 2, 3]),
    ])
    func base64URLDecodes(text: String, bytes: [UInt8]) {
        #expect(Base64URL.decode(Array(text.utf8)) == bytes)
        #expect(Base64URL.encode(bytes) == text)
    }

    @Test(arguments: ["AA==", "+/8", "A", "AB", "a b", "AAF"])
    func base64URLRefuses(text: String) {
        #expect(Base64URL.decode(Array(text.utf8)) == nil)
    }

    /// Which bearer values are treated as JWS (verified locally) and which are introspected.
    @Test(arguments: [
        ("\(header).\(payload).c2ln", true),
        ("\(header).\(payload).", true),
        ("\(header).\(payload)", false),
        ("\(header).\(payload).a.b", false),
        ("opaque-token-1234", false),
        ("e30.e30.x", true),
        ("eA.e30.x", false),  // header "x" is not JSON
        ("W10.e30.x", false),  // header [] is not an object (and does not start with "e")
    ])
    func looksLikeJWS(token: String, expected: Bool) {
        #expect(JWSCompact.looksLikeJWS(token) == expected)
    }

    /// Parsing: the signing input is the first two segments; failures are `.malformed` / `.oversized`.
    @Test func parsesCompactJWS() throws {
        let token = "\(Self.header).\(Self.payload).AQID"
        let jws = try JWSCompact.parse(token).get()
        #expect(jws.header["kid"] == .string("k1"))
        #expect(jws.payload["client_id"] == .string("c"))
        #expect(jws.signingInput == Array("\(Self.header).\(Self.payload)".utf8))
        #expect(jws.signature == [1, 2, 3])
    }

    @Test(arguments: [
        ("\(header).\(payload)", JWTVerificationFailure.malformed),
        ("\(header).\(payload).AQ=", .malformed),
        ("\(header).\(segment("[1]")).AQ", .malformed),
        ("\(header).\(segment("{")).AQ", .malformed),
        (".\(payload).AQ", .malformed),
        ("\(header).\(payload).\(String(repeating: "A", count: JWSCompact.maximumLength))", .oversized),
    ])
    func parseRefuses(token: String, failure: JWTVerificationFailure) {
        #expect(JWSCompact.parse(token) == .failure(failure))
    }

    /// Header policy: RS256/384/512, PS256, ES256/384 with a `kid`; `none`, HMAC, unknown or `crit` refused.
    @Test(arguments: [
        (#"{"alg":"RS256","kid":"a"}"#, "RS256"), (#"{"alg":"RS384","kid":"a"}"#, "RS384"),
        (#"{"alg":"RS512","kid":"a"}"#, "RS512"), (#"{"alg":"PS256","kid":"a"}"#, "PS256"),
        (#"{"alg":"ES256","kid":"a"}"#, "ES256"), (#"{"alg":"ES384","kid":"a"}"#, "ES384"),
        (#"{"alg":"none","kid":"a"}"#, "Bad JWT"), (#"{"alg":"HS256","kid":"a"}"#, "Bad JWT"),
        (#"{"alg":"HS512","kid":"a"}"#, "Bad JWT"), (#"{"alg":"rs256","kid":"a"}"#, "Bad JWT"),
        (#"{"kid":"a"}"#, "Bad JWT"), (#"{"alg":"RS256","kid":"a","crit":["exp"]}"#, "Bad JWT"),
        (#"{"alg":"RS256"}"#, "JWT - missed kid"), (#"{"alg":"RS256","kid":""}"#, "JWT - missed kid"),
        (#"{"alg":"ES256","kid":7}"#, "JWT - missed kid"),
    ])
    func headerPolicy(header: String, expected: String) throws {
        let members = try #require(try JSONCodec.parse(header).objectValue)
        switch JWTRPTValidator.checkHeader(members) {
        case .success(let value):
            #expect(value.alg.rawValue == expected)
            #expect(value.kid == "a")
        case .failure(let failure):
            let response = PEPResponse(.jwt(failure.referenceFailure))
            #expect(response.status == 401)
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"message":"\#(expected)"}"#)
        }
    }

    static let rsaKey = JWK(kid: "r", material: .rsa(n: [1], e: [1]))
    static let p256Key = JWK(kid: "e", material: .ec(curve: "P-256", x: [], y: []))

    /// A key fits the header's `alg` by its own `alg`, `use`, `kty` and `crv`.
    @Test(arguments: [
        (rsaKey, JWSAlgorithm.rs256, true), (rsaKey, .ps256, true), (rsaKey, .es256, false),
        (p256Key, .es256, true), (p256Key, .es384, false), (p256Key, .rs256, false),
        (JWK(kid: "r", alg: "RS256", material: .rsa(n: [1], e: [1])), .rs256, true),
        (JWK(kid: "r", alg: "RS256", material: .rsa(n: [1], e: [1])), .rs512, false),
        (JWK(kid: "r", alg: "RS256", use: "enc", material: .rsa(n: [1], e: [1])), .rs256, false),
        (JWK(kid: "e", material: .ec(curve: "P-384", x: [], y: [])), .es384, true),
    ])
    func keyFit(key: JWK, alg: JWSAlgorithm, fits: Bool) {
        let result = JWTRPTValidator.checkKey(key, for: alg)
        if fits {
            #expect((try? result.get()) != nil)
        } else {
            #expect(result.failureValue == .keyAlgorithmMismatch)
        }
    }

    static let validator = JWTRPTValidator(issuer: "https://as.example/", audience: nil, clockSkewSeconds: 30)
    static let base = #""client_id":"c","iat":900,"iss":"https://as.example""#

    /// Claims at `now = 1000`, skew 30 s.
    @Test(arguments: [
        (#"{\#(base),"exp":2000}"#, nil as JWTVerificationFailure?),
        (#"{\#(base),"exp":980}"#, nil),  // expired 20 s ago: within the skew
        (#"{\#(base),"exp":970}"#, .expired),
        (#"{\#(base),"exp":2000,"nbf":1020}"#, nil),
        (#"{\#(base),"exp":2000,"nbf":1031}"#, .notYetValid),
        (#"{"client_id":"c","iat":900,"iss":"https://other.example","exp":2000}"#, .issuerMismatch),
        (#"{"client_id":"c","iat":900,"exp":2000}"#, .issuerMismatch),
        (#"{"iat":900,"iss":"https://as.example","exp":2000}"#, .malformedPayload),
        (#"{"client_id":"c","iss":"https://as.example","exp":2000}"#, .malformedPayload),
        (#"{\#(base)}"#, .malformedPayload),
        (#"{\#(base),"exp":"2000"}"#, .malformedPayload),
        (#"{\#(base),"exp":2000,"active":false}"#, .malformedPayload),
        (#"{\#(base),"exp":2000,"permissions":[{"resource_scopes":["a"]}]}"#, .malformedPayload),
    ])
    func claims(payload: String, failure: JWTVerificationFailure?) throws {
        let result = Self.validator.checkClaims(try JSONCodec.parse(payload), now: 1000)
        switch result {
        case .success(let value):
            #expect(failure == nil)
            #expect(value.active)
            #expect(value.hasRequiredMembers)
        case .failure(let got):
            #expect(got == failure)
        }
    }

    /// Permissions are read like an introspection's, with Keycloak's spelling too; none when absent.
    @Test func permissionsFromClaims() throws {
        let payload = try JSONCodec.parse(
            #"{\#(Self.base),"exp":2000,"permissions":[{"resource_id":"r1","resource_scopes":["read"]},"#
                + #"{"rsid":"r2","scopes":["write"]}]}"#)
        let result = try Self.validator.checkClaims(payload, now: 1000).get()
        #expect(
            result.permissions == [
                .init(resourceId: "r1", scopes: ["read"]), .init(resourceId: "r2", scopes: ["write"]),
            ])
        #expect(result.clientId == "c")
        #expect(result.exp == 2000)
        let bare = try Self.validator.checkClaims(try JSONCodec.parse(#"{\#(Self.base),"exp":2000}"#), now: 1000).get()
        #expect(bare.permissions.isEmpty)
        #expect(bare.raw["permissions"] == .array([]))
    }

    /// A Keycloak RPT: `azp` for the client, `authorization.permissions` with `rsid` / `scopes`.
    @Test func keycloakShape() throws {
        let payload = try JSONCodec.parse(
            #"{"azp":"kc-client","iat":900,"exp":2000,"iss":"https://as.example","#
                + #""authorization":{"permissions":[{"rsid":"r9","rsname":"photos","scopes":["view"]}]}}"#)
        let result = try Self.validator.checkClaims(payload, now: 1000).get()
        #expect(result.clientId == "kc-client")
        #expect(result.permissions == [.init(resourceId: "r9", scopes: ["view"])])
        #expect(result.hasRequiredMembers)
    }

    /// `aud` is checked only when configured: a string or an array containing it.
    @Test(arguments: [
        (#""aud":"api""#, true), (#""aud":["x","api"]"#, true), (#""aud":"x""#, false), (#""aud":["x"]"#, false),
        (#""sub":"s""#, false),
    ])
    func audience(member: String, accepted: Bool) throws {
        var validator = Self.validator
        validator.audience = "api"
        let payload = try JSONCodec.parse(#"{\#(Self.base),"exp":2000,\#(member)}"#)
        #expect(((try? validator.checkClaims(payload, now: 1000).get()) != nil) == accepted)
        #expect((try? Self.validator.checkClaims(payload, now: 1000).get()) != nil)
    }

    /// JWK reading: RSA and EC keys; unusable keys skipped; `exp` in seconds or milliseconds.
    @Test func jwkSet() throws {
        let x = Base64URL.encode([UInt8](repeating: 1, count: 32))
        let keys =
            try JSONCodec.parse(
                #"""
                [{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB","alg":"RS256","exp":1800000000},
                 {"kty":"EC","kid":"e","crv":"P-256","x":"\#(x)","y":"\#(x)"},
                 {"kty":"EC","kid":"short","crv":"P-256","x":"AQAB","y":"AQAB"},
                 {"kty":"EC","kid":"k","crv":"secp256k1","x":"\#(x)","y":"\#(x)"},
                 {"kty":"oct","kid":"h","k":"c2VjcmV0"},
                 {"kty":"RSA","n":"AQAB","e":"AQAB"},
                 {"kty":"RSA","kid":"old","n":"AQAB","e":"AQAB","exp":999},
                 {"kty":"RSA","kid":"ms","n":"AQAB","e":"AQAB","exp":1800000000000},
                 {"kty":"RSA","kid":"msold","n":"AQAB","e":"AQAB","exp":1600000000000},
                 {"kty":"RSA","kid":"r","n":"AQAC","e":"AQAB"}]
                """#
            ).arrayValue ?? []
        let usable = JWK.usableKeys(keys, now: 1_700_000_000)
        #expect(Set(usable.keys) == ["r", "e", "ms"])
        #expect(usable["r"]?.material == .rsa(n: [1, 0, 1], e: [1, 0, 1]))
        #expect(usable["r"]?.alg == "RS256")
        #expect(usable["ms"]?.expiresAt == 1_800_000_000)
        #expect(
            usable["e"]?.material
                == .ec(curve: "P-256", x: [UInt8](repeating: 1, count: 32), y: [UInt8](repeating: 1, count: 32)))
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
