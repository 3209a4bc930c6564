import Logging
import PEPCore
import UMAClient

extension PEPRuntime {
    /// The local JWT RPT verifier of one authorization server (`jwt_rpts`), or `nil` with
    /// `local_verification: false`. Keys come from oxd `/get-jwks` (Part B §4.9; `iss` must equal `op_url`) or the
    /// discovery's `jwks_uri` (uma2; `iss` must equal the discovered `issuer`).
    static func localTokenVerifier(
        _ server: AuthorizationServerConfiguration, backend: any AuthorizationBackend, clockSkew: Duration,
        recorder: ASCallRecorder, logger: Logger
    ) -> LocalTokenVerifier? {
        guard server.jwtRPTs.localVerification else { return nil }
        let fetch: LocalTokenVerifier.JWKSFetch
        switch backend {
        case let oxd as OXDBackend:
            let issuer = server.opURL
            fetch = { completion in
                oxd.client.getJWKS { result in
                    completion(result.map { (keys: $0, issuer: issuer) }.mapError(OXDBackend.map))
                }
            }
        case let uma2 as UMA2Backend:
            fetch = { completion in
                uma2.client.jwks { result in completion(result.mapError(UMA2Backend.map)) }
            }
        default:
            return nil
        }
        var verifierLogger = logger
        verifierLogger[metadataKey: "authorization_server"] = "\(server.name)"
        return LocalTokenVerifier(
            fetch: fetch, audience: server.jwtRPTs.audience, clockSkew: clockSkew,
            refetchInterval: server.jwtRPTs.kidRefetchInterval, recorder: recorder, logger: verifierLogger)
    }
}
