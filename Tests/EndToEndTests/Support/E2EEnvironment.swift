import Foundation

/// One test's world (SECURITY.md fixture F0, scaled down): a development authorization server process, a demo
/// upstream process and `uma-pep serve` on a per-test YAML config, all on free loopback ports. The config may
/// use `${OXD_URL}` (the dev AS) and `${UPSTREAM_URL}` (the upstream). After `/readyz` answers 200 the dev AS
/// call log is emptied, so tests see only the calls their own requests caused. Everything is stopped when the
/// environment is released.
final class E2EEnvironment: @unchecked Sendable {
    let scratch: ScratchDirectory
    let devAS: DevASProcess
    let upstream: UpstreamProcess
    let pep: PEPProcess

    /// Starts all three processes.
    /// - Parameters:
    ///   - config: the YAML text (see `Fixture`).
    ///   - environment: extra environment variables for `serve`.
    init(config: String, environment: [String: String] = [:]) throws {
        self.scratch = try ScratchDirectory()
        self.devAS = try DevASProcess(directory: self.scratch)
        self.upstream = try UpstreamProcess(directory: self.scratch)
        let path = try self.scratch.write("config.yaml", config)
        var env = ["OXD_URL": self.devAS.url, "UPSTREAM_URL": self.upstream.url]
        env.merge(environment) { _, new in new }
        self.pep = try PEPProcess(configPath: path, environment: env, directory: self.scratch)
        try self.pep.waitUntilReady()
        try self.devAS.resetCalls()
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
        return try HTTP.request(
            port: self.pep.proxyPort, method, target, host: host, headers: all, body: body, timeout: timeout)
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
