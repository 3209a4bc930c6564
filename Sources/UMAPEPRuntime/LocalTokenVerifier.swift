import Foundation
import Logging
import PEPCore
import PEPMetrics
import PEPProxy
import Synchronization

/// Verifies JWT RPTs locally (Part B §2.3, RFC 7515 §5.2, RFC 7519 §7.2) for one authorization server: the pure
/// checks (`JWSCompact`, `JWTRPTValidator`, `JWKSCacheState`) around an OpenSSL signature check
/// (`JWSSignatureVerifier`) and a JWK Set fetch (oxd `/get-jwks` or the UMA 2.0 discovery's `jwks_uri`) made on
/// the control-plane loop. Completions run on the calling thread (cached key) or the control-plane thread.
///
/// Outcomes, in introspection terms so the enforcement machine and its caches treat them like an introspection:
/// a verified token → an active `IntrospectionResult` of its claims; any verification failure → inactive (the
/// reason is logged at `debug`, never the token); a failed JWK Set fetch → the fetch's error (502).
final class LocalTokenVerifier: Sendable {
    /// The keys of the set, and the issuer the tokens' `iss` must equal.
    typealias JWKSFetch =
        @Sendable (
            _ completion:
                @escaping @Sendable (Result<(keys: [JSONValue], issuer: String), AuthorizationServerError>)
                -> Void
        ) -> Void

    private struct State {
        var cache: JWKSCacheState
        var issuer: String?
        var waiters: [@Sendable () -> Void] = []
        /// OpenSSL keys built from the cached JWKs, by `kid` (rebuilt when the JWK under a `kid` changes).
        var publicKeys: [String: (jwk: JWK, key: JWSSignatureVerifier.PublicKey)] = [:]
    }

    private let fetch: JWKSFetch
    private let audience: String?
    private let clockSkewSeconds: Int64
    private let recorder: ASCallRecorder
    private let logger: Logger
    private let epochSeconds: @Sendable () -> Int64
    private let state: Mutex<State>

    /// Creates a verifier.
    /// - Parameters:
    ///   - fetch: fetches the JWK Set (one call per invocation).
    ///   - audience: `jwt_rpts.audience`.
    ///   - clockSkew: allowance for `exp` / `nbf` (`cache.clock_skew`).
    ///   - refetchInterval: least time between two JWK Set fetches caused by unknown `kid`s.
    init(
        fetch: @escaping JWKSFetch, audience: String?, clockSkew: Duration, refetchInterval: Duration,
        recorder: ASCallRecorder, logger: Logger,
        epochSeconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.fetch = fetch
        self.audience = audience
        self.clockSkewSeconds = clockSkew.components.seconds
        self.recorder = recorder
        self.logger = logger
        self.epochSeconds = epochSeconds
        let interval = refetchInterval.components
        self.state = Mutex(
            State(
                cache: JWKSCacheState(
                    refetchIntervalMilliseconds: interval.seconds * 1000 + interval.attoseconds / 1_000_000_000_000_000)
            ))
    }

    /// The inactive answer every verification failure gives.
    static let inactive = IntrospectionResult(active: false, raw: .object(["active": .bool(false)]))

    /// Verifies `token` (a `JWSCompact.looksLikeJWS` value).
    /// - Parameters:
    ///   - token: the bearer credentials.
    ///   - completion: the result, like an introspection's.
    func verify(
        token: String, completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        let jws: JWSCompact
        let alg: JWSAlgorithm
        let kid: String
        switch JWSCompact.parse(token).flatMap({ parsed in
            JWTRPTValidator.checkHeader(parsed.header).map { (parsed, $0.alg, $0.kid) }
        }) {
        case .failure(let failure): return self.refuse(failure, kid: nil, completion)
        case .success(let value): (jws, alg, kid) = value
        }
        // The decision and the waiter's registration are one critical section: a fetch that completed between
        // them (on the control-plane thread) would hand out the waiters before this one joined, and it would
        // never be answered.
        let decision = self.state.withLock { state in
            let decision = state.cache.lookup(
                kid: kid, instant: Int64(MonotonicClock.nanoseconds() / 1_000_000), epochSeconds: self.epochSeconds())
            if decision == .fetch || decision == .join {
                state.waiters.append(self.waiter(jws, alg: alg, kid: kid, completion))
            }
            return decision
        }
        switch decision {
        case .key(let key):
            self.finish(jws, alg: alg, key: key, completion)
        case .unknownKid:
            self.refuse(.unknownKid, kid: kid, completion)
        case .failed(let error):
            completion(.failure(error))
        case .fetch:
            self.startFetch()
        case .join:
            break
        }
    }

    /// What a request that waits for a JWK Set fetch does once it is over: verify with the key, or refuse.
    private func waiter(
        _ jws: JWSCompact, alg: JWSAlgorithm, kid: String,
        _ completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) -> @Sendable () -> Void {
        {
            let after = self.state.withLock { $0.cache.afterFetch(kid: kid, epochSeconds: self.epochSeconds()) }
            switch after {
            case .key(let key): self.finish(jws, alg: alg, key: key, completion)
            case .failed(let error): completion(.failure(error))
            default: self.refuse(.unknownKid, kid: kid, completion)
            }
        }
    }

