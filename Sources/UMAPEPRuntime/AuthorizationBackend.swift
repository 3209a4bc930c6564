import Foundation
import PEPCore
import PEPMetrics
import UMAClient

/// The control-plane operations enforcement needs from one authorization server, in the enforcement state
/// machine's own terms (SPEC A8, A9). Completions run on the control-plane thread.
protocol AuthorizationBackend: Sendable {
    /// RPT introspection (oxd `/introspect-rpt`, Part B §4.5; UMA 2.0 introspection, §5.9).
    func introspect(
        token: String, completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void)
    /// oxd `/uma-rs-check-access` (Part B §4.4); `rpt` is `""` when the client sent none.
    func checkAccess(
        rpt: String, path: String, method: String,
        completion: @escaping @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void)
    /// UMA 2.0 permission endpoint (Part B §5.4).
    func requestTicket(
        resourceId: String, scopes: [String],
        completion: @escaping @Sendable (Result<PermissionTicket, AuthorizationServerError>) -> Void)
    /// `obtain_rpt`: an RPT for `ticket` (oxd `/uma-rp-get-rpt`, Part B §2.5 B; the token endpoint, §5.6), with a
    /// pushed claim token (`claim_token` + `claim_token_format`) when given.
    func obtainRPT(
        ticket: String, claimToken: PushedClaimToken?,
        completion: @escaping @Sendable (Result<RPTOutcome, AuthorizationServerError>) -> Void)
    /// The claims-gathering URL for a `need_info` ticket (oxd `/uma-rp-get-claims-gathering-url`, §4.7; the AS's
    /// `claims_interaction_endpoint`, §5.8).
    func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<String, AuthorizationServerError>) -> Void)
}

extension AuthorizationBackend {
    /// A backend without a requesting-party side (test doubles): every RPT request fails closed.
    func obtainRPT(
        ticket: String, claimToken: PushedClaimToken?,
        completion: @escaping @Sendable (Result<RPTOutcome, AuthorizationServerError>) -> Void
    ) {
        completion(.failure(.unexpectedAccess))
    }

    /// A backend without a requesting-party side: no claims-gathering URL (fails closed).
    func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<String, AuthorizationServerError>) -> Void
    ) {
        completion(.failure(.unexpectedAccess))
    }
}

/// A claim token pushed with an RPT request (`pushed_claims`). The token is never logged.
struct PushedClaimToken: Sendable {
    let token: String
    let format: String
}

/// An RPT answer in enforcement's terms: a refusal code (`request_denied`, `forbidden_by_policy`, …) is an answer,
/// not a failure.
enum RPTOutcomes {
    static func map(_ response: RPTResponse) -> RPTOutcome {
        switch response {
        case .rpt(let token): return .rpt(token.accessToken)
        case .needInfo(let info): return .needInfo(ticket: info.ticket, redirectUser: info.redirectUser)
        }
    }

    /// The refusal code of an unexpected 4xx answer, when it is one.
    static func denial(status: Int, code: String?) -> RPTOutcome? {
        guard (400..<500).contains(status), let code, RPTOutcome.denialCodes.contains(code) else { return nil }
        return .denied(error: code)
    }
}

/// Records one authorization-server call in the metrics (SPEC A10 `uma_pep_as_*`).
struct ASCallRecorder: Sendable {
    let metrics: PEPMetrics?
    let server: MetricsServerID?

    func record(_ operation: ASOperation, started: ContinuousClock.Instant, error: AuthorizationServerError?) {
        guard let metrics = self.metrics, let server = self.server else { return }
        let outcome: ASOutcome
        switch error {
        case .none: outcome = .ok
        case .timeout?: outcome = .timeout
        case .transport?: outcome = .transportError
        case .unexpectedStatus(let status)? where status == 401 || status == 403: outcome = .unauthorized
        case .unexpectedStatus?: outcome = .httpError
        case .protectionTokenUnavailable?: outcome = .unauthorized
        default: outcome = .invalidResponse
        }
        metrics.recordASRequest(
            server: server, operation: operation, outcome: outcome, duration: ContinuousClock.now - started)
    }

