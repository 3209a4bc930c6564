import ArgumentParser
import Foundation
import Logging
import UMAClient
import UMAPEPRuntime

/// `uma-pep demo`: the main job on the embedded default (proxy + development authorization server + demo API),
/// configured like the Gluu Gateway UMA tutorial.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Gluu Gateway UMA tutorial on loopback.",
        discussion: """
            Runs the proxy, a development authorization server and a demo API, configured like the tutorial. \
            Ports: proxy 8000, admin 8001, authorization server 8443, demo API 9000 (change them with the options).

            --self-test runs the tutorial flows (without and with claims gathering, and the gateway gathering \
            claims for a browser) on free ports and exits 0 only when every step gave the expected answer.

            --tls generates a throwaway CA and certificates (into --tls-dir, default a new temporary directory) \
            and runs every part over HTTPS on the same ports: the proxy's TLS listener, the authorization server \
            (the control plane verifies it against the CA) and the demo API (the proxy verifies it too).
            """)

    @Option(help: "Proxy port.") var proxyPort = 8000
    @Option(help: "Admin port (/metrics, /healthz, /readyz).") var adminPort = 8001
    @Option(help: "Development authorization server port.") var asPort = 8443
    @Option(help: "Demo upstream API port.") var upstreamPort = 9000
    @Flag(help: "Run the tutorial flows against the demo on free ports, then exit.") var selfTest = false
    @Flag(help: "Serve everything over HTTPS with generated development certificates.") var tls = false
    @Option(help: "Directory for the development CA and certificates (with --tls; default: a new temp dir).")
    var tlsDir: String?
    @Flag(
        name: .customLong("rpt-as-jwt"),
        help: "The authorization server issues RPTs as RS256 JWTs; the proxy verifies them locally.")
    var rptAsJWT = false
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        Signals.installTerminationHandling()
        var logging = self.logging
        if self.selfTest && logging.logLevel == "info" { logging.logLevel = "warning" }
        let logger = try logging.makeLogger(label: "uma-pep.demo")
        let ports: DemoEnvironment.Ports =
            self.selfTest
            ? .ephemeral
            : .init(
                proxy: self.proxyPort, admin: self.adminPort, authorizationServer: self.asPort,
                upstream: self.upstreamPort)
        let tlsDirectory =
            self.tls ? (self.tlsDir ?? NSTemporaryDirectory() + "uma-pep-demo-tls-\(getpid())") : nil
        let demo = DemoEnvironment(
            ports: ports, logger: logger, accessLog: !logging.noAccessLog, tlsDirectory: tlsDirectory)
        demo.rptAsJWT = self.rptAsJWT
        let addresses: DemoEnvironment.Addresses
        do {
            addresses = try demo.start()
        } catch {
            let option = ListenFailure.option(
                for: error,
                ports: [
                    (self.proxyPort, "--proxy-port"), (self.adminPort, "--admin-port"), (self.asPort, "--as-port"),
                    (self.upstreamPort, "--upstream-port"),
                ])
            throw CLIError("cannot start the demo: " + ListenFailure.message(error, option: option))
        }
        guard demo.waitUntilReady(timeout: .seconds(15)) else {
            demo.shutdown()
            throw CLIError("the demo did not become ready: \(demo.readiness)")
        }
        // A temporary certificate directory we made goes away with the demo.
        defer { if self.tlsDir == nil, let tlsDirectory { try? FileManager.default.removeItem(atPath: tlsDirectory) } }
        if self.selfTest {
            let passed = DemoSelfTest(addresses: addresses).run()
            demo.shutdown()
            if !passed { throw ExitCode(1) }
            return
        }
        say("uma-pep demo: proxy listening on \(addresses.proxy)")
        say("uma-pep demo: admin listening on \(addresses.admin)")
        say("uma-pep demo: authorization server listening on \(addresses.authorizationServer)")
        say("uma-pep demo: upstream listening on \(addresses.upstream)")
        Self.printWelcome(addresses)
        Signals.onTerminate { demo.shutdown() }
        demo.waitUntilStopped()
    }

    static func printWelcome(_ a: DemoEnvironment.Addresses) {
        // The commands below name this binary by its path: `uma-pep` is usually not on the PATH.
        let binary = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "uma-pep" } ?? "uma-pep"
        let proxy = "\(a.scheme)://\(a.proxy)"
        let asURL = a.authorizationServerURL
        // With --tls, every command verifies against the development CA.
        let curl = a.caCertificatePath.map { "curl --cacert \($0)" } ?? "curl"
        let rp = a.caCertificatePath.map { "\(binary) rp --ca-file \($0)" } ?? "\(binary) rp"
        let tlsLine =
            a.caCertificatePath.map { "  development CA             \($0)   (throwaway; trust it only here)\n" } ?? ""
        say(
            """
            uma-pep demo — the Gluu Gateway UMA tutorial on one machine
              proxy                      \(proxy)
              admin                      http://\(a.admin)   (/metrics, /healthz, /readyz)
              authorization server       \(asURL)   (oxd API + UMA 2.0; clients demo-client / demo-claims-client /
                                         demo-browser-client)
              demo upstream API          \(a.scheme)://\(a.upstream)
            \(tlsLine)
            Flow 1, no claims gathering (service non-claim-gathering, scope `read`):
              \(curl) -i -H 'Host: non-claim-gathering.example.com' \(proxy)/posts/1
                → 401 with WWW-Authenticate: UMA realm="rs",as_uri=…,ticket="<TICKET>"
              \(rp) --url \(proxy)/posts/1 --host non-claim-gathering.example.com --oxd-url \(asURL)
                → gets a client token, an RPT for the ticket, and retries: 200

            Flow 2, claims gathering (service claim-gathering, scope `claims_read`, policy country=US, city=NY):
              \(rp) --url \(proxy)/posts/1 --host claim-gathering.example.com --oxd-url \(asURL) \\
                --client-id demo-claims-client --client-secret demo-claims-secret --oxd-id demo-claims-oxd-id \\
                --claims country=US,city=NY
                → need_info, claims form submitted, new ticket, RPT, 200 (a wrong city gets no RPT)
              Leave out --claims to open the claims page in a browser instead.

            Flow 3, the gateway gathers claims for a browser (service browser, obtain_rpt, country=US, city=NY):
              open \(proxy)/posts/1 in a browser
                → the gateway gets a ticket and asks for an RPT itself; need_info sends you (302) to the authorization
                  server's claims page; fill in Country=US, City=NY; back at \(proxy)/uma/claims-callback the gateway
                  gets the RPT, keeps it in an encrypted session cookie and sends you back to /posts/1: 200
              \(curl) -i \(proxy)/posts/1     (→ 302 to the claims page, Set-Cookie: uma_pep_session=…)

            With a token by hand:
              \(curl) -i -H 'Host: non-claim-gathering.example.com' -H 'Authorization: Bearer <RPT>' \(proxy)/posts/1

            Ctrl-C stops everything.
            """)
    }
}

