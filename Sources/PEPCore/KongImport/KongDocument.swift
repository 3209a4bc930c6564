/// Kong's entities, flattened: what a declarative configuration (decK or `kong config db_export`, nested or flat)
/// or the Admin API (`/services`, `/routes`, `/plugins`, `/consumers`, `/upstreams`, `/targets`) describes,
/// with every relation resolved to an index (Kong 1.x–3.x DB-less / declarative configuration docs).
///
/// Pure: built from already parsed JSON values. Relations that point nowhere are reported as notes, and the
/// entity is left out.
public struct KongDocument: Sendable, Equatable {
    /// One Kong entity: its fields as Kong wrote them (nested children and relations removed) and where it was.
    public struct Entity: Sendable, Equatable {
        /// The input path (`services[0]`, `services[0].routes[1]`, `plugins[4]`).
        public var path: String
        /// The entity's own fields.
        public var fields: [String: JSONValue]
        /// Index into `services` (routes, plugins, service-scoped), or `nil`.
        public var service: Int?
        /// Index into `routes` (route-scoped plugins), or `nil`.
        public var route: Int?
        /// Index into `consumers` (consumer-scoped plugins), or `nil`.
        public var consumer: Int?
        /// Index into `upstreams` (targets), or `nil`.
        public var upstream: Int?

        /// The string member `key`, or `nil`.
        public func string(_ key: String) -> String? { self.fields[key]?.stringValue }

        /// `name`, else `id`, else the path: how messages name the entity.
        public var label: String { self.string("name") ?? self.string("username") ?? self.string("id") ?? self.path }
    }

    /// `_format_version` of a declarative configuration (`1.1`, `2.1`, `3.0`), `nil` for the Admin API.
    public var formatVersion: String?
    /// Kong services.
    public var services: [Entity] = []
    /// Kong routes.
    public var routes: [Entity] = []
    /// Kong plugins (global when `service`, `route` and `consumer` are all `nil`).
    public var plugins: [Entity] = []
    /// Kong consumers.
    public var consumers: [Entity] = []
    /// Kong upstreams (load-balancer names a service `host` may refer to).
    public var upstreams: [Entity] = []
    /// Kong targets of the upstreams.
    public var targets: [Entity] = []

    /// The `_format_version`s `import kong` reads (Kong 1.x, 2.x and 3.x declarative formats).
    public static let supportedFormatVersions = ["1.1", "2.1", "3.0"]

    /// Top-level keys of a declarative configuration that carry no entities.
    static let metadataKeys: Set<String> = ["_format_version", "_transform", "_info", "_workspace", "_comment"]
    /// Entity fields that only identify or tag (silently ignored).
    static let identityFields: Set<String> = ["id", "created_at", "updated_at", "tags", "ws_id"]

    /// Collections that hold credentials of a consumer, in the declarative format and the Admin API.
    static let credentialKeys: Set<String> = [
        "keyauth_credentials", "basicauth_credentials", "jwt_secrets", "oauth2_credentials",
        "hmacauth_credentials", "acls", "mtls_auth_credentials", "key_sets", "keys",
    ]

    /// Creates an empty document.
    public init(formatVersion: String? = nil) { self.formatVersion = formatVersion }

    /// Reads a declarative configuration: `_format_version` 1.1, 2.1 or 3.0, entities nested (decK) or flat with
    /// foreign keys by id or name (`kong config db_export`).
    /// - Parameters:
    ///   - root: The parsed file.
    ///   - notes: Receives a note for each key or relation that is not understood.
    /// - Throws: `KongImportError` when `root` is not a mapping, has no or an unsupported `_format_version`.
    public static func declarative(_ root: JSONValue, notes: inout [KongImportNote]) throws(KongImportError) -> Self {
        guard let top = root.objectValue else {
            throw KongImportError("the input is not a Kong declarative configuration: the top level is not a mapping")
        }
        guard let version = top["_format_version"]?.stringValue else {
            throw KongImportError(
                "_format_version: missing or not a string; a Kong declarative configuration (deck dump, kong config "
                    + "db_export) starts with _format_version \"1.1\", \"2.1\" or \"3.0\"")
        }
        guard Self.supportedFormatVersions.contains(version) else {
            throw KongImportError(
                "_format_version: '\(version)' is not supported (supported: "
                    + Self.supportedFormatVersions.joined(separator: ", ") + ")")
        }
        var document = Self(formatVersion: version)
        for key in top.keys.sorted()
        where !Self.metadataKeys.contains(key)
            && !["services", "routes", "plugins", "consumers", "upstreams", "targets"].contains(key)
            && !Self.isEmpty(top[key])
        {
            notes.append(KongImportNote(.dropped, key, "Kong '\(key)' entities are not converted (no equivalent)"))
        }
        document.addCollections(
            services: Self.items(top["services"], at: "services", notes: &notes),
            routes: Self.items(top["routes"], at: "routes", notes: &notes),
            plugins: Self.items(top["plugins"], at: "plugins", notes: &notes),
            consumers: Self.items(top["consumers"], at: "consumers", notes: &notes),
            upstreams: Self.items(top["upstreams"], at: "upstreams", notes: &notes),
            targets: Self.items(top["targets"], at: "targets", notes: &notes), notes: &notes)
        return document
    }

