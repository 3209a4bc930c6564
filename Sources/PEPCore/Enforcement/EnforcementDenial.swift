/// Every reason uma-pep answers a request itself instead of forwarding it (SPEC A2, Part B §2.10).
///
/// Each case has a fixed `detail` string shared by the access log, the metrics and the tests (STYLE rule 8),
/// and maps to exactly one entry of the response catalogue (`PEPResponse.init(_:)`).
public enum EnforcementDenial: Sendable, Equatable, Hashable {
    /// `401 Failed to get bearer token…` — reference A1 (anonymous OFF); uma-pep is anonymous-ON so never
    /// emits it. Kept for the catalogue.
    case noBearerToken
    /// `401 Invalid access token…` — the `Authorization` value is `Bearer` with malformed credentials
    /// (`BearerToken.invalid`, SECURITY.md case 17).
    case malformedBearerToken
    /// `401 Invalid access token…` — reference A4c with anonymous OFF. Catalogue only.
    case invalidToken
    /// `401 Unknown consumer` — `consumer_mapping` is on and no consumer has `custom_id == client_id` (A6).
    case unknownConsumer
    /// `401` JWT verification messages (Part B §2.3). Catalogue only.
    case jwt(JWTFailure)
    /// `401 Unauthorized` + `WWW-Authenticate` with a fresh ticket: no usable token on a protected path (P3).
    case ticketIssued(wwwAuthenticate: String)
    /// `401 Unauthorized` + ticket for a valid RPT lacking the permission (`ticket_on_insufficient_scope`, A2).
    case ticketForInsufficientScope(wwwAuthenticate: String)
    /// `403 Unprotected path/method are not allowed` — active token, no rule, `deny_by_default` (P1).
    case unprotectedPath
    /// `403 Invalid request, no token and no protected path` — no usable token, no rule, `deny_by_default` (P5).
    case noTokenUnprotectedPath
    /// `403 Token not authenticated` (P6). Unreachable in uma-pep (one pipeline); catalogue only.
    case tokenNotAuthenticated
    /// `403 You are not authorized to access this resource` — the RPT lacks the permission (P9).
    case notAuthorized
    /// `400` empty body — claims callback without a (valid, pending) session (Part B §2.5 C).
    case claimsCallbackWithoutSession
    /// `400 missed ticket or state argument(s)` (Part B §2.5 C).
    case claimsCallbackMissingArguments
    /// `400` empty body — the callback's `state` is not the one this browser's session is waiting for
    /// (SECURITY "callback parameters not bound to the session").
    case claimsCallbackStateMismatch
    /// `400` empty body — the callback's `state` was already used (a replayed callback).
    case claimsCallbackReplayed
    /// `502` — oxd / the authorization server failed or answered something unusable (A8).
    case authorizationServer(AuthorizationServerError)
    /// `502` — introspection said `active` but lacks `exp`, `iat`, `client_id` or `permissions` (A4b).
    case incompleteIntrospection
    /// `502` — check-access without an RPT answered `granted` (P3).
    case grantedWithoutToken
    /// `502` — check-access answered `denied` without the `www-authenticate_header` a ticket needs (P3).
    case missingChallenge
    /// `502` — `uma2` mode has no registered resource id for the matched rule condition.
    case resourceNotRegistered
    /// `502` — a computed upstream header is unsafe (CR/LF/NUL/CTL, bad or reserved name; SECURITY.md 19).
    case unsafeUpstreamHeader(UpstreamHeaderError)
    /// `502` — the `WWW-Authenticate` value or ticket from the AS contains bytes a header cannot carry.
    case unsafeChallenge
    /// `502` — an event arrived that the state machine was not waiting for (a shell bug; never forwards).
    case unexpectedEvent

    /// Stable detail string (`pep.*`).
    public var detail: String {
        switch self {
        case .noBearerToken: return "pep.no_bearer_token"
        case .malformedBearerToken: return "pep.malformed_bearer_token"
        case .invalidToken: return "pep.invalid_token"
        case .unknownConsumer: return "pep.unknown_consumer"
        case .jwt(let failure): return failure.detail
        case .ticketIssued: return "pep.ticket_issued"
        case .ticketForInsufficientScope: return "pep.ticket_insufficient_scope"
        case .unprotectedPath: return "pep.unprotected_path"
        case .noTokenUnprotectedPath: return "pep.no_token_unprotected"
        case .tokenNotAuthenticated: return "pep.token_not_authenticated"
        case .notAuthorized: return "pep.not_authorized"
        case .claimsCallbackWithoutSession: return "pep.claims_callback_no_session"
        case .claimsCallbackMissingArguments: return "pep.claims_callback_missing_arguments"
        case .claimsCallbackStateMismatch: return "pep.claims_callback_state_mismatch"
        case .claimsCallbackReplayed: return "pep.claims_callback_replayed"
        case .authorizationServer: return "pep.as_error"
        case .incompleteIntrospection: return "pep.introspection_incomplete"
        case .grantedWithoutToken: return "pep.check_access_granted_without_token"
        case .missingChallenge: return "pep.check_access_missing_challenge"
        case .resourceNotRegistered: return "pep.resource_not_registered"
        case .unsafeUpstreamHeader: return "pep.unsafe_upstream_header"
        case .unsafeChallenge: return "pep.unsafe_challenge"
        case .unexpectedEvent: return "pep.unexpected_event"
        }
    }

    /// The local JWT verification failures of the reference (Part B §2.3), each a `401`.
    public enum JWTFailure: Sendable, Equatable, Hashable, CaseIterable {
        /// `Bad JWT`: unsupported `alg`, or key/header `alg` mismatch.
        case badJWT
        /// `JWT - missed kid`.
        case missedKid
        /// `Unknown kid`.
        case unknownKid
        /// `JWT is not verified, reason: ` (the reference drops the reason text).
        case notVerified
        /// `JWT - malformed payload`.
        case malformedPayload

        /// Stable detail string.
        public var detail: String {
            switch self {
            case .badJWT: return "pep.jwt_bad"
            case .missedKid: return "pep.jwt_missed_kid"
            case .unknownKid: return "pep.jwt_unknown_kid"
            case .notVerified: return "pep.jwt_not_verified"
            case .malformedPayload: return "pep.jwt_malformed_payload"
            }
        }
    }
}
