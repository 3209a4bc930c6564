import ArgumentParser
import Foundation
import UMAClient
import UMAPEPRuntime

/// `uma-pep rp`: the tutorial's requesting-party client (SPEC Part B §4.10).
struct RP: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a UMA-protected URL as a requesting party.",
        discussion: """
            Does what the tutorial's client does: ticket → RPT (→ claims gathering) → retry with the RPT. It gets \
            the RPT through oxd (--oxd-url) or from a UMA 2.0 token endpoint directly (--as-uri).

            Against the demo:
              uma-pep rp --url http://127.0.0.1:8000/posts/1 \\
                --host non-claim-gathering.example.com --oxd-url http://127.0.0.1:8443
            """)

    @Option(help: "The protected URL (through the proxy).") var url: String
    @Option(help: "Host header to send (the service's route host).") var host: String?
    @Option(help: "oxd server URL (RPT through /uma-rp-get-rpt).") var oxdURL: String?
    @Option(help: "UMA 2.0 authorization server issuer (RPT through its token endpoint).") var asURI: String?
    @Option(help: "The AS base URL sent to oxd as op_host (default: the oxd URL).") var opHost: String?
    @Option(help: "Client id.") var clientId = "demo-client"
    @Option(help: "Client secret.") var clientSecret = "demo-secret"
    @Option(help: "oxd_id of the client's oxd registration.") var oxdId = "demo-oxd-id"
    @Option(help: "PEM CA bundle to verify https URLs with (e.g. the ca.pem printed by `demo --tls`).")
    var caFile: String?
    @Option(
        help: """
            Claims to submit on need_info, e.g. country=US,city=NY (development authorization server form; names \
            match the form's fields in any case, spaces around names and values are ignored).
            """)
    var claims: String?
    @Option(help: "Registered claims redirect URI (listened on when --claims is absent).")
    var claimsRedirectURI = DemoEnvironment.claimsRedirectURI

    func run() throws {
        let mode: RequestingParty.Mode
        switch (self.oxdURL, self.asURI) {
        case (let oxd?, nil): mode = .oxd(oxdURL: oxd, oxdId: self.oxdId)
        case (nil, let issuer?): mode = .uma2(issuer: issuer)
        default: throw ValidationError("give exactly one of --oxd-url and --as-uri")
        }
        var claims: [String: String] = [:]
        for pair in (self.claims ?? "").split(separator: ",") {
            if pair.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--claims takes name=value pairs, got '\(pair)'")
            }
            claims[parts[0]] = parts[1]
        }
        let controlPlane = ControlPlane()
        try controlPlane.start()
        defer { controlPlane.shutdown() }
        var options = RequestingParty.Options(
            url: self.url, host: self.host, mode: mode, clientId: self.clientId, clientSecret: self.clientSecret,
            opHost: self.opHost ?? self.oxdURL ?? self.asURI ?? "", claims: claims,
            claimsRedirectURI: self.claimsRedirectURI)
        options.tls = TLSOptions(caFile: self.caFile)
        do {
            let outcome = try RequestingParty(options: options, controlPlane: controlPlane) { say($0) }.run()
            say("\(outcome.status) \(outcome.body)")
            if !(200..<300).contains(outcome.status) { throw ExitCode(1) }
        } catch let error as RequestingPartyError {
            guard let hint = Self.hint(error.kind) else { throw CLIError(error.description) }
            throw CLIError("\(error.description)\nhint: \(hint)")
        }
    }

    /// What to change on the command line for each kind of failure.
    static func hint(_ kind: RequestingPartyError.Kind) -> String? {
        switch kind {
        case .clientRejected:
            return "check --client-id and --client-secret (the demo's clients: demo-client / demo-secret, "
                + "demo-claims-client / demo-claims-secret)"
        case .cannotConnect(_, let party):
            let option =
                switch party {
                case .resource: "--url"
                case .oxd: "--oxd-url"
                case .authorizationServer: "--as-uri"
                }
            return "is it running and listening there? Check \(option)"
        case .untrustedCertificate:
            return "pass --ca-file with the CA certificate that signed the server's certificate "
                + "(for `uma-pep demo --tls`, the ca.pem it prints)"
        case .claimsMissing(let names) where !names.isEmpty:
            return "submit them with --claims, e.g. --claims "
                + names.map { "\($0)=…" }.joined(separator: ",")
        case .claimsMissing:
            return "submit the claims the authorization server asks for with --claims name=value,…"
        case .other:
            return nil
        }
    }
}