    /// Records an introspection; an active answer without `iat`, `client_id` or `permissions` counts as
    /// `invalid_response` (the request fails with 502, Part B §2.2 A4b; SECURITY.md case 20 wants the
    /// authorization-server error metric to show it).
    func recordIntrospection(
        started: ContinuousClock.Instant, _ outcome: Result<IntrospectionResult, AuthorizationServerError>
    ) {
        var error = outcome.failure
        if case .success(let result) = outcome, result.active, !result.hasRequiredMembers {
            error = .malformedBody
        }
        self.record(.introspection, started: started, error: error)
    }
}

/// `mode: oxd`: every call goes to the oxd server like the Kong plugins do (SPEC Part B §4).
struct OXDBackend: AuthorizationBackend {
    let client: OXDClient
    let recorder: ASCallRecorder
    /// Told when oxd answers `/uma-rs-check-access` as if the resources were not registered
    /// (`ResourceRegistration.resourcesMissing`); nil when uma-pep does not register them.
    var onResourcesMissing: (@Sendable (String) -> Void)? = nil
    /// `"METHOD pattern"` for every explicit method of every protected condition uma-pep registered. Only a
    /// miss on one of these means the registration is gone: a `"?"` condition's check-access always misses
    /// (oxd has no resource for the real method), and must not make every request re-register — each
    /// registration replaces the resources and invalidates outstanding RPTs.
    var registeredMethods: Set<String> = []

    func introspect(
        token: String, completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.introspectRPT(token) { result in
            let mapped = result.mapError(Self.map)
            self.recorder.recordIntrospection(started: started, mapped)
            completion(mapped)
        }
    }

    func checkAccess(
        rpt: String, path: String, method: String,
        completion: @escaping @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.umaRSCheckAccess(rpt: rpt, path: path, httpMethod: method) { result in
            let mapped = result.map { decision -> CheckAccessResponse in
                switch decision {
                case .granted: return .granted
                case .denied(let header, let ticket): return .denied(wwwAuthenticate: header, ticket: ticket)
                }
            }.mapError(Self.map)
            self.recorder.record(.checkAccess, started: started, error: mapped.failure)
            // 400 invalid_request ("Resource is not protected with path…", Part B §4.4) or invalid_resource_id
            // (the AS resource was deleted behind oxd's back): the registration is gone.
            if case .failure(.unexpectedStatus(_, 400, let code?)) = result,
                code == "invalid_request" || code == "invalid_resource_id",
                self.registeredMethods.contains("\(method) \(path)")
            {
                self.onResourcesMissing?("uma-rs-check-access: \(code)")
            }
            completion(mapped)
        }
    }

    func requestTicket(
        resourceId: String, scopes: [String],
        completion: @escaping @Sendable (Result<PermissionTicket, AuthorizationServerError>) -> Void
    ) {
        // oxd registers tickets itself inside /uma-rs-check-access; the state machine never asks in oxd mode.
        completion(.failure(.unexpectedAccess))
    }

    func obtainRPT(
        ticket: String, claimToken: PushedClaimToken?,
        completion: @escaping @Sendable (Result<RPTOutcome, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.umaRPGetRPT(
            ticket: ticket, claimToken: claimToken?.token, claimTokenFormat: claimToken?.format
        ) { result in
            var mapped = result.map(RPTOutcomes.map).mapError(Self.map)
            if case .failure(.unexpectedStatus(_, let status, let code)) = result,
                let denial = RPTOutcomes.denial(status: status, code: code)
            {
                mapped = .success(denial)
            }
            self.recorder.record(.rpt, started: started, error: mapped.failure)
            completion(mapped)
        }
    }

    func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<String, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.umaRPGetClaimsGatheringURL(ticket: ticket, claimsRedirectURI: claimsRedirectURI, state: state) {
            result in
            // oxd generates its own state only when none is given; one that differs could not be checked.
            let mapped = result.mapError(Self.map).flatMap { answer -> Result<String, AuthorizationServerError> in
                if let echoed = answer.state, echoed != state { return .failure(.invalidMember("state")) }
                return .success(answer.url)
            }
            self.recorder.record(.claimsGatheringURL, started: started, error: mapped.failure)
            completion(mapped)
        }
    }

