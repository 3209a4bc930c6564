extension KongImport {
    /// An `authorization_servers` entry being written.
    struct ServerEntry {
        var name: String
        var registration: Registration
        var secretVariable: String
        var registerResources: Bool
    }

    /// A `services` entry being written.
    struct ServiceEntry {
        var name: String
        var url: String
        var hosts: [String]
        var preserveHost: Bool
        var authorizationServer: String?
        var denyByDefault: Bool?
        var passCredentials: String?
        var customHeaders: [ConfigNode]
        var scopeExpression: String?
        /// `obtain_rpt` and claims gathering (from `gluu-uma-pep`).
        var claims = ClaimsGatheringPolicy.off
        /// The Kong entities it came from (comment in the output).
        var origin: String
        /// The input path of its `gluu-uma-pep` plugin, if any.
        var pepPath: String? = nil
    }

    /// The conversion state: notes, servers and services written so far.
    struct Converter {
        let document: KongDocument
        let options: Options
        var notes: [KongImportNote]
        var servers: [ServerEntry] = []
        var services: [ServiceEntry] = []
        var consumers: [(id: String, username: String?, customId: String)] = []
        var consumerMapping = false
        var connectTimeouts: [(ms: Int64, path: String)] = []
        var readTimeouts: [(ms: Int64, path: String)] = []
        private var authCache: [Int: AuthSettings] = [:]
        private var pepCache: [Int: PEPSettings] = [:]
        private var notedPlugins: Set<Int> = []
        private var anonymousIds: Set<String> = []
        private var consumerMappings: [(value: Bool, path: String)] = []
        private var hostOwners: [HostPattern: String] = [:]

        init(document: KongDocument, options: Options, notes: [KongImportNote]) {
            self.document = document
            self.options = options
            self.notes = notes
        }

        mutating func run() {
            self.notePlugins()
            for index in self.document.services.indices { self.convertService(index) }
            for (index, plugin) in self.document.plugins.enumerated() where self.isActive(plugin) {
                guard let name = plugin.string("name"), [KongImport.umaAuth, KongImport.umaPEP].contains(name),
                    self.authCache[index] == nil, self.pepCache[index] == nil
                else { continue }
                self.notes.append(
                    KongImportNote(
                        .dropped, plugin.path, "\(name) is in effect on no converted route; not converted"))
            }
            for route in self.document.routes where route.service == nil {
                self.notes.append(
                    KongImportNote(.skipped, route.path, "route without a service (Kong answers it with a plugin only)")
                )
            }
            self.checkRegistrations()
            self.resolveConsumerMapping()
            self.convertConsumers()
        }

        // MARK: Plugins

        /// Notes plugins that are never converted: disabled, consumer-scoped, unknown.
        private mutating func notePlugins() {
            for plugin in self.document.plugins {
                let name = plugin.string("name") ?? "?"
                if plugin.fields["enabled"]?.boolValue == false {
                    self.notes.append(
                        KongImportNote(.dropped, plugin.path, "plugin \(name) is disabled; not converted"))
                } else if plugin.consumer != nil {
                    self.notes.append(
                        KongImportNote(
                            .dropped, plugin.path,
                            "plugin \(name) is scoped to a consumer; uma-pep has no per-consumer plugins"))
                } else if name == KongImport.metrics {
                    for key in (plugin.fields["config"]?.objectValue ?? [:]).keys.sorted()
                    where !KongDocument.isEmpty(plugin.fields["config"]?[key]) {
                        self.notes.append(
                            KongImportNote(
                                .dropped, "\(plugin.path).config.\(key)",
                                "gluu-metrics has no settings in uma-pep (always on, GET /gluu-metrics on admin.listen)"
                            ))
                    }
                } else if ![KongImport.umaAuth, KongImport.umaPEP].contains(name),
                    !KongImport.unimplementedGluuPlugins.contains(name),
                    !KongImport.accessControlPlugins.contains(name)
                {
                    self.notes.append(
                        KongImportNote(.dropped, plugin.path, "plugin \(name) is not known to uma-pep; not converted"))
                }
            }
        }

        /// Whether a plugin takes part in routing decisions (enabled, not consumer-scoped).
        private func isActive(_ plugin: KongDocument.Entity) -> Bool {
            plugin.fields["enabled"]?.boolValue != false && plugin.consumer == nil
        }

        /// The plugins in effect on `route` of `service`, by name, with Kong's precedence.
        private func effectivePlugins(service: Int, route: Int) -> [String: Int] {
            var byName: [String: (rank: Int, index: Int)] = [:]
            for (index, plugin) in self.document.plugins.enumerated() where self.isActive(plugin) {
                guard let name = plugin.string("name") else { continue }
                let rank: Int
                switch (plugin.service, plugin.route) {
                case (service?, route?): rank = 0
                case (nil, route?): rank = 1
                case (service?, nil): rank = 2
                case (nil, nil): rank = 3
                default: continue
                }
                if let current = byName[name], current.rank <= rank { continue }
                byName[name] = (rank, index)
            }
            return byName.mapValues(\.index)
        }

        private mutating func auth(_ index: Int) -> AuthSettings {
            if let cached = self.authCache[index] { return cached }
            let settings = KongImport.authSettings(self.document.plugins[index], notes: &self.notes)
            self.authCache[index] = settings
            return settings
        }

        private mutating func pep(_ index: Int) -> PEPSettings {
            if let cached = self.pepCache[index] { return cached }
            let settings = KongImport.pepSettings(self.document.plugins[index], notes: &self.notes)
            self.pepCache[index] = settings
            return settings
        }

        // MARK: Services

        private mutating func convertService(_ index: Int) {
            let service = self.document.services[index]
            let path = service.path
            if service.fields["enabled"]?.boolValue == false {
                self.notes.append(KongImportNote(.skipped, path, "service '\(service.label)' is disabled in Kong"))
                return
            }
            self.noteServiceFields(service)
            guard let url = self.upstreamURL(service) else { return }
            let routes = self.document.routes.indices.filter { self.document.routes[$0].service == index }
            guard !routes.isEmpty else {
                self.notes.append(
                    KongImportNote(.skipped, path, "service '\(service.label)' has no route: Kong never proxied to it"))
                return
            }
            // Group the routes by what uma-pep sets per service: the plugins in effect and preserve_host.
            var groups: [(key: [String], routes: [Int], plugins: [String: Int], preserveHost: Bool)] = []
            for route in routes {
                guard self.routeIsConvertible(route) else { continue }
                let plugins = self.effectivePlugins(service: index, route: route)
                let preserveHost = self.document.routes[route].fields["preserve_host"]?.boolValue ?? false
                let key = plugins.keys.sorted().map { "\($0)=\(plugins[$0]!)" } + ["preserve_host=\(preserveHost)"]
                if let existing = groups.firstIndex(where: { $0.key == key }) {
                    groups[existing].routes.append(route)
                } else {
                    groups.append((key, [route], plugins, preserveHost))
                }
            }
            let baseName = self.serviceName(service, index: index)
            if groups.count > 1 {
                self.notes.append(
                    KongImportNote(
                        .changed, path,
                        "the routes of service '\(service.label)' have different plugins or preserve_host: written as "
                            + "\(groups.count) uma-pep services, one per set of routes (the metrics label changes "
                            + "accordingly)"))
            }
            let written = self.services.count
            for group in groups {
                // The name as Kong would label it: the service's, or `<service>-<route>` when split.
                var wanted = service.string("name") ?? "service\(index)"
                if groups.count > 1 {
                    let routeName = self.document.routes[group.routes[0]].string("name") ?? "route\(group.routes[0])"
                    wanted = routeName.hasPrefix(wanted) ? routeName : wanted + "-" + routeName
                }
                let name = self.uniqueName(Self.sanitizedName(wanted))
                let before = self.services.count
                self.convertGroup(
                    name: name, serverName: baseName, service: service, url: url,
                    routes: group.routes, plugins: group.plugins, preserveHost: group.preserveHost)
                if self.services.count > before, name != wanted {
                    self.noteRename(wanted, to: name, at: "\(path).name")
                }
            }
            if self.services.count > written { self.recordTimeouts(service) }
        }

        private mutating func convertGroup(
            name: String, serverName: String, service: KongDocument.Entity, url: String, routes: [Int],
            plugins: [String: Int], preserveHost: Bool
        ) {
            let origin =
                "Kong service \(service.label), route "
                + routes.map { self.document.routes[$0].label }.joined(separator: ", ")
            var entry = ServiceEntry(
                name: name, url: url, hosts: [], preserveHost: preserveHost, authorizationServer: nil,
                denyByDefault: nil, passCredentials: nil, customHeaders: [], scopeExpression: nil, origin: origin)
            let authIndex = plugins[KongImport.umaAuth]
            let pepIndex = plugins[KongImport.umaPEP]
            let others = plugins.filter {
                KongImport.unimplementedGluuPlugins.contains($0.key) || KongImport.accessControlPlugins.contains($0.key)
            }
            for (pluginName, pluginIndex) in others.sorted(by: { $0.key < $1.key })
            where self.notedPlugins.insert(pluginIndex).inserted {
                let plugin = self.document.plugins[pluginIndex]
                let what =
                    KongImport.unimplementedGluuPlugins.contains(pluginName)
                    ? "a Gluu Gateway plugin uma-pep does not implement" : "a Kong access-control plugin"
                let outcome =
                    authIndex == nil && pepIndex == nil
                    ? "the services it protects without UMA plugins are not converted (they would be open)"
                    : "where the UMA plugins also apply, only they are converted"
                self.notes.append(KongImportNote(.dropped, plugin.path, "\(pluginName) is \(what): \(outcome)"))
            }
            if authIndex == nil, pepIndex == nil, !others.isEmpty {
                self.notes.append(
                    KongImportNote(
                        .skipped, service.path,
                        "'\(name)' is protected by \(others.keys.sorted().joined(separator: ", ")) only: not converted")
                )
                return
            }
            var registration: Registration?
            if let authIndex {
                let auth = self.auth(authIndex)
                registration = auth.registration
                entry.passCredentials = auth.passCredentials
                entry.customHeaders = auth.customHeaders
                if let anonymous = auth.anonymous { self.anonymousIds.insert(anonymous) }
                self.consumerMappings.append(
                    (auth.consumerMapping, "\(self.document.plugins[authIndex].path).config.consumer_mapping"))
                if registration == nil {
                    self.notes.append(
                        KongImportNote(
                            .skipped, service.path,
                            "'\(name)' not converted: its gluu-uma-auth plugin (\(self.document.plugins[authIndex].path)) "
                                + "has no complete oxd registration"))
                    return
                }
            }
            if let pepIndex {
                let pep = self.pep(pepIndex)
                if pep.invalid != nil || pep.registration == nil {
                    self.notes.append(
                        KongImportNote(
                            .skipped, service.path,
                            "'\(name)' not converted: its gluu-uma-pep plugin (\(self.document.plugins[pepIndex].path)) "
                                + "cannot be converted"))
                    return
                }
                if let authRegistration = registration, authRegistration != pep.registration {
                    self.notes.append(
                        KongImportNote(
                            .changed, "\(self.document.plugins[pepIndex].path).config.oxd_id",
                            "gluu-uma-auth and gluu-uma-pep of '\(name)' use different oxd registrations "
                                + "(oxd_id \(authRegistration.oxdId) and \(pep.registration!.oxdId)); uma-pep uses one "
                                + "per service: the pep plugin's, which owns the registered resources"))
                }
                registration = pep.registration
                entry.pepPath = self.document.plugins[pepIndex].path
                entry.scopeExpression = pep.scopeExpression
                entry.denyByDefault = pep.denyByDefault
                entry.claims = pep.claims
                if authIndex == nil {
                    self.notes.append(
                        KongImportNote(
                            .changed, self.document.plugins[pepIndex].path,
                            "gluu-uma-pep without gluu-uma-auth on '\(name)': Kong's PEP never saw a token, uma-pep "
                                + "checks RPTs (introspection) itself"))
                }
            } else if let authIndex {
                entry.denyByDefault = true
                self.notes.append(
                    KongImportNote(
                        .changed, self.document.plugins[authIndex].path,
                        "gluu-uma-auth without gluu-uma-pep on '\(name)': uma-pep has no 'any active RPT passes' "
                            + "mode; with no uma_scope_expression every request is refused (403) until rules are added")
                )
            }
            if let registration { entry.authorizationServer = self.server(for: registration, firstUser: serverName) }
            entry.hosts = self.hosts(of: routes, service: name)
            guard !entry.hosts.isEmpty else {
                self.notes.append(
                    KongImportNote(.skipped, service.path, "'\(name)' has no host left that uma-pep can route by"))
                return
            }
            self.services.append(entry)
        }

        /// The `authorization_servers` entry of `registration`, created on first use (named after its first service).
        private mutating func server(for registration: Registration, firstUser: String) -> String {
            if let existing = self.servers.first(where: { $0.registration == registration }) { return existing.name }
            let name = Self.firstFree(firstUser, suffixed: { "\(firstUser)-\($0)" }) { name in
                self.servers.contains { $0.name == name }
            }
            var stem = String(name.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            if stem.first?.isNumber ?? true { stem = "KONG_" + stem }
            let variable = Self.firstFree(stem + "_CLIENT_SECRET", suffixed: { "\(stem)_\($0)_CLIENT_SECRET" }) {
                variable in self.servers.contains { $0.secretVariable == variable }
            }
            self.servers.append(
                ServerEntry(
                    name: name, registration: registration, secretVariable: variable,
                    registerResources: self.options.registerResources))
            return name
        }

        // MARK: Routes and hosts

        /// Notes what a route has that uma-pep cannot express; `false` when nothing of it can be routed (no hosts).
        private mutating func routeIsConvertible(_ index: Int) -> Bool {
            let route = self.document.routes[index]
            let fields = route.fields
            let path = route.path
            let handled: Set<String> = [
                "name", "hosts", "paths", "methods", "preserve_host", "protocols", "strip_path", "path_handling",
                "https_redirect_status_code", "request_buffering", "response_buffering", "regex_priority",
            ]
            guard let hosts = fields["hosts"]?.arrayValue, !hosts.isEmpty else {
                self.notes.append(
                    KongImportNote(
                        .skipped, path, "route '\(route.label)' has no hosts; uma-pep routes by Host only"))
                return false
            }
            let paths = (fields["paths"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !paths.isEmpty, paths != ["/"] {
                self.notes.append(
                    KongImportNote(
                        .changed, "\(path).paths",
                        "\(paths) cannot be expressed: uma-pep routes by Host only, so every path of the route's hosts "
                            + "reaches the service (rules and deny_by_default still apply)"))
                if fields["strip_path"]?.boolValue ?? true {
                    self.notes.append(
                        KongImportNote(
                            .changed, "\(path).strip_path",
                            "true cannot be expressed: the matched path prefix is no longer removed before forwarding"))
                }
            }
            let methods = (fields["methods"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !methods.isEmpty {
                self.notes.append(
                    KongImportNote(
                        .changed, "\(path).methods",
                        "\(methods) cannot be expressed: uma-pep routes by Host only (rules and deny_by_default decide "
                            + "by method)"))
            }
            let protocols = (fields["protocols"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !protocols.isEmpty, !protocols.contains("http") {
                self.notes.append(
                    KongImportNote(
                        .changed, "\(path).protocols",
                        "\(protocols): uma-pep does not route by protocol; give a listener TLS (listen: [{address, tls: …}]) for https"
                    ))
            }
            if let priority = fields["regex_priority"]?.intValue, priority != 0 {
                self.notes.append(KongImportNote(.dropped, "\(path).regex_priority", "no path routing in uma-pep"))
            }
            for key in ["request_buffering", "response_buffering"] where fields[key]?.boolValue == false {
                self.notes.append(KongImportNote(.dropped, "\(path).\(key)", "false: uma-pep always buffers"))
            }
            for key in fields.keys.sorted()
            where !handled.contains(key) && !KongDocument.identityFields.contains(key)
                && !KongDocument.isEmpty(fields[key])
            {
                self.notes.append(
                    KongImportNote(.dropped, "\(path).\(key)", "cannot be expressed: uma-pep routes by Host only"))
            }
            return true
        }

        /// The valid, not yet used host patterns of `routes`, noting the others.
        private mutating func hosts(of routes: [Int], service: String) -> [String] {
            var result: [String] = []
            for index in routes {
                let route = self.document.routes[index]
                for (hostIndex, value) in (route.fields["hosts"]?.arrayValue ?? []).enumerated() {
                    let path = "\(route.path).hosts[\(hostIndex)]"
                    guard let text = value.stringValue, let pattern = try? HostPattern(parsing: text) else {
                        self.notes.append(
                            KongImportNote(
                                .dropped, path,
                                "'\(value.stringValue ?? "?")' is not a host uma-pep routes by (a wildcard may only "
                                    + "be a leading '*.' label)"))
                        continue
                    }
                    if let owner = self.hostOwners[pattern] {
                        if owner != service {
                            self.notes.append(
                                KongImportNote(
                                    .dropped, path,
                                    "'\(text)' already routes to '\(owner)' (Kong told them apart by path or method)"))
                        }
                        continue
                    }
                    self.hostOwners[pattern] = service
                    result.append(text)
                }
            }
            return result
        }

        // MARK: Service fields

        private mutating func noteServiceFields(_ service: KongDocument.Entity) {
            let handled: Set<String> = [
                "name", "protocol", "host", "port", "path", "url", "connect_timeout", "read_timeout", "enabled",
            ]
            let fields = service.fields
            if let value = fields["write_timeout"]?.intValue {
                self.notes.append(
                    KongImportNote(
                        .dropped, "\(service.path).write_timeout",
                        "\(value) ms: no equivalent (uma-pep bounds the whole upstream exchange by "
                            + "upstream_read_timeout)"))
            }
            if let value = fields["retries"]?.intValue, value != 0 {
                self.notes.append(
                    KongImportNote(
                        .dropped, "\(service.path).retries",
                        "\(value): uma-pep retries once, only a body-less request on a pooled connection found closed"))
            }
            for key in fields.keys.sorted()
            where !handled.contains(key) && !["write_timeout", "retries"].contains(key)
                && !KongDocument.identityFields.contains(key) && !KongDocument.isEmpty(fields[key])
            {
                self.notes.append(KongImportNote(.dropped, "\(service.path).\(key)", "no equivalent; not converted"))
            }
        }

        /// The service's upstream URL, or `nil` (noted).
        private mutating func upstreamURL(_ service: KongDocument.Entity) -> String? {
            let fields = service.fields
            var scheme = fields["protocol"]?.stringValue ?? "http"
            var host = fields["host"]?.stringValue
            var port = fields["port"]?.intValue
            var basePath = fields["path"]?.stringValue ?? ""
            if let url = fields["url"]?.stringValue, host == nil {
                let parsed: Upstream
                switch Upstream.parse(url) {
                case .success(let upstream):
                    parsed = upstream
                case .failure(let error):
                    // Never the URL as written: it may carry a password or a token in its query.
                    self.notes.append(
                        KongImportNote(
                            .skipped, "\(service.path).url",
                            "'\(ConfigRedaction.url(url))' cannot be an uma-pep upstream: \(error.message)"))
                    return nil
                }
                scheme = parsed.scheme == .https ? "https" : "http"
                host = parsed.host.contains(":") ? "[\(parsed.host)]" : parsed.host
                port = Int64(parsed.port)
                basePath = parsed.basePath
            }
            guard scheme == "http" || scheme == "https" else {
                self.notes.append(
                    KongImportNote(
                        .skipped, "\(service.path).protocol", "'\(scheme)': uma-pep proxies HTTP only; not converted"))
                return nil
            }
            guard var host, !host.isEmpty else {
                self.notes.append(KongImportNote(.skipped, "\(service.path).host", "missing; not converted"))
                return nil
            }
            if let upstream = self.document.upstreams.firstIndex(where: { $0.string("name") == host }) {
                let targets = self.document.targets.filter { $0.upstream == upstream }
                    .compactMap { $0.string("target") }
                guard let first = targets.first else {
                    self.notes.append(
                        KongImportNote(
                            .skipped, "\(service.path).host", "'\(host)' is a Kong upstream without targets"))
                    return nil
                }
                if targets.count > 1 {
                    self.notes.append(
                        KongImportNote(
                            .changed, "\(service.path).host",
                            "'\(host)' is a Kong upstream with \(targets.count) targets; uma-pep proxies to one "
                                + "URL: \(first) (put a load balancer behind it for the others)"))
                }
                if let colon = first.lastIndex(of: ":"), !first.hasSuffix("]"),
                    let targetPort = Int64(first[first.index(after: colon)...])
                {
                    host = String(first[..<colon])
                    port = targetPort
                } else {
                    host = first
                    port = 8000
                }
            }
            if scheme == "https" {
                self.notes.append(
                    KongImportNote(
                        .changed, "\(service.path).protocol",
                        "https: uma-pep verifies the upstream's certificate against the system CAs (Kong did only with "
                            + "tls_verify); add upstream_tls.ca_file for a private CA"))
            }
            let defaultPort: Int64 = scheme == "https" ? 443 : 80
            let portText = (port == nil || port == defaultPort) ? "" : ":\(port!)"
            let pathText = basePath == "/" ? "" : basePath
            // An IPv6 literal from Kong's `host` field (`::1`) is written in brackets (RFC 3986 §3.2.2).
            let hostText = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            let url = "\(scheme)://\(hostText)\(portText)\(pathText)"
            guard case .success = Upstream.parse(url) else {
                self.notes.append(
                    KongImportNote(.skipped, service.path, "'\(url)' is not an upstream URL uma-pep takes"))
                return nil
            }
            return url
        }

        private mutating func recordTimeouts(_ service: KongDocument.Entity) {
            if let value = service.fields["connect_timeout"]?.intValue {
                self.connectTimeouts.append((value, "\(service.path).connect_timeout"))
            }
            if let value = service.fields["read_timeout"]?.intValue {
                self.readTimeouts.append((value, "\(service.path).read_timeout"))
            }
        }

        /// The longest of the services' timeouts (uma-pep has one per process), noting the services that differ.
        mutating func timeout(_ values: [(ms: Int64, path: String)], field: String) -> Int64? {
            guard let longest = values.map(\.ms).max() else { return nil }
            for value in values where value.ms != longest {
                self.notes.append(
                    KongImportNote(
                        .changed, value.path,
                        "\(value.ms) ms: uma-pep has one limits.\(field) for all services; written \(longest) ms"))
            }
            return longest
        }

        // MARK: Names

        private func serviceName(_ service: KongDocument.Entity, index: Int) -> String {
            Self.sanitizedName(service.string("name") ?? "service\(index)")
        }

        /// A `changed` note for a service written under another name than Kong's: the `service` metrics label and
        /// anything that refers to the name (dashboards, alerts) change with it.
        private mutating func noteRename(_ wanted: String, to name: String, at path: String) {
            let sanitized = Self.sanitizedName(wanted)
            var reasons: [String] = []
            if sanitized != wanted {
                reasons.append("uma-pep names take letters, digits, '.', '_' and '-' only, at most 128 characters")
            }
            if sanitized != name { reasons.append("another converted service is already named '\(sanitized)'") }
            let why = reasons.joined(separator: "; ")
            self.notes.append(
                KongImportNote(
                    .changed, path,
                    "'\(wanted)' is written as '\(name)': \(why) (the service metrics label changes accordingly)"))
        }

        private func uniqueName(_ name: String) -> String {
            Self.firstFree(name, suffixed: { "\(name)-\($0)" }) { name in self.services.contains { $0.name == name } }
        }

        /// `base` if it is not taken, else the first of `suffixed(2)`, `suffixed(3)`, … that is not.
        static func firstFree(
            _ base: String, suffixed: (Int) -> String, isTaken: (String) -> Bool
        ) -> String {
            var candidate = base
            var suffix = 2
            while isTaken(candidate) {
                candidate = suffixed(suffix)
                suffix += 1
            }
            return candidate
        }

        /// A uma-pep name (`[A-Za-z0-9._-]`, at most 128 characters): other characters become `-`.
        static func sanitizedName(_ name: String) -> String {
            let mapped = String(
                name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(128))
            return mapped.isEmpty ? "service" : mapped
        }

        /// With `--register-resources`, uma-pep registers each document with oxd `/uma-rs-protect` at start, and oxd
        /// refuses a scope expression that does not evaluate to one of its own scope names (Part B §3.2). Such a
        /// server keeps `register_resources: false` (the resources Gluu Gateway registered stay in use).
        private mutating func checkRegistrations() {
            for (index, server) in self.servers.enumerated() where server.registerResources {
                for service in self.services where service.authorizationServer == server.name {
                    guard let text = service.scopeExpression,
                        let document = try? ProtectionDocument.load(jsonText: text).document,
                        document.rules.contains(where: {
                            $0.conditions.contains { $0.scopeExpression.map { !$0.isAcceptedByOXD } ?? false }
                        })
                    else { continue }
                    self.servers[index].registerResources = false
                    self.notes.append(
                        KongImportNote(
                            .changed, "\(service.pepPath ?? service.origin).config.uma_scope_expression",
                            "a scope_expression of '\(service.name)' is one oxd's /uma-rs-protect refuses "
                                + "(invalid_scope_expression): register_resources stays false for server "
                                + "'\(server.name)'"))
                    break
                }
            }
        }

        // MARK: Consumers

        private mutating func resolveConsumerMapping() {
            guard self.consumerMappings.contains(where: \.value) else { return }
            self.consumerMapping = true
            for (value, path) in self.consumerMappings where !value {
                self.notes.append(
                    KongImportNote(
                        .changed, path,
                        "false, but another gluu-uma-auth has true: uma-pep has one consumer_mapping for all services "
                            + "(written true: tokens of unlisted clients get 401 Unknown consumer)"))
            }
        }

        private mutating func convertConsumers() {
            for consumer in self.document.consumers {
                let id = consumer.string("id")
                if let id, self.anonymousIds.contains(id) { continue }
                if let username = consumer.string("username"), self.anonymousIds.contains(username) { continue }
                guard let customId = consumer.string("custom_id") else {
                    self.notes.append(
                        KongImportNote(
                            .dropped, consumer.path,
                            "consumer '\(consumer.label)' has no custom_id: no token maps to it; not converted"))
                    continue
                }
                guard let identifier = id ?? consumer.string("username") else {
                    self.notes.append(KongImportNote(.dropped, consumer.path, "consumer without id or username"))
                    continue
                }
                if id == nil {
                    self.notes.append(
                        KongImportNote(
                            .changed, consumer.path,
                            "no id in the export (deck dump without --with-id): id written as the username "
                                + "'\(identifier)'; consumer.id headers carry it"))
                }
                if self.consumers.contains(where: { $0.id == identifier || $0.customId == customId }) {
                    self.notes.append(KongImportNote(.dropped, consumer.path, "duplicate id or custom_id"))
                    continue
                }
                self.consumers.append((identifier, consumer.string("username"), customId))
            }
        }
    }
}
