import Foundation
import Logging
import PEPCore
import Synchronization
import Testing

@testable import UMAPEPRuntime

/// Local JWT RPT verification with OpenSSL-signed vectors and a scripted JWK Set fetch (Part B §2.3).
@Suite struct LocalTokenVerifierTests {
    static let issuer = "https://as.example"
    static let rsa = JWSTestSigner.rsa(kid: "rsa-1")
    static let p256 = JWSTestSigner.ec(kid: "ec-256", curve: "P-256")
    static let p384 = JWSTestSigner.ec(kid: "ec-384", curve: "P-384")

    static func claims(exp: Int64? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
        let now = Int64(Date().timeIntervalSince1970)
        var members: [String: JSONValue] = [
            "client_id": .string("c1"), "iss": .string(Self.issuer), "iat": .int(now), "exp": .int(exp ?? now + 600),
            "permissions": .array([
                .object(["resource_id": .string("r1"), "resource_scopes": .array([.string("read")])])
            ]),
        ]
        for (name, value) in extra { members[name] = value }
        return .object(members)
    }

    /// A JWK Set fetch that counts calls and answers when told (or at once).
    final class ScriptedJWKS: Sendable {
        let keys: Mutex<[JSONValue]>
        let calls = Atomic<Int>(0)
        let held = Mutex<[@Sendable () -> Void]>([])
        let hold: Bool

        init(_ keys: [JSONValue], hold: Bool = false) {
            self.keys = Mutex(keys)
            self.hold = hold
        }

        var fetch: LocalTokenVerifier.JWKSFetch {
            { completion in
                self.calls.add(1, ordering: .relaxed)
                let keys = self.keys.withLock { $0 }
                let answer: @Sendable () -> Void = { completion(.success((keys, LocalTokenVerifierTests.issuer))) }
                if self.hold { self.held.withLock { $0.append(answer) } } else { answer() }
            }
        }

        func release() {
            for answer in self.held.withLock({ list in
                defer { list = [] }; return list
            }) { answer() }
        }
    }

    static func verifier(_ jwks: ScriptedJWKS, interval: Duration = .seconds(30), audience: String? = nil)
        -> LocalTokenVerifier
    {
        LocalTokenVerifier(
            fetch: jwks.fetch, audience: audience, clockSkew: .seconds(30), refetchInterval: interval,
            recorder: ASCallRecorder(metrics: nil, server: nil), logger: Self.logger)
    }

