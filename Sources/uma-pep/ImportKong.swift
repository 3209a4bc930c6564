import ArgumentParser
import Foundation
import PEPCore
import UMAClient
import UMAPEPRuntime

/// `uma-pep import`: configuration importers.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a uma-pep configuration from another gateway's.", subcommands: [ImportKong.self])
}

/// `uma-pep import kong`: a thin shell around `KongImport` (docs/migration.md, "Import from Kong"). It reads the
/// input (a file, stdin, or the Admin API's paginated lists), writes the configuration and prints the notes.
struct ImportKong: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kong",
        abstract: "Convert a Gluu Gateway (Kong) configuration into a uma-pep configuration.",
        discussion: """
            Reads Kong's declarative configuration (deck dump or kong config db_export, YAML or JSON, \
            _format_version 1.1, 2.1 or 3.0) from FILE (- for stdin), or a running Kong's Admin API with \
            --admin-url. Writes the uma-pep configuration to --output (default stdout) and lists on stderr every \
            field it could not convert, with its path. Client secrets are written as ${NAME_CLIENT_SECRET} \
            references, never inline. Exit status 0 when a configuration was written; 1 when none could be.

            Examples:
              uma-pep import kong kong.yaml -o uma-pep.yaml
              uma-pep import kong --admin-url http://127.0.0.1:8001 -o uma-pep.yaml
            """)

    @Argument(help: "A declarative configuration file (- for stdin).") var file: String?
    @Option(help: "Read a running Kong's Admin API instead, e.g. http://127.0.0.1:8001.") var adminURL: String?
    @Option(
        name: .customLong("admin-header"),
        help: "A header for Admin API calls, NAME:VALUE (e.g. Kong-Admin-Token:…); repeatable.")
    var adminHeaders: [String] = []
    @Option(help: "PEM CA bundle to verify an https --admin-url with.") var caFile: String?
    @Option(name: [.short, .long], help: "Write the configuration here instead of stdout.") var output: String?
    @Flag(help: "Write register_resources: true (uma-pep registers the rules at start; see the migration checklist).")
    var registerResources = false
    @Option(help: "Default proxy listen address written (${UMA_PEP_LISTEN:-…}).") var listen = "0.0.0.0:8000"
    @Option(help: "Default admin listen address written (${UMA_PEP_ADMIN_LISTEN:-…}).") var adminListen =
        "127.0.0.1:8001"

    func validate() throws {
        guard (self.file == nil) != (self.adminURL == nil) else {
            throw ValidationError("give exactly one of FILE and --admin-url")
        }
        _ = try self.headerFields()
    }

    /// `--admin-header` as fields. A bad one is refused without echoing it: it usually carries a token.
    private func headerFields() throws -> [HTTPField] {
        try self.adminHeaders.enumerated().map { index, header in
            let colon = header.firstIndex(of: ":") ?? header.endIndex
            let name = header[..<colon].trimmingCharacters(in: .whitespaces)
            let value = header[colon...].dropFirst().trimmingCharacters(in: .whitespaces)
            guard colon != header.endIndex, HeaderField.isValidName(name), HeaderField.isValidValue(value) else {
                throw ValidationError(
                    "--admin-header #\(index + 1) is not NAME:VALUE with a header name and a value without control "
                        + "characters (not shown: it may hold a token)")
            }
            return HTTPField(name: name, value: value)
        }
    }

    func run() throws {
        let options = KongImport.Options(
            source: self.adminURL ?? self.file ?? "-", registerResources: self.registerResources, listen: self.listen,
            adminListen: self.adminListen)
        let result: KongImport.Result
        do {
            if let adminURL = self.adminURL {
                var notes: [KongImportNote] = []
                let lists = try self.fetchAdminAPI(adminURL)
                let document = KongDocument.adminAPI(
                    services: lists["/services"] ?? [], routes: lists["/routes"] ?? [],
                    plugins: lists["/plugins"] ?? [], consumers: lists["/consumers"] ?? [],
                    upstreams: lists["/upstreams"] ?? [], targets: lists["targets"] ?? [], notes: &notes)
                result = try KongImport.convert(document, notes: notes, options: options)
            } else {
                result = try KongImport.convert(declarativeText: try self.readInput(), options: options)
            }
        } catch let error as KongImportError {
            throw CLIError(error.description)
        }
        if let output = self.output {
            do {
                // Atomically (a temporary file renamed over the path) only onto a regular file or a new path:
                // renaming over a device, a FIFO or a symlink would replace it (as root, `-o /dev/null` replaced
                // the system's /dev/null with a regular file).
                let type = (try? FileManager.default.attributesOfItem(atPath: output))?[.type] as? FileAttributeType
                let atomically = type == nil || type == .typeRegular
                try result.yaml.write(toFile: output, atomically: atomically, encoding: .utf8)
            } catch {
                throw CLIError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            Console.write(result.yaml)
        }
        var report = result.notes.map { "\($0)\n" }.joined()
        let skipped = result.notes.filter { $0.severity == .skipped }.count
        report +=
            "import kong: \(result.services.count) service(s) written (\(result.services.joined(separator: ", "))); "
            + "\(result.notes.count) note(s), \(skipped) skipped"
        if !result.secretVariables.isEmpty {
            report += "; set \(result.secretVariables.joined(separator: ", ")) before serve or check-config"
        }
        FileHandle.standardError.write(Data((report + "\n").utf8))
    }

    /// The input text. Read as a stream, so that `/dev/null`, a pipe (`<(deck dump -o -)`) or an empty file is
    /// read as empty (the importer then says the input is empty); only a file that cannot be opened or read is
    /// refused here, with the reason.
    private func readInput() throws -> String {
        guard let file = self.file, file != "-" else {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        } catch {
            throw CLIError("\(file): cannot read the file (\(error.localizedDescription))")
        }
    }

    /// Every page of every list endpoint, by endpoint (`targets`: all upstreams' targets).
    private func fetchAdminAPI(_ baseURL: String) throws -> [String: [JSONValue]] {
        let headers = [HTTPField(name: "Accept", value: "application/json")] + (try self.headerFields())
        let controlPlane = ControlPlane()
        try controlPlane.start()
        defer { controlPlane.shutdown() }
        let callOptions = HTTPCallOptions(
            // A page holds at most 1000 entities: 16 MiB is far beyond a real one and bounds what a broken or
            // hostile answer can make the parser hold.
            connectTimeout: .seconds(5), totalTimeout: .seconds(30), maxResponseBodyBytes: 16 << 20,
            tls: TLSOptions(caFile: self.caFile))

        func list(_ endpoint: String, optional: Bool) throws -> [JSONValue] {
            var url: String? = KongAdminAPI.firstPageURL(baseURL: baseURL, endpoint: endpoint)
            var items: [JSONValue] = []
            var pages = 0
            var visited: Set<String> = []
            while let current = url {
                pages += 1
                guard pages <= 100_000 else { throw CLIError("GET \(endpoint): more than 100000 pages") }
                guard visited.insert(current).inserted else {
                    throw CLIError("GET \(endpoint): the Admin API's 'next' links go round in a loop")
                }
                let response = try Self.get(
                    controlPlane, HTTPCall(method: "GET", url: current, headers: headers, options: callOptions))
                if optional, response.status == 404 { return [] }
                guard response.status == 200 else {
                    throw CLIError(
                        "GET \(KongAdminAPI.redacted(current)): status \(response.status) \(Self.excerpt(response.body))"
                    )
                }
                let page = try KongAdminAPI.page(response.body, baseURL: baseURL, endpoint: endpoint)
                items += page.data
                url = page.next
            }
            return items
        }

        var lists: [String: [JSONValue]] = [:]
        for endpoint in KongAdminAPI.requiredEndpoints { lists[endpoint] = try list(endpoint, optional: false) }
        let upstreams = try list("/upstreams", optional: true)
        lists["/upstreams"] = upstreams
        var targets: [JSONValue] = []
        for upstream in upstreams {
            guard let id = upstream["id"]?.stringValue ?? upstream["name"]?.stringValue else { continue }
            targets += try list("/upstreams/\(id)/targets", optional: true)
        }
        lists["targets"] = targets
        return lists
    }

    private static func get(_ controlPlane: ControlPlane, _ call: HTTPCall) throws -> HTTPResponse {
        switch Blocking.wait({ done in controlPlane.submit(call, completion: done) }) {
        case .response(let response): return response
        case .failure(let error): throw CLIError("GET \(KongAdminAPI.redacted(call.url)): \(error)")
        }
    }

    private static func excerpt(_ body: [UInt8]) -> String {
        String(String(decoding: body.prefix(200), as: UTF8.self).map { $0.isNewline ? " " : $0 })
    }
}
