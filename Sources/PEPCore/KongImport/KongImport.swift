/// `uma-pep import kong`: Kong's configuration (declarative or from the Admin API) → a uma-pep configuration
/// plus a report of everything that could not be carried over (docs/migration.md, "Import from Kong").
///
/// Pure: a document in, YAML text and notes out. The rules, from the Kong and Gluu Gateway 4.x docs:
/// - Each Kong service with at least one route that has `hosts` becomes a uma-pep service (`url` from
///   `protocol`/`host`/`port`/`path` or `url`; a Kong upstream name is replaced by its target). Routes of one
///   service whose plugins differ become one uma-pep service each (`<service>-<route>`).
/// - Plugins apply with Kong's precedence: route and service > route > service > global. Consumer-scoped and
///   disabled plugins are not converted.
/// - `gluu-uma-auth` and `gluu-uma-pep` become one `authorization_servers` entry per oxd registration
///   (`oxd_url`, `op_url`, `oxd_id`, `client_id`), shared by every service that used it, with
///   `client_secret: ${<NAME>_CLIENT_SECRET}`; when the two plugins of a service differ, the pep plugin's wins.
///   `uma_scope_expression` is kept in its stringified-JSON form.
/// - A service protected by a plugin uma-pep does not implement (gluu-oauth-*, gluu-openid-connect, key-auth, …)
///   and by no UMA plugin is left out, never converted into an open service.
/// - The output always loads (`check-config`); secrets never appear in it nor in the notes.
public enum KongImport {
    /// Choices that are not in Kong's configuration.
    public struct Options: Sendable, Equatable {
        /// Where the input came from, for the header comment (a file name or the Admin API URL; a URL is written
        /// without its user information and query, see `KongAdminAPI.redacted(_:)`).
        public var source: String
        /// `register_resources` of every oxd entry. Default `false`: reuse Gluu Gateway's registration for the
        /// same `oxd_id` (docs/migration.md, checklist step 7).
        public var registerResources: Bool
        /// The default of `listen` (`${UMA_PEP_LISTEN:-…}`); Kong's proxy listened on `0.0.0.0:8000`.
        public var listen: String
        /// The default of `admin.listen` (`${UMA_PEP_ADMIN_LISTEN:-…}`); Kong's Admin API was on `127.0.0.1:8001`.
        public var adminListen: String

        /// Creates options with the defaults above.
        public init(
            source: String, registerResources: Bool = false, listen: String = "0.0.0.0:8000",
            adminListen: String = "127.0.0.1:8001"
        ) {
            self.source = source
            self.registerResources = registerResources
            self.listen = listen
            self.adminListen = adminListen
        }
    }

    /// What the import produced.
    public struct Result: Sendable, Equatable {
        /// The uma-pep configuration (YAML), loadable with `ConfigLoader.load` once `secretVariables` are set.
        public var yaml: String
        /// Everything not carried over unchanged, in input order.
        public var notes: [KongImportNote]
        /// The environment variables the configuration reads secrets from: `client_secret`, one per server, then
        /// `UMA_PEP_COOKIE_KEY` when a service redirects to claims gathering (`claims_gathering.cookie_keys`).
        public var secretVariables: [String]
        /// Names of the uma-pep services written.
        public var services: [String]
    }

    /// Imports a declarative configuration (YAML or JSON text, as `deck dump` or `kong config db_export` writes).
    /// - Throws: `KongImportError` when the text does not parse, is not a declarative configuration of a supported
    ///   `_format_version`, or no service could be converted.
    public static func convert(declarativeText text: String, options: Options) throws(KongImportError) -> Result {
        let node: ConfigNode?
        do {
            node = try ConfigLoader.parseDocument(text, file: options.source)
        } catch {
            throw KongImportError(error.description)
        }
        guard let node else { throw KongImportError("\(options.source): the input is empty") }
        var notes: [KongImportNote] = []
        let document = try KongDocument.declarative(node.jsonValue, notes: &notes)
        return try Self.convert(document, notes: notes, options: options)
    }

    /// Converts a document (see the type's rules).
    /// - Parameter notes: Notes already made while reading the document; the result's notes start with them.
    /// - Throws: `KongImportError` when no service could be converted.
    public static func convert(
        _ document: KongDocument, notes: [KongImportNote] = [], options: Options
    ) throws(KongImportError) -> Result {
        var converter = Converter(document: document, options: options, notes: notes)
        converter.run()
        guard !converter.services.isEmpty else {
            throw KongImportError(
                "no Kong service could be converted:\n"
                    + converter.notes.map { "  \($0)" }.joined(separator: "\n"))
        }
        let yaml = converter.render()
        var environment: [String: String] = [:]
        for server in converter.servers { environment[server.secretVariable] = "placeholder" }
        // The claims-gathering cookie key must decode to 32 bytes: a placeholder of that shape (never written out).
        environment["UMA_PEP_COOKIE_KEY"] = String(repeating: "A", count: 43)
        do {
            _ = try ConfigLoader.load(text: yaml, fileName: "imported", environment: environment, coreCount: 2)
        } catch {
            throw KongImportError("the written configuration does not load (a bug in import kong): \(error)")
        }
        return Result(
            yaml: yaml, notes: converter.notes,
            secretVariables: converter.servers.map(\.secretVariable)
                + (converter.services.contains { $0.claims.redirectClaimGatheringURL } ? ["UMA_PEP_COOKIE_KEY"] : []),
            services: converter.services.map(\.name))
    }
}