    /// Builds the document from the Admin API's lists (each the concatenated `data` of every page).
    /// Relations are `{"id": …}` objects, as the Admin API writes them.
    public static func adminAPI(
        services: [JSONValue], routes: [JSONValue], plugins: [JSONValue], consumers: [JSONValue],
        upstreams: [JSONValue] = [], targets: [JSONValue] = [], notes: inout [KongImportNote]
    ) -> Self {
        func label(_ values: [JSONValue], _ name: String) -> [(String, JSONValue)] {
            values.enumerated().map { ("\(name)[\($0.offset)]", $0.element) }
        }
        var document = Self(formatVersion: nil)
        document.addCollections(
            services: label(services, "services"), routes: label(routes, "routes"),
            plugins: label(plugins, "plugins"), consumers: label(consumers, "consumers"),
            upstreams: label(upstreams, "upstreams"), targets: label(targets, "targets"), notes: &notes)
        return document
    }

    /// The items of a top-level list with their paths; a non-list is noted and skipped.
    private static func items(_ value: JSONValue?, at path: String, notes: inout [KongImportNote]) -> [(
        String, JSONValue
    )] {
        guard let value, value != .null else { return [] }
        guard let array = value.arrayValue else {
            notes.append(KongImportNote(.dropped, path, "expected a list of entities; not converted"))
            return []
        }
        return array.enumerated().map { ("\(path)[\($0.offset)]", $0.element) }
    }