    private func startFetch() {
        let started = ContinuousClock.now
        self.fetch { result in
            self.recorder.record(.jwks, started: started, error: result.failure)
            let waiters = self.state.withLock { state -> [@Sendable () -> Void] in
                switch result {
                case .success(let set):
                    state.cache.fetched(JWK.usableKeys(set.keys, now: self.epochSeconds()))
                    state.issuer = set.issuer
                case .failure(let error):
                    state.cache.fetchFailed(error)
                }
                defer { state.waiters = [] }
                return state.waiters
            }
            switch result {
            case .success(let set):
                self.logger.debug(
                    "JWK Set fetched", metadata: ["keys": "\(set.keys.count)", "waiting": "\(waiters.count)"])
            case .failure(let error):
                self.logger.warning("JWK Set fetch failed", metadata: ["error": "\(error)"])
            }
            for waiter in waiters { waiter() }
        }
    }

    private func finish(
        _ jws: JWSCompact, alg: JWSAlgorithm, key: JWK,
        _ completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        if case .failure(let failure) = JWTRPTValidator.checkKey(key, for: alg) {
            return self.refuse(failure, kid: key.kid, completion)
        }
        let (cached, issuer) = self.state.withLock { state in
            (state.publicKeys[key.kid].flatMap { $0.jwk == key ? $0.key : nil }, state.issuer ?? "")
        }
        var publicKey = cached
        if publicKey == nil, let built = JWSSignatureVerifier.PublicKey(key) {
            publicKey = built
            self.state.withLock { state in
                if state.publicKeys.count >= 64 { state.publicKeys = [:] }
                state.publicKeys[key.kid] = (key, built)
            }
        }
        guard let publicKey,
            JWSSignatureVerifier.verify(
                alg: alg, publicKey: publicKey, signingInput: jws.signingInput, signature: jws.signature)
        else { return self.refuse(.badSignature, kid: key.kid, completion) }
        let validator = JWTRPTValidator(
            issuer: issuer, audience: self.audience, clockSkewSeconds: self.clockSkewSeconds)
        switch validator.checkClaims(jws.payload, now: self.epochSeconds()) {
        case .success(let result): completion(.success(result))
        case .failure(let failure): self.refuse(failure, kid: key.kid, completion)
        }
    }

    private func refuse(
        _ failure: JWTVerificationFailure, kid: String?,
        _ completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        // A kid flood is refused thousands of times a second: the log line is built only when it is written.
        guard self.logger.logLevel <= .debug else { return completion(.success(Self.inactive)) }
        var metadata: Logger.Metadata = [
            "detail": "\(failure.detail)", "reference": "\(failure.referenceFailure.detail)",
        ]
        if let kid {
            // The kid is the client's text: printable ASCII only, bounded, so it cannot forge log lines.
            let printable = kid.unicodeScalars.prefix(64).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
            }
            metadata["kid"] = "\(String(printable))"
        }
        self.logger.debug("JWT RPT refused", metadata: metadata)
        completion(.success(Self.inactive))
    }
}

/// An authorization backend that verifies JWT RPTs itself and hands every other call (and opaque RPTs) to the
/// backend it wraps (Part B §2.1: a bearer token that parses as a JWT is never introspected).
struct LocalJWTBackend: AuthorizationBackend {
    let inner: any AuthorizationBackend
    let verifier: LocalTokenVerifier

    /// Whether `introspect` answers `token` itself (`JWSCompact.looksLikeJWS`) rather than the wrapped backend.
    func verifiesLocally(_ token: String) -> Bool {
        JWSCompact.looksLikeJWS(token)
    }

    func introspect(
        token: String, completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        guard self.verifiesLocally(token) else { return self.inner.introspect(token: token, completion: completion) }
        self.verifier.verify(token: token, completion: completion)
    }

    func checkAccess(
        rpt: String, path: String, method: String,
        completion: @escaping @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void
    ) {
        self.inner.checkAccess(rpt: rpt, path: path, method: method, completion: completion)
    }

    func requestTicket(
        resourceId: String, scopes: [String],
        completion: @escaping @Sendable (Result<PermissionTicket, AuthorizationServerError>) -> Void
    ) {
        self.inner.requestTicket(resourceId: resourceId, scopes: scopes, completion: completion)
    }

    func obtainRPT(
        ticket: String, claimToken: PushedClaimToken?,
        completion: @escaping @Sendable (Result<RPTOutcome, AuthorizationServerError>) -> Void
    ) {
        self.inner.obtainRPT(ticket: ticket, claimToken: claimToken, completion: completion)
    }

    func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<String, AuthorizationServerError>) -> Void
    ) {
        self.inner.claimsGatheringURL(
            ticket: ticket, claimsRedirectURI: claimsRedirectURI, state: state, completion: completion)
    }
}
