/// One entry of `authorization_servers` (SPEC A8, A9; Part B §1.1, §4, §5).
public struct AuthorizationServerConfiguration: Sendable, Equatable {
    /// How uma-pep talks to the authorization server (SPEC A9).
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Through an oxd server, like the Kong plugins (Part B §4).
        case oxd
        /// Directly to a UMA 2.0 authorization server (Part B §5).
        case uma2
    }

    /// The `authorization_servers` key; services refer to it, cache keys include it.
    public let name: String
    /// `mode`.
    public let mode: Mode
    /// `oxd_url` without a trailing `/` (an oxd command URL is `oxdURL + "/" + command`); set iff `.oxd`.
    public let oxdURL: String?
    /// `op_url` as configured: oxd's `op_host`, or the UMA 2.0 issuer whose
    /// `/.well-known/uma2-configuration` is read; also `as_uri` in built challenges.
    public let opURL: String
    /// `oxd_id`: the PEP's oxd registration; set iff `.oxd`.
    public let oxdId: String?
    /// `client_id` for `/get-client-token` (oxd) or the PAT (uma2).
    public let clientId: String
    /// `client_secret`; printed only as `REDACTED`.
    public let clientSecret: ConfigSecret
    /// `ca_file`: PEM bundle for verifying the server's certificate; `nil` = system trust store.
    public let caFile: String?
    /// `insecure_skip_verify`: do not verify the server certificate (development only). Default `false`.
    public let insecureSkipVerify: Bool
    /// `client_certificate` + `client_private_key`: a client certificate for mutual TLS with the server; `nil` =
    /// none.
    public let clientCertificate: TLSCertificatePaths?
    /// `connect_timeout` (SPEC A8). Default 1 s.
    public let connectTimeout: Duration
    /// `timeout`: total time for one call, connect included (SPEC A8). Default 5 s.
    public let timeout: Duration
    /// `register_resources`: register the services' protection documents at start (oxd `/uma-rs-protect`
    /// or UMA resource registration). Default `false`.
    public let registerResources: Bool
    /// `realm` in `WWW-Authenticate` challenges built in uma2 mode (SPEC A2). Default `rs`.
    public let realm: String
    /// `jwt_rpts`: local verification of JWT RPTs. Default: on, no audience, 30 s kid refetch interval.
    public let jwtRPTs: JWTRPTSettings

    /// Creates an authorization server entry (no validation; see `ConfigLoader`).
    public init(
        name: String, mode: Mode, oxdURL: String?, opURL: String, oxdId: String?, clientId: String,
        clientSecret: ConfigSecret, caFile: String? = nil, insecureSkipVerify: Bool = false,
        connectTimeout: Duration = .seconds(1), timeout: Duration = .seconds(5), registerResources: Bool = false,
        realm: String = "rs", clientCertificate: TLSCertificatePaths? = nil, jwtRPTs: JWTRPTSettings = JWTRPTSettings()
    ) {
        self.jwtRPTs = jwtRPTs
        self.clientCertificate = clientCertificate
        self.name = name
        self.mode = mode
        self.oxdURL = oxdURL
        self.opURL = opURL
        self.oxdId = oxdId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.registerResources = registerResources
        self.realm = realm
    }
}