    /// Whether a value carries nothing (absent, `null`, `[]`, `{}`).
    static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .array(let items)?: return items.isEmpty
        case .object(let members)?: return members.isEmpty
        default: return false
        }
    }

    /// A foreign key as written: a string (id or name), or `{"id": …}` / `{"name": …}`.
    static func reference(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if let text = value.stringValue { return text }
        return value["id"]?.stringValue ?? value["name"]?.stringValue ?? value["username"]?.stringValue
    }

    private mutating func addCollections(
        services: [(String, JSONValue)], routes: [(String, JSONValue)], plugins: [(String, JSONValue)],
        consumers: [(String, JSONValue)], upstreams: [(String, JSONValue)], targets: [(String, JSONValue)],
        notes: inout [KongImportNote]
    ) {
        // Pass 1: entities that others refer to, with their nested children (decK's nested form).
        var pendingPlugins: [(path: String, value: JSONValue, service: Int?, route: Int?, consumer: Int?)] = []
        for (path, value) in services {
            guard let fields = Self.entityFields(value, at: path, notes: &notes) else { continue }
            let index = self.services.count
            self.services.append(Entity(path: path, fields: Self.strip(fields, ["routes", "plugins"])))
            for (routePath, route) in Self.items(fields["routes"], at: "\(path).routes", notes: &notes) {
                guard let routeFields = Self.entityFields(route, at: routePath, notes: &notes) else { continue }
                let routeIndex = self.routes.count
                self.routes.append(
                    Entity(path: routePath, fields: Self.strip(routeFields, ["plugins", "service"]), service: index))
                for (pluginPath, plugin) in Self.items(
                    routeFields["plugins"], at: "\(routePath).plugins", notes: &notes)
                {
                    pendingPlugins.append((pluginPath, plugin, nil, routeIndex, nil))
                }
            }
            for (pluginPath, plugin) in Self.items(fields["plugins"], at: "\(path).plugins", notes: &notes) {
                pendingPlugins.append((pluginPath, plugin, index, nil, nil))
            }
        }
        for (path, value) in consumers {
            guard let fields = Self.entityFields(value, at: path, notes: &notes) else { continue }
            let index = self.consumers.count
            for key in fields.keys.sorted() where Self.credentialKeys.contains(key) && !Self.isEmpty(fields[key]) {
                notes.append(
                    KongImportNote(
                        .dropped, "\(path).\(key)",
                        "consumer '\(Entity(path: path, fields: fields).label)': credentials are not converted "
                            + "(uma-pep accepts RPTs only)"))
            }
            self.consumers.append(
                Entity(path: path, fields: Self.strip(fields, Self.credentialKeys.union(["plugins"]))))
            for (pluginPath, plugin) in Self.items(fields["plugins"], at: "\(path).plugins", notes: &notes) {
                pendingPlugins.append((pluginPath, plugin, nil, nil, index))
            }
        }
        for (path, value) in upstreams {
            guard let fields = Self.entityFields(value, at: path, notes: &notes) else { continue }
            let index = self.upstreams.count
            self.upstreams.append(Entity(path: path, fields: Self.strip(fields, ["targets"])))
            for (targetPath, target) in Self.items(fields["targets"], at: "\(path).targets", notes: &notes) {
                guard let targetFields = Self.entityFields(target, at: targetPath, notes: &notes) else { continue }
                self.targets.append(
                    Entity(path: targetPath, fields: Self.strip(targetFields, ["upstream"]), upstream: index))
            }
        }
        // Pass 2: flat entities with foreign keys (db_export, Admin API).
        for (path, value) in routes {
            guard let fields = Self.entityFields(value, at: path, notes: &notes) else { continue }
            let service = self.resolve(fields["service"], in: self.services, what: "service", at: path, notes: &notes)
            if fields["service"] != nil, fields["service"] != .null, service == nil { continue }
            let routeIndex = self.routes.count
            self.routes.append(
                Entity(path: path, fields: Self.strip(fields, ["plugins", "service"]), service: service))
            for (pluginPath, plugin) in Self.items(fields["plugins"], at: "\(path).plugins", notes: &notes) {
                pendingPlugins.append((pluginPath, plugin, nil, routeIndex, nil))
            }
        }
        for (path, value) in plugins { pendingPlugins.append((path, value, nil, nil, nil)) }
        for (path, value) in targets {
            guard let fields = Self.entityFields(value, at: path, notes: &notes) else { continue }
            guard
                let upstream = self.resolve(
                    fields["upstream"], in: self.upstreams, what: "upstream", at: path, notes: &notes)
            else {
                notes.append(KongImportNote(.dropped, path, "target without a known upstream; not converted"))
                continue
            }
            self.targets.append(Entity(path: path, fields: Self.strip(fields, ["upstream"]), upstream: upstream))
        }
        for pending in pendingPlugins {
            guard let fields = Self.entityFields(pending.value, at: pending.path, notes: &notes) else { continue }
            var entity = Entity(
                path: pending.path, fields: Self.strip(fields, ["service", "route", "consumer"]),
                service: pending.service, route: pending.route, consumer: pending.consumer)
            var unresolved = false
            for (key, collection) in [("service", self.services), ("route", self.routes), ("consumer", self.consumers)]
            where !Self.isEmpty(fields[key]) {
                let index = self.resolve(fields[key], in: collection, what: key, at: pending.path, notes: &notes)
                if index == nil { unresolved = true }
                switch key {
                case "service": entity.service = index ?? entity.service
                case "route": entity.route = index ?? entity.route
                default: entity.consumer = index ?? entity.consumer
                }
            }
            if unresolved { continue }
            self.plugins.append(entity)
        }
    }

    /// The index of the entity `reference` names (by `id`, else `name` / `username`), noting a dangling one.
    private func resolve(
        _ value: JSONValue?, in collection: [Entity], what: String, at path: String, notes: inout [KongImportNote]
    ) -> Int? {
        guard !Self.isEmpty(value), let key = Self.reference(value) else { return nil }
        if let index = collection.firstIndex(where: { $0.string("id") == key }) { return index }
        if let index = collection.firstIndex(where: { $0.string("name") == key || $0.string("username") == key }) {
            return index
        }
        notes.append(
            KongImportNote(.skipped, "\(path).\(what)", "refers to \(what) '\(key)', which is not in the input"))
        return nil
    }

    private static func entityFields(
        _ value: JSONValue, at path: String, notes: inout [KongImportNote]
    ) -> [String: JSONValue]? {
        guard let fields = value.objectValue else {
            notes.append(KongImportNote(.dropped, path, "expected a mapping (a Kong entity); not converted"))
            return nil
        }
        return fields
    }

    private static func strip(_ fields: [String: JSONValue], _ keys: Set<String>) -> [String: JSONValue] {
        fields.filter { !keys.contains($0.key) }
    }
}
