import Foundation
import PEPCore
import Testing

@testable import DevAuthorizationServer

/// The RS256 signing key (RFC 7517, RFC 7518 §3.3).
@Suite struct RSASigningKeyTests {
    private static let ecKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoVpsSMhamMhq2ovf
        unAMGM7ZN03+hhqXJQaQHBOlL9ehRANCAAR1obfOTkyWitbSytlbrVgcmpx6u4ff
        6T0jBQCK3OyAoqkKaPrnMEkCiu96i9nOr1riaikJ5IX629jO/MUw0kBr
        -----END PRIVATE KEY-----

        """

    private func temporaryFile(_ contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "devas-key-\(RandomToken.uuid()).pem"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A generated key signs, verifies its own signatures and rejects altered data.
    @Test func generatedKeySignsAndVerifies() throws {
        let key = try RSASigningKey.generate(now: 1_700_000_000)
        let data = Array("payload".utf8)
        let signature = try #require(key.sign(data))
        #expect(signature.count == 256)
        #expect(key.verify(signature, over: data))
        #expect(!key.verify(signature, over: Array("payloaD".utf8)))
    }

    /// The JWK has n, e, kid, alg, use, exp (seconds) and one x5c certificate.
    @Test func jwkShape() throws {
        let key = try RSASigningKey.generate(now: 1_700_000_000)
        let jwk = key.jwk
        #expect(jwk["kty"] == .string("RSA"))
        #expect(jwk["use"] == .string("sig"))
        #expect(jwk["kid"] == .string(key.kid))
        #expect(jwk["exp"] == .int(1_700_000_000 + 365 * 86_400))
        #expect(FormURLEncoding.decodeBase64(jwk["n"]?.stringValue ?? "")?.count == 256)
        #expect(jwk["x5c"]?.arrayValue?.count == 1)
    }

    /// A key written as PEM loads back with the same kid (RFC 7638 thumbprint).
    @Test func pemRoundTripKeepsTheKid() throws {
        let key = try RSASigningKey.generate(now: 1_700_000_000)
        let path = try self.temporaryFile(try #require(key.privateKeyPEM()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try RSASigningKey.load(pemPath: path, now: 1_700_000_000)
        #expect(loaded.kid == key.kid)
        let server = try DevAuthorizationServer(
            configuration: DevAuthorizationServerConfiguration(signingKeyPEMPath: path), clock: { 1_700_000_000 })
        let published = server.handle(.init(method: "GET", path: "/jwks"))
        #expect(JSONText.parse(published.body)?["keys"]?.arrayValue?.first?["kid"] == .string(key.kid))
    }

    /// A missing file is `signingKeyUnreadable`; an EC key is `signingKeyNotRSA`.
    @Test func badKeyFilesAreTypedErrors() throws {
        #expect(throws: DevAuthorizationServerError.signingKeyUnreadable(path: "/nonexistent/key.pem")) {
            try RSASigningKey.load(pemPath: "/nonexistent/key.pem", now: 0)
        }
        let path = try self.temporaryFile(Self.ecKeyPEM)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: DevAuthorizationServerError.signingKeyNotRSA(path: path)) {
            try RSASigningKey.load(pemPath: path, now: 0)
        }
        #expect(DevAuthorizationServerError.signingKeyNotRSA(path: path).detail == "devas.signing_key_not_rsa")
    }
}
