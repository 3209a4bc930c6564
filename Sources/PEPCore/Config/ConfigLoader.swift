/// Loads and validates a uma-pep configuration file into a `PEPConfiguration` (SPEC A12).
///
/// Pure: the caller reads the file and passes its text, its name (for messages) and the environment used for
/// `${VAR}` substitution. Steps: parse YAML (or strict JSON when the text starts with `{`), substitute
/// `${…}` in string values, check every field against the schema (unknown fields are errors), validate
/// values and cross references, compile. The first problem found is thrown as a `ConfigError` naming the
/// field path; see docs/configuration.md for the schema.
public enum ConfigLoader {
    /// The top-level fields, in the order they are checked.
    static let topLevelFields = [
        "listen", "admin", "workers", "limits", "authorization_servers", "cache", "consumers", "consumer_mapping",
        "trusted_proxies", "trust_request_id", "path_params", "encoded_slashes", "fold_case", "services",
        "access_log", "readiness", "claims_gathering",
    ]

    /// Loads a configuration.
    /// - Parameters:
    ///   - text: The file contents (YAML 1.2 or JSON).
    ///   - fileName: Shown in errors (`"<file>: <fieldPath>: <message>"`).
    ///   - environment: Variables for `${VAR}` / `${VAR:-default}` (the CLI passes the process environment).
    ///   - coreCount: What `workers: auto` resolves to (clamped to 1…256).
    /// - Returns: The compiled configuration.
    /// - Throws: `ConfigError` for the first problem found.
    public static func load(
        text: String, fileName: String, environment: [String: String], coreCount: Int
    ) throws(ConfigError) -> PEPConfiguration {
        let parsed = try Self.parseDocument(text, file: fileName)
        guard let parsed else {
            throw ConfigError(
                file: fileName, fieldPath: "", message: "the configuration is empty", reason: .emptyDocument)
        }
        let root = try parsed.substitutingEnvironment(
            EnvironmentSubstitution(environment: environment), path: .root, file: fileName)
        guard case .mapping = root else {
            throw ConfigError(
                file: fileName, fieldPath: "",
                message: "the top level must be a mapping of settings, found \(root.typeName)", reason: .emptyDocument)
        }
        let reader = try ConfigReader(root, at: .root, file: fileName, allowed: Self.topLevelFields)
        let listeners = try Self.loadListeners(reader)
        let admin = try Self.loadAdmin(reader, listeners: listeners)
        let workerCount = try Self.loadWorkers(reader, coreCount: coreCount)
        let limits = try Self.loadLimits(reader)
        let authorizationServers = try Self.loadAuthorizationServers(reader)
        let cache = try Self.loadCache(reader)
        let consumers = try Self.loadConsumers(reader)
        let consumerMapping = try reader.bool("consumer_mapping", default: false)
        let trustedProxies = try Self.loadTrustedProxies(reader)
        let trustRequestId = try reader.bool("trust_request_id", default: false)
        let pathParams = try reader.enumeration("path_params", default: PathParamsMode.reject)
        let encodedSlashes = try reader.enumeration("encoded_slashes", default: EncodedSlashesMode.reject)
        let foldCase = try reader.bool("fold_case", default: false)
        let services = try Self.loadServices(reader, authorizationServers: authorizationServers)
        let accessLog = try Self.loadAccessLog(reader)
        let claimsGathering = try Self.loadClaimsGathering(
            reader, needed: services.first { $0.policy.claims.redirectClaimGatheringURL }?.name)
        let readinessReader = try ConfigReader(
            reader.node("readiness") ?? .mapping([]), at: reader.path["readiness"], file: fileName,
            allowed: ["require_authorization_server"])
        let readiness = ReadinessSettings(
            requireAuthorizationServer: try readinessReader.bool("require_authorization_server", default: false))
        return PEPConfiguration(
            sourceFile: fileName, listeners: listeners, admin: admin, workerCount: workerCount, limits: limits,
            authorizationServers: authorizationServers, cache: cache, consumers: consumers,
            consumerMapping: consumerMapping, trustedProxies: trustedProxies, trustRequestId: trustRequestId,
            pathParams: pathParams, encodedSlashes: encodedSlashes, foldCase: foldCase, services: services,
            accessLog: accessLog, readiness: readiness, claimsGathering: claimsGathering,
            redactedDocument: root.redactedJSON)
    }

    /// Parses the text: strict JSON when it starts with `{` (falling back to YAML, which is a superset), else
    /// YAML. A leading byte-order mark is ignored.
    /// - Returns: `nil` for an empty document.
    static func parseDocument(_ text: String, file: String) throws(ConfigError) -> ConfigNode? {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        let looksLikeJSON = body.first { !$0.isWhitespace } == "{"
        guard looksLikeJSON else { return try ConfigNode.parseYAML(String(body), file: file) }
        let jsonFailure: StrictJSONReader.Failure
        do {
            return try StrictJSONReader.read(String(body))
        } catch {
            jsonFailure = error
        }
        do {
            return try ConfigNode.parseYAML(String(body), file: file)
        } catch {
            throw ConfigError(
                file: file, fieldPath: "",
                message: "invalid JSON at byte \(jsonFailure.offset): \(jsonFailure.message)", reason: .invalidJSON)
        }
    }

    /// A name for services and authorization servers: `[A-Za-z0-9._-]+`, at most 128 characters.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
