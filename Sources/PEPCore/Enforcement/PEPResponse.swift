/// A response uma-pep sends itself: the reference's response catalogue, byte for byte (SPEC A2, Part B §2.10).
///
/// Shapes (`Content-Length` is added by the data plane; Kong's `Server` header is not reproduced):
/// ```
/// 401 Content-Type: application/json; charset=utf-8            {"message":"Unauthorized"}
///     WWW-Authenticate: UMA realm="rs",as_uri="<issuer>",error="insufficient_scope",ticket="<ticket>"
/// 403 Content-Type: application/json; charset=utf-8            {"message":"Unprotected path\/method are not allowed"}
/// 502 Content-Type: application/json; charset=utf-8            {"message":"An unexpected error ocurred"}
/// 400 (no Content-Type)                                        (empty body)
/// ```
/// Bodies are encoded once, as Kong's `kong.response.exit` encodes `{message = …}` with lua-cjson: no spaces
/// and `/` escaped as `\/` (the only message containing `/` is P1's). The reference spelling `ocurred` is kept
/// (Appendix A row 12). Only the `WWW-Authenticate` value is built per request.
public struct PEPResponse: Sendable, Equatable {
    /// HTTP status code.
    public let status: Int
    /// Header fields to send besides `Content-Length` (and the data plane's own `Date`/`Connection`).
    public let headers: [HeaderField]
    /// The exact body bytes.
    public let body: [UInt8]
    /// Why the request was answered locally.
    public let denial: EnforcementDenial

    /// Stable detail string of the denial (`pep.*`), for the access log and metrics.
    public var detail: String { self.denial.detail }

    /// The catalogue entry for a denial.
    /// - Parameter denial: the reason; `ticketIssued` / `ticketForInsufficientScope` carry the already
    ///   validated `WWW-Authenticate` value.
    public init(_ denial: EnforcementDenial) {
        self.denial = denial
        switch denial {
        case .noBearerToken:
            (self.status, self.headers, self.body) = (401, Catalogue.json, Catalogue.noBearerToken)
        case .malformedBearerToken, .invalidToken:
            (self.status, self.headers, self.body) = (401, Catalogue.json, Catalogue.invalidToken)
        case .unknownConsumer:
            (self.status, self.headers, self.body) = (401, Catalogue.json, Catalogue.unknownConsumer)
        case .jwt(let failure):
            (self.status, self.headers, self.body) = (401, Catalogue.json, Catalogue.jwt(failure))
        case .ticketIssued(let challenge), .ticketForInsufficientScope(let challenge):
            self.status = 401
            self.headers = Catalogue.json + [HeaderField(name: "WWW-Authenticate", value: challenge)]
            self.body = Catalogue.unauthorized
        case .unprotectedPath:
            (self.status, self.headers, self.body) = (403, Catalogue.json, Catalogue.unprotectedPath)
        case .noTokenUnprotectedPath:
            (self.status, self.headers, self.body) = (403, Catalogue.json, Catalogue.noTokenUnprotectedPath)
        case .tokenNotAuthenticated:
            (self.status, self.headers, self.body) = (403, Catalogue.json, Catalogue.tokenNotAuthenticated)
        case .notAuthorized:
            (self.status, self.headers, self.body) = (403, Catalogue.json, Catalogue.notAuthorized)
        case .claimsCallbackWithoutSession, .claimsCallbackStateMismatch, .claimsCallbackReplayed:
            (self.status, self.headers, self.body) = (400, [], [])
        case .claimsCallbackMissingArguments:
            (self.status, self.headers, self.body) = (400, Catalogue.json, Catalogue.missingTicketOrState)
        case .authorizationServer, .incompleteIntrospection, .grantedWithoutToken, .missingChallenge,
            .resourceNotRegistered, .unsafeUpstreamHeader, .unsafeChallenge, .unexpectedEvent:
            (self.status, self.headers, self.body) = (502, Catalogue.json, Catalogue.unexpectedError)
        }
    }

    /// The body `{"message":"<message>"}` encoded as lua-cjson does (no spaces, `"` `\` `/` and controls
    /// escaped). Used once per catalogue entry.
    /// - Parameter message: the message text.
    /// - Returns: the body bytes.
    public static func messageBody(_ message: String) -> [UInt8] {
        CanonicalJSON.encode(.object(["message": .string(message)]))
    }
}

/// The precomputed catalogue (Part B §2.10): encoded once, shared by every response.
private enum Catalogue {
    static let json = [HeaderField(name: "Content-Type", value: "application/json; charset=utf-8")]
    static let noBearerToken = PEPResponse.messageBody("Failed to get bearer token from Authorization header")
    static let invalidToken = PEPResponse.messageBody("Invalid access token provided in Authorization header")
    static let unknownConsumer = PEPResponse.messageBody("Unknown consumer")
    static let badJWT = PEPResponse.messageBody("Bad JWT")
    static let missedKid = PEPResponse.messageBody("JWT - missed kid")
    static let unknownKid = PEPResponse.messageBody("Unknown kid")
    static let notVerified = PEPResponse.messageBody("JWT is not verified, reason: ")
    static let malformedPayload = PEPResponse.messageBody("JWT - malformed payload")
    static let unauthorized = PEPResponse.messageBody("Unauthorized")
    static let unprotectedPath = PEPResponse.messageBody("Unprotected path/method are not allowed")
    static let noTokenUnprotectedPath = PEPResponse.messageBody("Invalid request, no token and no protected path")
    static let tokenNotAuthenticated = PEPResponse.messageBody("Token not authenticated")
    static let notAuthorized = PEPResponse.messageBody("You are not authorized to access this resource")
    static let missingTicketOrState = PEPResponse.messageBody("missed ticket or state argument(s)")
    static let unexpectedError = PEPResponse.messageBody("An unexpected error ocurred")

    static func jwt(_ failure: EnforcementDenial.JWTFailure) -> [UInt8] {
        switch failure {
        case .badJWT: return Self.badJWT
        case .missedKid: return Self.missedKid
        case .unknownKid: return Self.unknownKid
        case .notVerified: return Self.notVerified
        case .malformedPayload: return Self.malformedPayload
        }
    }
}
