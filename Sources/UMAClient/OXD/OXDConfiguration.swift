/// How the PEP reaches its oxd server and which registration it uses (SPEC §1.1 fields, Part B §4).
public struct OXDConfiguration: Sendable, Equatable {
    /// oxd base URL, e.g. `https://gg:8443`; command URL = `oxdURL + "/" + command` (a trailing `/` is ignored).
    public var oxdURL: String
    /// The oxd registration id (`oxd_id`) sent with every command.
    public var oxdId: String
    /// OP client id used to obtain the oxd access token.
    public var clientId: String
    /// Secret for `clientId`. Never logged.
    public var clientSecret: String
    /// OP base URL, sent as `op_host` to `/get-client-token` and `/get-jwks`.
    public var opHost: String
    /// Timeouts (SPEC A8 defaults 1 s / 5 s), body cap and TLS for oxd calls.
    public var http: HTTPCallOptions

    /// Creates a configuration.
    public init(
        oxdURL: String, oxdId: String, clientId: String, clientSecret: String, opHost: String,
        http: HTTPCallOptions = HTTPCallOptions()
    ) {
        self.oxdURL = oxdURL
        self.oxdId = oxdId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.opHost = opHost
        self.http = http
    }

    /// The URL of `command`.
    func url(of command: String) -> String {
        var base = self.oxdURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/\(command)"
    }
}
