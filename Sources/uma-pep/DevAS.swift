import ArgumentParser
import DevAuthorizationServer
import Foundation
import PEPCore
import PEPProxy
import UMAClient
import UMAPEPRuntime

/// `uma-pep dev-as`: the development authorization server alone (oxd API + UMA 2.0 endpoints + claims form).
struct DevAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-as",
        abstract: "Run the development authorization server.",
        discussion: """
            An oxd 4.x API, UMA 2.0 endpoints and a claims-gathering page, in memory, for development and tests \
            only. Defaults match `uma-pep demo`: clients demo-client / demo-secret (oxd_id demo-oxd-id) and \
            demo-claims-client / demo-claims-secret; scope `read` is granted without policy, `claims_read` needs \
            the tutorial's claims country=US and city=NY.

            --config takes a JSON file of DevAuthorizationServerConfiguration fields (docs/getting-started.md).
            """)

    @Option(help: "Address to listen on.")
    var listen: String = "127.0.0.1:8443"

    @Option(help: "The issuer URL to advertise (default: http://<listen>).")
    var issuer: String?

    @Option(help: "A JSON configuration file (clients, policies, lifetimes).")
    var config: String?

    @Flag(help: "Serve HTTPS with a generated development CA and certificate (issuer https://<listen>).")
    var tls = false

    @Option(help: "Directory for the development CA and certificates (with --tls; default: a new temp dir).")
    var tlsDir: String?

    @Flag(
        name: .customLong("rpt-as-jwt"),
        help: "Issue RPTs as RS256-signed JWTs (oxAuth umaRptAsJwt); keys at /jwks and oxd /get-jwks.")
    var rptAsJWT = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        Signals.installTerminationHandling()
        let logger = try self.logging.makeLogger(label: "uma-pep.dev-as")
        let address = try SocketAddress(parsing: self.listen)
        let scheme = self.tls ? "https" : "http"
        var configuration: DevAuthorizationServerConfiguration?
        if let path = self.config {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let json: JSONValue
            do {
                json = try JSONCodec.parse(Array(data))
            } catch {
                throw CLIError("\(path): not valid JSON (\(error))")
            }
            do {
                configuration = try DevAuthorizationServerConfiguration(json: json)
            } catch {
                throw CLIError("\(path): \(error)")
            }
        }
        var tls: TLSServerContext?
        if self.tls {
            let directory = self.tlsDir ?? NSTemporaryDirectory() + "uma-pep-dev-as-tls-\(getpid())"
            let names = Array(Set(["localhost", "127.0.0.1", "::1", address.host])).sorted()
            let files = try DevelopmentCertificateAuthority.writeDevelopmentFiles(to: directory, serverNames: names)
            tls = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [files.server]))
            say("uma-pep dev-as: development CA \(files.caCertificatePath) (give it to uma-pep as ca_file)")
        }
        // Bind first: with port 0 the issuer (and every URL the server hands out) must name the bound port.
        let responder = DeferredResponder()
        let http = HTTPServer(
            listeners: [.init(address: address, role: .local(responder), name: "dev-as", tls: tls)],
            workers: 1, limits: ServerLimits(), logger: logger)
        let bound: [SocketAddress]
        do {
            bound = try http.start()
        } catch {
            throw CLIError(ListenFailure.message(error, option: "--listen (127.0.0.1:0 picks any free port)"))
        }
        let boundIssuer = "\(scheme)://\(bound[0])"
        if var loaded = configuration {
            if loaded.issuer == DevAuthorizationServerConfiguration().issuer {
                loaded.issuer = self.issuer ?? boundIssuer
            }
            configuration = loaded
        }
        var effective =
            configuration ?? DemoEnvironment.authorizationServerConfiguration(issuer: self.issuer ?? boundIssuer)
        if self.rptAsJWT { effective.rptAsJWT = true }
        let server: DevAuthorizationServer
        do {
            server = try DevAuthorizationServer(configuration: effective)
            try server.prepareSigningKey()
        } catch {
            http.shutdown(graceful: false)
            throw error
        }
        responder.set(DevAuthorizationServerResponder(server: server))
        say("uma-pep dev-as: listening on \(bound[0]), issuer \(effective.issuer)")
        Signals.onTerminate { http.shutdown(graceful: false) }
        http.waitUntilStopped()
    }
}
