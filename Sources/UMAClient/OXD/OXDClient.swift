import Logging
import PEPCore

/// Talks to an oxd 4.x server the way the Gluu Gateway plugins do (SPEC Part B §4): every command is
/// `POST {oxd_url}/{command}` with a JSON body and `Content-Type: application/json`, answers are plain JSON (no
/// envelope). Protected commands carry `Authorization: Bearer <oxd access token>`, obtained and cached through the
/// shared `ProtectionTokenProvider`; a rejected token is dropped, re-fetched once and the command retried once.
///
/// Every completion runs on the control-plane thread (or synchronously on the caller's thread when the control plane
/// is stopped); see `ControlPlane`. Failures are `OXDError`s, all of which the PEP maps to 502.
public final class OXDClient: Sendable {
    /// The oxd server, registration and credentials.
    public let configuration: OXDConfiguration
    let controlPlane: ControlPlane
    let tokens: ProtectionTokenProvider
    let logger: Logger

    /// Creates a client.
    /// - Parameters:
    ///   - configuration: oxd URL, `oxd_id`, client credentials, `op_host`, call options.
    ///   - controlPlane: The started control plane that performs the calls.
    ///   - tokens: The process-wide token cache (shared by every service with the same oxd URL and client id).
    ///   - logger: Where failures are logged (command, detail, status; never tokens or secrets).
    public init(
        configuration: OXDConfiguration, controlPlane: ControlPlane, tokens: ProtectionTokenProvider,
        logger: Logger = Logger(label: "uma-pep.oxd")
    ) {
        self.configuration = configuration
        self.controlPlane = controlPlane
        self.tokens = tokens
        self.logger = logger
    }

    // MARK: Unprotected token commands

    /// `POST /get-client-token` (SPEC §4.1, §2.8): body `{"client_id","client_secret","scope":["openid","oxd"],
    /// "op_host"}`, no Authorization. Accepts a 2xx answer with a non-empty `access_token`.
    public func getClientToken(completion: @escaping @Sendable (Result<OXDClientToken, OXDError>) -> Void) {
        self.getClientToken { result, _ in completion(result) }
    }

    /// `getClientToken`, also passing on the answer's `error_description` when it was refused (oxd puts the
    /// authorization server's reason there, e.g. `invalid_client`).
    func getClientToken(
        describedCompletion completion: @escaping @Sendable (Result<OXDClientToken, OXDError>, String?) -> Void
    ) {
        let body: JSONValue = .object([
            "client_id": .string(self.configuration.clientId),
            "client_secret": .string(self.configuration.clientSecret),
            "scope": .array([.string("openid"), .string("oxd")]),
            "op_host": .string(self.configuration.opHost),
        ])
        self.post("get-client-token", body: body, bearer: nil) { result in
            let description = try? result.get().errorDescription
            completion(
                result.flatMap { reply in
                    Result { () throws(OXDError) in try OXDClient.decodeClientToken(reply, command: "get-client-token")
                    }
                }, description)
        }
    }

    /// `POST /get-access-token-by-refresh-token` (SPEC §4.2) with `Authorization: Bearer <accessToken>`
    /// (Appendix A row 2: the reference forgot the bearer): body `{"oxd_id","refresh_token"}`.
    public func getAccessTokenByRefreshToken(
        _ refreshToken: String, accessToken: String,
        completion: @escaping @Sendable (Result<OXDClientToken, OXDError>) -> Void
    ) {
        let command = "get-access-token-by-refresh-token"
        let body: JSONValue = .object([
            "oxd_id": .string(self.configuration.oxdId), "refresh_token": .string(refreshToken),
        ])
        self.post(command, body: body, bearer: accessToken) { result in
            completion(
                result.flatMap { reply in
                    Result { () throws(OXDError) in try OXDClient.decodeClientToken(reply, command: command) }
                })
        }
    }

    // MARK: Plumbing

    /// One command call: JSON body out, JSON body in (parsed lazily by the caller's decoder).
    func post(
        _ command: String, body: JSONValue, bearer: String?,
        completion: @escaping @Sendable (Result<JSONReply, OXDError>) -> Void
    ) {
        var headers = [HTTPField(name: "Content-Type", value: "application/json")]
        if let bearer { headers.append(HTTPField(name: "Authorization", value: "Bearer \(bearer)")) }
        let call = HTTPCall(
            method: "POST", url: self.configuration.url(of: command), headers: headers,
            body: JSONCodec.serialize(body), options: self.configuration.http)
        self.controlPlane.submitJSON(call) { result in
            completion(result.mapError { .transport(command: command, $0) })
        }
    }

    /// A protected command: bearer token from the provider, one retry with a fresh token on rejection, failures
    /// logged once.
    func protectedCommand<Success: Sendable>(
        _ command: String, body: JSONValue,
        decode: @escaping @Sendable (JSONReply) throws(OXDError) -> Success,
        completion: @escaping @Sendable (Result<Success, OXDError>) -> Void
    ) {
        self.tokens.withToken(
            from: self,
            isRejection: { $0.isRejectedAccessToken },
            tokenFailure: { .protectionToken($0) },
            operation: { token, done in
                self.post(command, body: body, bearer: token) { result in
                    done(result.flatMap { reply in Result { () throws(OXDError) in try decode(reply) } })
                }
            },
            completion: { result in
                if case .failure(let error) = result { self.log(error, command: command) }
                completion(result)
            })
    }