    static func map(_ error: OXDError) -> AuthorizationServerError {
        switch error {
        case .transport(_, let transport): return ControlPlaneErrors.map(transport)
        case .invalidJSON: return .malformedBody
        case .unexpectedStatus(_, let status, _): return .unexpectedStatus(status)
        case .missingField(_, let field), .invalidField(_, let field): return .invalidMember(field)
        case .protectionToken: return .protectionTokenUnavailable
        }
    }
}

/// `mode: uma2`: a UMA 2.0 authorization server directly (SPEC A9, Part B §5.11); decisions are local.
struct UMA2Backend: AuthorizationBackend {
    let client: UMA2Client
    let recorder: ASCallRecorder
    /// Told when the permission endpoint answers 400 `invalid_resource_id` (UMA 2.0 Federated Authorization
    /// §4.3: the resource set is unknown) (`ResourceRegistration.resourcesMissing`).
    var onResourcesMissing: (@Sendable (String) -> Void)? = nil

    func introspect(
        token: String, completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.introspect(rpt: token) { result in
            let mapped = result.mapError(Self.map)
            self.recorder.recordIntrospection(started: started, mapped)
            completion(mapped)
        }
    }

    func checkAccess(
        rpt: String, path: String, method: String,
        completion: @escaping @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void
    ) {
        // uma2 decisions are made locally from the RPT's permissions; the state machine never asks.
        completion(.failure(.unexpectedAccess))
    }

    func requestTicket(
        resourceId: String, scopes: [String],
        completion: @escaping @Sendable (Result<PermissionTicket, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.requestPermissionTicket([UMA2PermissionRequest(resourceId: resourceId, scopes: scopes)]) {
            result in
            let mapped = result.map(PermissionTicket.init).mapError(Self.map)
            self.recorder.record(.permissionTicket, started: started, error: mapped.failure)
            if case .failure(.unexpectedStatus(_, 400, "invalid_resource_id")) = result {
                self.onResourcesMissing?("permission endpoint: invalid_resource_id")
            }
            completion(mapped)
        }
    }

    func obtainRPT(
        ticket: String, claimToken: PushedClaimToken?,
        completion: @escaping @Sendable (Result<RPTOutcome, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.requestRPT(
            ticket: ticket, claimToken: claimToken?.token, claimTokenFormat: claimToken?.format
        ) { result in
            var mapped = result.map(RPTOutcomes.map).mapError(Self.map)
            if case .failure(.unexpectedStatus(_, let status, let code)) = result,
                let denial = RPTOutcomes.denial(status: status, code: code)
            {
                mapped = .success(denial)
            }
            self.recorder.record(.rpt, started: started, error: mapped.failure)
            completion(mapped)
        }
    }

    func claimsGatheringURL(
        ticket: String, claimsRedirectURI: String, state: String,
        completion: @escaping @Sendable (Result<String, AuthorizationServerError>) -> Void
    ) {
        let started = ContinuousClock.now
        self.client.claimsGatheringURL(ticket: ticket, claimsRedirectURI: claimsRedirectURI, state: state) { result in
            let mapped = result.map(\.url).mapError(Self.map)
            self.recorder.record(.claimsGatheringURL, started: started, error: mapped.failure)
            completion(mapped)
        }
    }

    static func map(_ error: UMA2Error) -> AuthorizationServerError {
        switch error {
        case .transport(_, let transport): return ControlPlaneErrors.map(transport)
        case .invalidJSON: return .malformedBody
        case .unexpectedStatus(_, let status, _): return .unexpectedStatus(status)
        case .missingField(_, let field), .invalidField(_, let field): return .invalidMember(field)
        case .missingEndpoint(let name): return .invalidMember(name)
        case .protectionToken: return .protectionTokenUnavailable
        }
    }
}

enum ControlPlaneErrors {
    static func map(_ error: ControlPlaneError) -> AuthorizationServerError {
        switch error {
        case .timeout: return .timeout
        default: return .transport
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
