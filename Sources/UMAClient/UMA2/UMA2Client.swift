import Logging
import PEPCore

/// Talks to a UMA 2.0 authorization server directly (SPEC A9, Part B §5): discovery, PAT, RPT introspection,
/// permission tickets, resource registration, and the requesting-party token endpoint.
///
/// The discovery document is fetched once (single-flight) and cached; a failed fetch is retried by the next call.
/// The PAT lives in the shared `ProtectionTokenProvider` under (issuer, client id) and is re-fetched once when the
/// protection API answers 401/403. Every completion runs on the control-plane thread (see `ControlPlane`).
public final class UMA2Client: Sendable {
    /// Issuer, credentials and call options.
    public let configuration: UMA2ClientConfiguration
    let controlPlane: ControlPlane
    let tokens: ProtectionTokenProvider
    let logger: Logger

    private struct DiscoveryState {
        var metadata: UMA2ServerMetadata?
        var fetching = false
        var waiters: [@Sendable (Result<UMA2ServerMetadata, UMA2Error>) -> Void] = []
    }

    private let discovery = Locked(DiscoveryState())

    /// An HTTP request to one of the AS endpoints, before authentication is added.
    struct Request: Sendable {
        var method: String
        var url: String
        var headers: [HTTPField]
        var body: [UInt8]
    }

    /// Creates a client.
    /// - Parameters:
    ///   - configuration: Issuer, credentials, authentication methods, call options.
    ///   - controlPlane: The started control plane that performs the calls.
    ///   - tokens: The process-wide protection-token cache.
    ///   - logger: Where failures are logged (operation, detail, status; never tokens or secrets).
    public init(
        configuration: UMA2ClientConfiguration, controlPlane: ControlPlane, tokens: ProtectionTokenProvider,
        logger: Logger = Logger(label: "uma-pep.uma2")
    ) {
        self.configuration = configuration
        self.controlPlane = controlPlane
        self.tokens = tokens
        self.logger = logger
    }

    /// The discovery document (`GET {issuer}/.well-known/uma2-configuration`, SPEC §5.1): cached after the first
    /// success; concurrent first callers share one fetch. Accepts only 200.
    public func metadata(completion: @escaping @Sendable (Result<UMA2ServerMetadata, UMA2Error>) -> Void) {
        let cached = self.discovery.withLock { state -> UMA2ServerMetadata?? in
            if let metadata = state.metadata { return .some(metadata) }
            state.waiters.append(completion)
            if state.fetching { return .some(nil) }
            state.fetching = true
            return nil
        }
        switch cached {
        case .some(.some(let metadata)):
            completion(.success(metadata))
        case .some(.none):
            break
        case .none:
            let request = Request(
                method: "GET", url: self.configuration.discoveryURL,
                headers: [HTTPField(name: "Accept", value: "application/json")], body: [])
            self.send("discovery", request) { result in
                let outcome = result.flatMap { reply in
                    Result { () throws(UMA2Error) in
                        try UMA2ServerMetadata(discoveryDocument: try UMA2Client.object(reply, operation: "discovery"))
                    }
                }
                if case .failure(let error) = outcome { self.log(error) }
                let waiters = self.discovery.withLock { state in
                    state.fetching = false
                    if case .success(let metadata) = outcome { state.metadata = metadata }
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter(outcome) }
            }
        }
    }

    // MARK: Plumbing

    func send(
        _ operation: String, _ request: Request,
        completion: @escaping @Sendable (Result<JSONReply, UMA2Error>) -> Void
    ) {
        let call = HTTPCall(
            method: request.method, url: request.url, headers: request.headers, body: request.body,
            options: self.configuration.http)
        self.controlPlane.submitJSON(call) { result in
            completion(result.mapError { .transport(operation: operation, $0) })
        }
    }

