import Foundation

/// One test's world (SECURITY.md fixture F0, scaled down): a development authorization server process, a demo
/// upstream process and `uma-pep serve` on a per-test YAML config, all on free loopback ports. The config may
/// use `${OXD_URL}` (the dev AS) and `${UPSTREAM_URL}` (the upstream); extra environment values may contain
/// `{OXD_URL}` / `{UPSTREAM_URL}`, replaced the same way. After `/readyz` answers 200 the dev AS call log is
/// emptied, so tests see only the calls their own requests caused. Everything is stopped when the environment is
/// released.
final class E2EEnvironment: @unchecked Sendable {
    let scratch: ScratchDirectory
    let devAS: DevASProcess
    let upstream: UpstreamProcess
    let pep: PEPProcess
    /// The configuration file `serve` runs (rewrite it and send SIGHUP to reload).
    let configPath: String

    /// Starts all three processes.
    /// - Parameters:
    ///   - config: the YAML text (see `Fixture`).
    ///   - environment: extra environment variables for `serve`.
    ///   - resetCalls: empty the dev AS call log once `serve` is ready (default); `false` keeps the start-up
    ///     calls (PAT, resource registration, discovery) visible.
    ///   - devASArguments: extra `dev-as` arguments (e.g. `--rpt-as-jwt`).
    convenience init(
        config: String, environment: [String: String] = [:], resetCalls: Bool = true, devASArguments: [String] = []
    ) throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("config.yaml", config)
        try self.init(
            scratch: scratch, configPath: path, environment: environment, resetCalls: resetCalls,
            devASArguments: devASArguments)
    }

    /// Starts all three processes with `serve` on an existing config file (e.g. `Config/tutorial.yaml`).
    convenience init(configFile: String, environment: [String: String] = [:]) throws {
        try self.init(
            scratch: try ScratchDirectory(), configPath: configFile, environment: environment, resetCalls: true)
    }

    private init(
        scratch: ScratchDirectory, configPath: String, environment: [String: String], resetCalls: Bool,
        devASArguments: [String] = []
    ) throws {
        self.scratch = scratch
        self.configPath = configPath
        self.devAS = try DevASProcess(directory: scratch, arguments: devASArguments)
        self.upstream = try UpstreamProcess(directory: scratch)
        var env = ["OXD_URL": self.devAS.url, "UPSTREAM_URL": self.upstream.url]
        env.merge(environment) { _, new in new }
        for (name, value) in env {
            env[name] = value.replacingOccurrences(of: "{OXD_URL}", with: self.devAS.url)
                .replacingOccurrences(of: "{UPSTREAM_URL}", with: self.upstream.url)
        }
        self.pep = try PEPProcess(configPath: configPath, environment: env, directory: scratch)
        try self.pep.waitUntilReady()
        if resetCalls { try self.devAS.resetCalls() }
    }

    deinit {
        self.pep.process.stop()
        self.upstream.process.stop()
        self.devAS.process.stop()
    }

    /// A request through the proxy (`Host: host`), with an optional bearer token.
    func send(
        _ method: String = "GET", _ target: String, host: String = "api.test", token: String? = nil,
        headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double = 10
    ) throws -> RawResponse {
        var all = headers
        if let token { all.insert(("Authorization", "Bearer \(token)"), at: 0) }
        do {
            return try HTTP.request(
                port: self.pep.proxyPort, method, target, host: host, headers: all, body: body, timeout: timeout)
        } catch {
            throw E2EError.unexpected("\(method) \(target): \(error)\n" + self.diagnostics())
        }
    }

    /// What the processes saw: `serve`'s recent log lines and the dev AS call log, for failure messages.
    func diagnostics() -> String {
        let calls = (try? self.devAS.callStatuses()).map { "\($0.map { "\($0.endpoint) \($0.status)" })" } ?? "?"
        return "serve log:\n\(self.pep.diagnostics())\ndev AS calls: \(calls)"
    }
}

/// The fixed response bodies of SPEC Part B §2.10 (byte-exact).
enum Body {
    static let unauthorized = #"{"message":"Unauthorized"}"#
    static let notAuthorized = #"{"message":"You are not authorized to access this resource"}"#
    /// lua-cjson escapes `/` (PEPResponse).
    static let unprotected = #"{"message":"Unprotected path\/method are not allowed"}"#
    static let noTokenNoProtectedPath = #"{"message":"Invalid request, no token and no protected path"}"#
    static let unknownConsumer = #"{"message":"Unknown consumer"}"#
    static let unexpected = #"{"message":"An unexpected error ocurred"}"#
    static let invalidToken = #"{"message":"Invalid access token provided in Authorization header"}"#
}
