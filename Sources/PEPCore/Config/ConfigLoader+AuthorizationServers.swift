extension ConfigLoader {
    /// Fields of an `authorization_servers` entry.
    static let authorizationServerFields = [
        "mode", "oxd_url", "op_url", "oxd_id", "client_id", "client_secret", "ca_file", "insecure_skip_verify",
        "connect_timeout", "timeout", "register_resources", "realm", "client_certificate", "client_private_key",
        "jwt_rpts",
    ]

    /// `authorization_servers`: a mapping from name to settings (SPEC A8, A9; Part B §1.1).
    static func loadAuthorizationServers(
        _ reader: ConfigReader
    ) throws(ConfigError) -> [AuthorizationServerConfiguration] {
        guard let node = reader.node("authorization_servers") else { return [] }
        guard case .mapping(let members) = node else {
            throw reader.error(
                "authorization_servers", .typeMismatch,
                "expected a mapping from names to authorization servers, found \(node.typeName)")
        }
        var servers: [AuthorizationServerConfiguration] = []
        for member in members {
            let path = reader.path["authorization_servers"][member.key]
            guard Self.isValidName(member.key) else {
                throw ConfigError(
                    file: reader.file, fieldPath: path.description,
                    message: "'\(member.key)' is not a valid name (letters, digits, '.', '_', '-')",
                    reason: .invalidName)
            }
            servers.append(try Self.loadAuthorizationServer(member.key, member.value, at: path, file: reader.file))
        }
        return servers
    }

    private static func loadAuthorizationServer(
        _ name: String, _ node: ConfigNode, at path: FieldPath, file: String
    ) throws(ConfigError) -> AuthorizationServerConfiguration {
        let entry = try ConfigReader(node, at: path, file: file, allowed: Self.authorizationServerFields)
        let mode = try entry.enumeration("mode", default: AuthorizationServerConfiguration.Mode.oxd)
        var oxdURL: String?
        var oxdId: String?
        switch mode {
        case .oxd:
            oxdURL = try Self.loadURL(entry, "oxd_url")
            oxdId = try entry.requiredString("oxd_id")
        case .uma2:
            for key in ["oxd_url", "oxd_id"] where entry.has(key) {
                throw entry.error(key, .fieldNotAllowed, "'\(key)' is only used with mode: oxd")
            }
        }
        let opURL = try Self.loadURL(entry, "op_url", keepTrailingSlash: true)
        let connectTimeout = try entry.duration("connect_timeout", default: .seconds(1))
        let timeout = try entry.duration("timeout", default: .seconds(5))
        guard connectTimeout <= timeout else {
            throw entry.error(
                "connect_timeout", .invalidValue,
                "connect_timeout (\(ConfigDuration.format(connectTimeout))) exceeds timeout "
                    + "(\(ConfigDuration.format(timeout)))")
        }
        let realm = try entry.string("realm") ?? "rs"
        guard !realm.isEmpty,
            realm.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
        else {
            throw entry.error("realm", .invalidValue, "realm must be printable ASCII without '\"' or '\\'")
        }
        return AuthorizationServerConfiguration(
            name: name, mode: mode, oxdURL: oxdURL, opURL: opURL, oxdId: oxdId,
            clientId: try entry.requiredString("client_id"),
            clientSecret: ConfigSecret(try entry.requiredString("client_secret")),
            caFile: try entry.string("ca_file"),
            insecureSkipVerify: try entry.bool("insecure_skip_verify", default: false),
            connectTimeout: connectTimeout, timeout: timeout,
            registerResources: try entry.bool("register_resources", default: false), realm: realm,
            clientCertificate: try Self.loadClientCertificate(entry),
            jwtRPTs: try Self.loadJWTRPTSettings(entry))
    }

    /// A required `http(s)` URL field, validated with the `Upstream` grammar and returned as written (minus
    /// trailing slashes unless `keepTrailingSlash`: an issuer is compared as an exact string).
    private static func loadURL(
        _ entry: ConfigReader, _ key: String, keepTrailingSlash: Bool = false
    ) throws(ConfigError) -> String {
        let text = try entry.requiredString(key)
        if case .failure(let error) = Upstream.parse(text) {
            throw entry.error(
                key, .invalidURL, "'\(ConfigRedaction.url(text))' is not a valid URL: \(error.message)")
        }
        guard !keepTrailingSlash else { return text }
        var trimmed = Substring(text)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