    /// Runs a verification whose completion is synchronous here (the scripted fetch answers inline).
    static func verify(_ verifier: LocalTokenVerifier, _ token: String) -> Result<
        IntrospectionResult, AuthorizationServerError
    >? {
        let outcome = Mutex<Result<IntrospectionResult, AuthorizationServerError>?>(nil)
        verifier.verify(token: token) { result in outcome.withLock { $0 = result } }
        return outcome.withLock { $0 }
    }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .debug
        return logger
    }()

    static let allKeys = [rsa.jwk, p256.jwk, p384.jwk]

    /// Every supported algorithm verifies with its key and yields the claims' permissions.
    @Test(arguments: [
        ("RS256", "rsa"), ("RS384", "rsa"), ("RS512", "rsa"), ("PS256", "rsa"), ("ES256", "p256"), ("ES384", "p384"),
    ])
    func acceptsSignedVectors(alg: String, keyName: String) throws {
        let signer = keyName == "rsa" ? Self.rsa : keyName == "p256" ? Self.p256 : Self.p384
        let token = signer.sign(Self.claims(), alg: alg)
        #expect(JWSCompact.looksLikeJWS(token))
        let result = try #require(Self.verify(Self.verifier(ScriptedJWKS(Self.allKeys)), token)).get()
        #expect(result.active)
        #expect(result.clientId == "c1")
        #expect(result.permissions == [.init(resourceId: "r1", scopes: ["read"])])
    }

    /// Forgeries and policy violations are inactive (never an error, never active).
    @Test func refusesForgeries() throws {
        let good = Self.rsa.sign(Self.claims(), alg: "RS256")
        let parts = good.split(separator: ".").map(String.init)
        let otherPayload = Base64URL.encode(JSONCodec.serialize(Self.claims(extra: ["client_id": .string("evil")])))
        let otherRSA = JWSTestSigner.rsa(kid: "rsa-1")  // same kid, different key
        let hmacInput =
            Base64URL.encode(Array(#"{"alg":"HS256","kid":"rsa-1"}"#.utf8)) + "." + parts[1]
        let cases: [(String, String)] = [
            ("tampered payload", parts[0] + "." + otherPayload + "." + parts[2]),
            ("other key, same kid", otherRSA.sign(Self.claims(), alg: "RS256")),
            ("alg none", Base64URL.encode(Array(#"{"alg":"none","kid":"rsa-1"}"#.utf8)) + "." + parts[1] + "."),
            ("HS256 with the public key", hmacInput + "." + parts[2]),
            ("RS256 header on an EC key", Self.p256.sign(Self.claims(), alg: "RS256", kid: "ec-256")),
            ("ES256 signature under ES384 header", Self.p256.sign(Self.claims(), alg: "ES384", kid: "ec-384")),
            (
                "PS256 signature, RS256 header",
                parts[0] + "." + parts[1] + "."
                    + Base64URL.encode(Self.rsa.signature(Array((parts[0] + "." + parts[1]).utf8), alg: "PS256"))
            ),
            ("expired", Self.rsa.sign(Self.claims(exp: Int64(Date().timeIntervalSince1970) - 120), alg: "RS256")),
            ("other issuer", Self.rsa.sign(Self.claims(extra: ["iss": .string("https://evil.example")]), alg: "RS256")),
            ("no client_id", Self.rsa.sign(Self.claims(extra: ["client_id": .null]), alg: "RS256")),
            ("no kid", Base64URL.encode(Array(#"{"alg":"RS256"}"#.utf8)) + "." + parts[1] + "." + parts[2]),
            ("unknown kid", Self.rsa.sign(Self.claims(), alg: "RS256", kid: "nope")),
            ("truncated signature", parts[0] + "." + parts[1] + "." + String(parts[2].dropLast(4))),
            ("oversized", parts[0] + "." + parts[1] + "." + String(repeating: "A", count: JWSCompact.maximumLength)),
        ]
        for (label, token) in cases {
            let verifier = Self.verifier(ScriptedJWKS(Self.allKeys))
            let result = try #require(Self.verify(verifier, token), "\(label)")
            #expect(result == .success(LocalTokenVerifier.inactive), "\(label)")
        }
    }

    /// A configured audience must be in `aud`.
    @Test func audience() throws {
        let verifier = Self.verifier(ScriptedJWKS(Self.allKeys), audience: "api")
        let without = Self.rsa.sign(Self.claims(), alg: "RS256")
        let with = Self.rsa.sign(Self.claims(extra: ["aud": .array([.string("x"), .string("api")])]), alg: "RS256")
        #expect(try #require(Self.verify(verifier, without)) == .success(LocalTokenVerifier.inactive))
        #expect(try #require(Self.verify(verifier, with)).get().active)
    }

    /// Concurrent misses share one fetch; a flood of random kids makes no further fetch within the interval.
    @Test func singleFlightAndKidFlood() throws {
        let jwks = ScriptedJWKS(Self.allKeys, hold: true)
        let verifier = Self.verifier(jwks)
        let answers = Atomic<Int>(0)
        let active = Atomic<Int>(0)
        for index in 0..<50 {
            let token = Self.rsa.sign(Self.claims(), alg: "RS256", kid: index % 2 == 0 ? "rsa-1" : "random-\(index)")
            verifier.verify(token: token) { result in
                answers.add(1, ordering: .relaxed)
                if case .success(let value) = result, value.active { active.add(1, ordering: .relaxed) }
            }
        }
        #expect(jwks.calls.load(ordering: .relaxed) == 1)
        #expect(answers.load(ordering: .relaxed) == 0)
        jwks.release()
        #expect(answers.load(ordering: .relaxed) == 50)
        #expect(active.load(ordering: .relaxed) == 25)
        for index in 0..<1000 {
            let token = Self.rsa.sign(Self.claims(), alg: "RS256", kid: "flood-\(index)")
            verifier.verify(token: token) { _ in answers.add(1, ordering: .relaxed) }
        }
        #expect(answers.load(ordering: .relaxed) == 1050)
        #expect(jwks.calls.load(ordering: .relaxed) == 1)
    }

    /// A request that joins a running fetch is answered even when the fetch completes (on another thread) right
    /// as it joins: deciding to join and registering as a waiter are one step. Before, a waiter registered just
    /// after the fetch handed out its waiters was never answered (a request held forever).
    @Test func joinRacingTheFetchIsAnswered() throws {
        let token = Self.rsa.sign(Self.claims(), alg: "RS256")
        let perThread = 40
        let threads = 3
        for _ in 0..<100 {
            let jwks = ScriptedJWKS([Self.rsa.jwk], hold: true)
            let verifier = Self.verifier(jwks)
            let answers = Atomic<Int>(0)
            verifier.verify(token: token) { _ in answers.add(1, ordering: .relaxed) }
            let done = DispatchGroup()
            for _ in 0..<threads {
                done.enter()
                Thread.detachNewThread {
                    for _ in 0..<perThread { verifier.verify(token: token) { _ in answers.add(1, ordering: .relaxed) } }
                    done.leave()
                }
            }
            Thread.sleep(forTimeInterval: 0.0002)
            jwks.release()
            done.wait()
            let expected = 1 + threads * perThread
            let deadline = Date().addingTimeInterval(2)
            while answers.load(ordering: .relaxed) < expected, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.001)
            }
            try #require(answers.load(ordering: .relaxed) == expected)
        }
    }

    /// Key rotation: a token with the new `kid` refetches the set (after the interval) and verifies.
    @Test func rotationRefetches() throws {
        let jwks = ScriptedJWKS([Self.rsa.jwk])
        let verifier = Self.verifier(jwks, interval: .milliseconds(50))
        #expect(try #require(Self.verify(verifier, Self.rsa.sign(Self.claims(), alg: "RS256"))).get().active)
        let rotated = JWSTestSigner.rsa(kid: "rsa-2")
        jwks.keys.withLock { $0 = [rotated.jwk] }
        Thread.sleep(forTimeInterval: 0.06)
        #expect(try #require(Self.verify(verifier, rotated.sign(Self.claims(), alg: "RS256"))).get().active)
        #expect(jwks.calls.load(ordering: .relaxed) == 2)
    }

    /// A failed fetch is the fetch's error (502), and within the interval no second call is made.
    @Test func failedFetch() throws {
        let calls = Atomic<Int>(0)
        let verifier = LocalTokenVerifier(
            fetch: { completion in
                calls.add(1, ordering: .relaxed)
                completion(.failure(.timeout))
            }, audience: nil, clockSkew: .seconds(30), refetchInterval: .seconds(30),
            recorder: ASCallRecorder(metrics: nil, server: nil), logger: Logger(label: "test"))
        let token = Self.rsa.sign(Self.claims(), alg: "RS256")
        #expect(Self.verify(verifier, token) == .failure(.timeout))
        #expect(Self.verify(verifier, token) == .failure(.timeout))
        #expect(calls.load(ordering: .relaxed) == 1)
    }
}
