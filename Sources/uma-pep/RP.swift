import ArgumentParser
import Foundation
import UMAClient
import UMAPEPRuntime

/// `uma-pep rp`: the tutorial's requesting-party client (SPEC Part B §4.10).
struct RP: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a UMA-protected URL as the tutorial's requesting party: ticket → RPT → retry.",
        discussion: """
            Against the demo: uma-pep rp --url http://127.0.0.1:8000/posts/1 --host non-claim-gathering.example.com \\
              --oxd-url http://127.0.0.1:8443
            Use --as-uri instead of --oxd-url to get the RPT from a UMA 2.0 token endpoint directly.
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
    @Option(help: "Claims to submit on need_info, e.g. country=US,city=NY (development authorization server form).")
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
        for pair in (self.claims ?? "").split(separator: ",") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--claims takes name=value pairs, got '\(pair)'") }
            claims[String(parts[0])] = String(parts[1])
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
            throw CLIError(error.description)
        }
    }
}
