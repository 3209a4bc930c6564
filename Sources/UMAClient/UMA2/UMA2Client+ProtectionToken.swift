import PEPCore

extension UMA2Client: ProtectionTokenIssuer {
    /// Cache slot: (issuer, client id).
    public var protectionTokenKey: ProtectionTokenKey {
        ProtectionTokenKey(service: self.configuration.issuer, clientId: self.configuration.clientId)
    }

    /// Obtains a PAT (SPEC §5.2): `POST token_endpoint` form `grant_type=client_credentials&scope=uma_protection`
    /// with client authentication. Accepts 200 with a non-empty `access_token`; `expires_in` must be an integer when
    /// present; `scope` (string or array) must contain `uma_protection` when present and
    /// `requireProtectionScope` is on.
    public func issueProtectionToken(
        previous: ProtectionToken?,
        completion: @escaping @Sendable (Result<IssuedProtectionToken, ProtectionTokenError>) -> Void
    ) {
        let operation = "pat"
        let requireScope = self.configuration.requireProtectionScope
        let finish: @Sendable (Result<IssuedProtectionToken, UMA2Error>) -> Void = { result in
            switch result {
            case .success(let token):
                self.logger.debug("PAT issued", metadata: ["token": "\(TokenTag.of(token.accessToken))"])
                completion(.success(token))
            case .failure(let error):
                self.log(error)
                completion(.failure(ProtectionTokenError(error)))
            }
        }
        self.metadata { metadataResult in
            guard case .success(let metadata) = metadataResult else {
                if case .failure(let error) = metadataResult { finish(.failure(error)) }
                return
            }
            let request = self.clientAuthenticatedForm(
                url: metadata.tokenEndpoint,
                fields: [("grant_type", "client_credentials"), ("scope", "uma_protection")])
            self.send(operation, request) { result in
                finish(
                    result.flatMap { reply in
                        Result { () throws(UMA2Error) in
                            try UMA2Client.decodePAT(reply, requireScope: requireScope)
                        }
                    })
            }
        }
    }

    static func decodePAT(_ reply: JSONReply, requireScope: Bool) throws(UMA2Error) -> IssuedProtectionToken {
        let operation = "pat"
        let json = try UMA2Client.object(reply, operation: operation)
        let accessToken = try UMA2Client.requiredString(json, "access_token", operation: operation)
        var expiresIn: Int64?
        if let value = json["expires_in"], value != .null {
            guard let seconds = value.intValue else { throw .invalidField(operation: operation, field: "expires_in") }
            expiresIn = seconds
        }
        var scopes: [String]?
        switch json["scope"] {
        case nil, .null?: break
        case .string(let text)?: scopes = text.split(separator: " ").map(String.init)
        case .array(let items)?: scopes = items.compactMap(\.stringValue)
        default: throw .invalidField(operation: operation, field: "scope")
        }
        if requireScope, let scopes, !scopes.contains("uma_protection") {
            throw .invalidField(operation: operation, field: "scope")
        }
        var refreshToken: String?
        if case .string(let text)? = json["refresh_token"], !text.isEmpty { refreshToken = text }
        return IssuedProtectionToken(accessToken: accessToken, refreshToken: refreshToken, expiresInSeconds: expiresIn)
    }
}

extension ProtectionTokenError {
    /// The failure of a PAT request, with its status, `error` code and transport failure kept apart.
    init(_ error: UMA2Error) {
        self.init(detail: error.detail, message: "\(error)")
        switch error {
        case .unexpectedStatus(_, let status, let code):
            self.status = status
            self.errorCode = code
        case .transport(_, let failure): self.transport = failure
        default: break
        }
    }
}