/// Both tutorial flows against a running demo; prints each step and a summary line.
struct DemoSelfTest {
    let addresses: DemoEnvironment.Addresses

    func run() -> Bool {
        let controlPlane = ControlPlane()
        do {
            try controlPlane.start()
        } catch {
            say("self-test: cannot start the control plane: \(error)")
            return false
        }
        defer { controlPlane.shutdown() }
        let asURL = self.addresses.authorizationServerURL
        let proxy = "\(self.addresses.scheme)://\(self.addresses.proxy)"
        var passed = 0
        var failed = 0
        func check(_ name: String, _ body: () throws -> Bool) {
            do {
                if try body() {
                    passed += 1
                    say("ok   \(name)")
                } else {
                    failed += 1
                    say("FAIL \(name)")
                }
            } catch {
                failed += 1
                say("FAIL \(name): \(error)")
            }
        }
        func flow(host: String, client: (String, String, String), claims: [String: String], mode: RequestingParty.Mode)
            throws -> RequestingParty.Outcome
        {
            var options = RequestingParty.Options(
                url: "\(proxy)/posts/1", host: host, mode: mode, clientId: client.0, clientSecret: client.1,
                opHost: asURL, claims: claims, claimsRedirectURI: DemoEnvironment.claimsRedirectURI,
                interactiveTimeout: .seconds(5))
            options.tls = TLSOptions(caFile: self.addresses.caCertificatePath)
            return try RequestingParty(options: options, controlPlane: controlPlane) { say("     \($0)") }.run()
        }
        let plain = DemoEnvironment.clients[0]
        let claimsClient = DemoEnvironment.clients[1]
        check("flow 1 (no claims gathering, oxd): ticket → RPT → 200") {
            try flow(
                host: "non-claim-gathering.example.com", client: plain, claims: [:],
                mode: .oxd(oxdURL: asURL, oxdId: plain.oxdId)
            ).status == 200
        }
        check("flow 1 (no claims gathering, UMA 2.0 token endpoint): ticket → RPT → 200") {
            try flow(host: "non-claim-gathering.example.com", client: plain, claims: [:], mode: .uma2(issuer: asURL))
                .status == 200
        }
        check("flow 2 (claims gathering US/NY, oxd): need_info → claims → RPT → 200") {
            try flow(
                host: "claim-gathering.example.com", client: claimsClient,
                claims: ["country": "US", "city": "NY"], mode: .oxd(oxdURL: asURL, oxdId: claimsClient.oxdId)
            )
            .status == 200
        }
        check("flow 2 with a wrong city gets no RPT (forbidden_by_policy)") {
            do {
                _ = try flow(
                    host: "claim-gathering.example.com", client: claimsClient,
                    claims: ["country": "US", "city": "LA"], mode: .oxd(oxdURL: asURL, oxdId: claimsClient.oxdId))
                return false
            } catch {
                return "\(error)".contains("forbidden_by_policy")
            }
        }
        check("flow 3 (the gateway gathers claims for a browser, US/NY): 302 → claims page → callback → 200") {
            try self.browserFlow(controlPlane, proxy: proxy, city: "NY") == 200
        }
        check("flow 3 with a wrong city: the callback answers 403") {
            try self.browserFlow(controlPlane, proxy: proxy, city: "LA") == 403
        }
        say("\(passed) passed, \(failed) failed")
        return failed == 0
    }