    func log(_ error: OXDError, command: String) {
        var metadata: Logger.Metadata = ["command": "\(command)", "detail": "\(error.detail)"]
        if case .unexpectedStatus(_, let status, let code) = error {
            metadata["status"] = "\(status)"
            if let code { metadata["error"] = "\(code)" }
        }
        // Why TLS failed (curl's words: unknown CA, host name mismatch, expired) is what an operator needs.
        if case .transport(_, .tls(let reason)) = error { metadata["reason"] = "\(reason)" }
        self.logger.warning("oxd command failed", metadata: metadata)
    }

    /// The body of a reply with an accepted status, as a JSON object.
    /// - Throws: `.unexpectedStatus` (with oxd's `error` code), `.invalidJSON`, or `.invalidField(body)` when the
    ///   JSON is not an object.
    static func object(
        _ reply: JSONReply, command: String, accepting statuses: ClosedRange<Int> = 200...200
    ) throws(OXDError) -> JSONValue {
        guard statuses.contains(reply.status) else {
            throw .unexpectedStatus(command: command, status: reply.status, error: reply.errorCode)
        }
        switch reply.json {
        case .failure(let error): throw .invalidJSON(command: command, error)
        case .success(let value):
            guard value.objectValue != nil else { throw .invalidField(command: command, field: "body") }
            return value
        }
    }

    static func decodeClientToken(_ reply: JSONReply, command: String) throws(OXDError) -> OXDClientToken {
        let json = try OXDClient.object(reply, command: command, accepting: 200...299)
        guard let tokenValue = json["access_token"], tokenValue != .null else {
            throw .missingField(command: command, field: "access_token")
        }
        guard let accessToken = tokenValue.stringValue, !accessToken.isEmpty else {
            throw .invalidField(command: command, field: "access_token")
        }
        var expiresIn: Int64?
        if let value = json["expires_in"], value != .null {
            guard let seconds = value.intValue else { throw .invalidField(command: command, field: "expires_in") }
            expiresIn = seconds
        }
        var refreshToken: String?
        if let value = json["refresh_token"], value != .null {
            guard let text = value.stringValue else { throw .invalidField(command: command, field: "refresh_token") }
            refreshToken = text.isEmpty ? nil : text
        }
        var scopes: [String] = []
        switch json["scope"] {
        case nil, .null?: break
        case .string(let text)?: scopes = text.split(separator: " ").map(String.init)
        case .array(let items)?:
            for item in items {
                guard let scope = item.stringValue else { throw .invalidField(command: command, field: "scope") }
                scopes.append(scope)
            }
        default: throw .invalidField(command: command, field: "scope")
        }
        return OXDClientToken(
            accessToken: accessToken, expiresIn: expiresIn, refreshToken: refreshToken, scopes: scopes)
    }
}

extension OXDClient: ProtectionTokenIssuer {
    /// Cache slot: (oxd URL, client id), SPEC §2.8.
    public var protectionTokenKey: ProtectionTokenKey {
        ProtectionTokenKey(service: self.configuration.oxdURL, clientId: self.configuration.clientId)
    }

    /// Refreshes with `/get-access-token-by-refresh-token` when the expired token has a refresh token, falling
    /// back to `/get-client-token` on any failure (SPEC §2.8).
    public func issueProtectionToken(
        previous: ProtectionToken?,
        completion: @escaping @Sendable (Result<IssuedProtectionToken, ProtectionTokenError>) -> Void
    ) {
        let finish: @Sendable (Result<OXDClientToken, OXDError>, String?) -> Void = { result, description in
            switch result {
            case .success(let token):
                self.logger.debug(
                    "oxd access token issued", metadata: ["token": "\(TokenTag.of(token.accessToken))"])
                completion(
                    .success(
                        IssuedProtectionToken(
                            accessToken: token.accessToken, refreshToken: token.refreshToken,
                            expiresInSeconds: token.expiresIn)))
            case .failure(let error):
                self.log(error, command: "get-client-token")
                completion(.failure(ProtectionTokenError(error, description: description)))
            }
        }
        guard let previous, let refreshToken = previous.refreshToken else {
            self.getClientToken(describedCompletion: finish)
            return
        }
        self.getAccessTokenByRefreshToken(refreshToken, accessToken: previous.accessToken) { result in
            if case .success = result {
                finish(result, nil)
            } else {
                self.getClientToken(describedCompletion: finish)
            }
        }
    }
}

extension ProtectionTokenError {
    /// The failure of an oxd token command, with its status, `error` code and transport failure kept apart.
    init(_ error: OXDError, description: String?) {
        self.init(detail: error.detail, message: "\(error)")
        switch error {
        case .unexpectedStatus(_, let status, let code):
            self.status = status
            self.errorCode = code
            self.errorDescription = description
        case .transport(_, let failure): self.transport = failure
        default: break
        }
    }
}