    /// A form POST authenticated with the client's credentials (`client_secret_basic` or `client_secret_post`).
    func clientAuthenticatedForm(url: String, fields: [(name: String, value: String)]) -> Request {
        var fields = fields
        var headers = [
            HTTPField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            HTTPField(name: "Accept", value: "application/json"),
        ]
        switch self.configuration.clientAuthentication {
        case .clientSecretBasic:
            headers.append(
                HTTPField(
                    name: "Authorization",
                    value: FormEncoding.basicAuthorization(
                        clientId: self.configuration.clientId, clientSecret: self.configuration.clientSecret)))
        case .clientSecretPost:
            fields.append(("client_id", self.configuration.clientId))
            fields.append(("client_secret", self.configuration.clientSecret))
        }
        return Request(method: "POST", url: url, headers: headers, body: FormEncoding.body(fields))
    }

    /// A protection-API call: discovery, then the request with `Authorization: Bearer <PAT>`, retried once with a
    /// re-fetched PAT on 401/403; failures logged once.
    func protectedCall<Success: Sendable>(
        _ operation: String,
        request: @escaping @Sendable (UMA2ServerMetadata) throws(UMA2Error) -> Request,
        decode: @escaping @Sendable (JSONReply) throws(UMA2Error) -> Success,
        completion: @escaping @Sendable (Result<Success, UMA2Error>) -> Void
    ) {
        let finish: @Sendable (Result<Success, UMA2Error>) -> Void = { result in
            if case .failure(let error) = result { self.log(error) }
            completion(result)
        }
        self.metadata { metadataResult in
            let built = metadataResult.flatMap { metadata in
                Result { () throws(UMA2Error) in try request(metadata) }
            }
            guard case .success(let base) = built else {
                if case .failure(let error) = built { finish(.failure(error)) }
                return
            }
            self.tokens.withToken(
                from: self,
                isRejection: { $0.isRejectedProtectionToken },
                tokenFailure: { .protectionToken($0) },
                operation: { token, done in
                    var request = base
                    request.headers.append(HTTPField(name: "Authorization", value: "Bearer \(token)"))
                    self.send(operation, request) { result in
                        done(result.flatMap { reply in Result { () throws(UMA2Error) in try decode(reply) } })
                    }
                },
                completion: finish)
        }
    }

    func log(_ error: UMA2Error) {
        var metadata: Logger.Metadata = ["detail": "\(error.detail)"]
        switch error {
        case .transport(let operation, _), .invalidJSON(let operation, _), .missingField(let operation, _),
            .invalidField(let operation, _):
            metadata["operation"] = "\(operation)"
        case .unexpectedStatus(let operation, let status, let code):
            metadata["operation"] = "\(operation)"
            metadata["status"] = "\(status)"
            if let code { metadata["error"] = "\(code)" }
        case .missingEndpoint(let name):
            metadata["endpoint"] = "\(name)"
        case .protectionToken:
            break
        }
        if case .transport(_, .tls(let reason)) = error { metadata["reason"] = "\(reason)" }
        self.logger.warning("authorization server call failed", metadata: metadata)
    }

    /// The body of a reply with an accepted status, as a JSON object.
    /// - Throws: `.unexpectedStatus` (with the OAuth `error` code), `.invalidJSON`, or `.invalidField(body)`.
    static func object(
        _ reply: JSONReply, operation: String, accepting statuses: Set<Int> = [200]
    ) throws(UMA2Error) -> JSONValue {
        guard statuses.contains(reply.status) else {
            throw .unexpectedStatus(operation: operation, status: reply.status, error: reply.errorCode)
        }
        switch reply.json {
        case .failure(let error): throw .invalidJSON(operation: operation, error)
        case .success(let value):
            guard value.objectValue != nil else { throw .invalidField(operation: operation, field: "body") }
            return value
        }
    }

    /// A non-empty string member.
    /// - Throws: `.missingField` when absent/`null`, `.invalidField` when not a non-empty string.
    static func requiredString(_ json: JSONValue, _ name: String, operation: String) throws(UMA2Error) -> String {
        guard let value = json[name], value != .null else { throw .missingField(operation: operation, field: name) }
        guard let text = value.stringValue, !text.isEmpty else {
            throw .invalidField(operation: operation, field: name)
        }
        return text
    }
}