    /// The `browser` service's flow as a browser goes through it, one call at a time with the session cookie
    /// carried by hand: the page (302 to the claims page), the claims form posted with Country=US and `city`, the
    /// callback (302 back, or the refusal), the page again. Returns the final status.
    private func browserFlow(_ controlPlane: ControlPlane, proxy: String, city: String) throws -> Int {
        var options = HTTPCallOptions()
        options.tls = TLSOptions(caFile: self.addresses.caCertificatePath)
        func call(_ method: String, _ url: String, cookie: String? = nil, form: [(name: String, value: String)] = [])
            throws -> HTTPResponse
        {
            var headers: [HTTPField] = []
            if let cookie { headers.append(HTTPField(name: "Cookie", value: cookie)) }
            if !form.isEmpty {
                headers.append(HTTPField(name: "Content-Type", value: "application/x-www-form-urlencoded"))
            }
            let result = Blocking.wait { done in
                controlPlane.submit(
                    HTTPCall(
                        method: method, url: url, headers: headers, body: FormEncoding.body(form), options: options)
                ) { done($0) }
            }
            switch result {
            case .response(let response): return response
            case .failure(let error): throw BrowserFlowError("\(method) \(url): \(error)")
            }
        }
        func cookie(_ response: HTTPResponse) -> String? {
            response.header("Set-Cookie").map { String($0.prefix { $0 != ";" }) }
        }
        let page = try call("GET", "\(proxy)/posts/1")
        guard page.status == 302, let gather = page.header("Location"), let pending = cookie(page),
            let components = URLComponents(string: gather)
        else { throw BrowserFlowError("GET /posts/1: \(page.status), expected 302 to the claims page with a cookie") }
        say("     GET /posts/1 → 302 to the claims page, session cookie set")
        var action = components
        action.query = nil
        let fields = (components.queryItems ?? []).map { (name: $0.name, value: $0.value ?? "") }
        let submitted = try call(
            "POST", action.string ?? gather, form: fields + [("country", "US"), ("city", city)])
        guard submitted.status == 302, let callback = submitted.header("Location") else {
            throw BrowserFlowError("POST the claims form: \(submitted.status), expected 302 to the callback")
        }
        say("     claims form posted (Country=US, City=\(city)) → 302 to the gateway's callback")
        let back = try call("GET", callback, cookie: pending)
        say("     GET /uma/claims-callback → \(back.status)\(back.header("Location").map { " to \($0)" } ?? "")")
        guard back.status == 302, let target = back.header("Location"), let session = cookie(back) else {
            return back.status
        }
        let landed = try call("GET", "\(proxy)\(target)", cookie: session)
        say("     GET \(target) with the session cookie → \(landed.status)")
        return landed.status
    }
}

/// A step of the browser flow that did not answer as a browser expects.
private struct BrowserFlowError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
