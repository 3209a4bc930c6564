import Foundation
import Logging
import PEPCore
import PEPProxy
import Synchronization
import UMAClient

/// The Gluu Gateway tutorial's requesting-party client (its `gg-demo` CGI; SPEC Part B §4.10): call a protected
/// URL, read the permission ticket from `WWW-Authenticate`, obtain an RPT through oxd (`/uma-rp-get-rpt`) or the
/// UMA 2.0 token endpoint, follow `need_info` (claims gathering: submit given claims to the development
/// authorization server's form, or wait for the browser's redirect to `claimsRedirectURI`), and retry with the RPT.
public final class RequestingParty: Sendable {
    /// How the RPT is obtained.
    public enum Mode: Sendable {
        /// Through an oxd server (`oxdURL`, the RP's `oxd_id`), as the tutorial does.
        case oxd(oxdURL: String, oxdId: String)
        /// Directly from a UMA 2.0 authorization server (`issuer`, discovered through
        /// `/.well-known/uma2-configuration`).
        case uma2(issuer: String)
    }

    /// What to call and how.
    public struct Options: Sendable {
        /// The protected resource URL (through the proxy).
        public var url: String
        /// A `Host` header to send (the route's host when calling the proxy by address).
        public var host: String?
        public var mode: Mode
        public var clientId: String
        public var clientSecret: String
        /// The AS base URL sent as `op_host` with oxd.
        public var opHost: String
        /// Claims to submit on `need_info` (e.g. `country=US`, `city=NY`); empty = interactive.
        public var claims: [String: String]
        /// Where the authorization server redirects after claims gathering.
        public var claimsRedirectURI: String
        /// How long to wait for an interactive claims-gathering redirect.
        public var interactiveTimeout: Duration
        /// TLS for every call (the proxy, oxd, the authorization server): e.g. the development CA as `caFile`.
        public var tls = TLSOptions()

        public init(
            url: String, host: String? = nil, mode: Mode, clientId: String, clientSecret: String, opHost: String,
            claims: [String: String] = [:], claimsRedirectURI: String,
            interactiveTimeout: Duration = .seconds(300)
        ) {
            self.url = url
            self.host = host
            self.mode = mode
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.opHost = opHost
            self.claims = claims
            self.claimsRedirectURI = claimsRedirectURI
            self.interactiveTimeout = interactiveTimeout
        }
    }

    /// The end of a run.
    public struct Outcome: Sendable {
        /// The final response's status (200 when access was granted).
        public var status: Int
        /// The final response's body.
        public var body: String
        /// The RPT obtained, if any.
        public var rpt: String?
    }

    private let options: Options
    private let controlPlane: ControlPlane
    private let tokens = ProtectionTokenProvider()
    private let say: @Sendable (String) -> Void

    /// - Parameter say: receives one line per step (`uma-pep rp` prints them).
    public init(options: Options, controlPlane: ControlPlane, say: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.controlPlane = controlPlane
        self.say = say
    }

    /// Runs the whole flow.
    ///
    /// - Throws: `RequestingPartyError` naming the step that failed and why.
    public func run() throws -> Outcome {
        let first = try self.get(bearer: nil)
        self.say("1. GET \(self.options.url) without a token → \(first.status)")
        if first.status != 401 {
            return Outcome(status: first.status, body: String(decoding: first.body, as: UTF8.self), rpt: nil)
        }
        guard let challenge = first.header("WWW-Authenticate"), let ticket = Self.ticket(fromChallenge: challenge)
        else {
            throw RequestingPartyError("step 1: the 401 carries no UMA ticket in WWW-Authenticate")
        }
        self.say("   WWW-Authenticate: \(challenge)")
        var rpt = try self.requestRPT(ticket: ticket, step: 2)
        var finalStep = 3
        if case .needInfo(let info) = rpt {
            let newTicket = try self.gatherClaims(info)
            rpt = try self.requestRPT(ticket: newTicket, step: 5)
            finalStep = 6
        }
        guard case .rpt(let token) = rpt else {
            let missing = if case .needInfo(let info) = rpt { Self.claimNames(info) } else { [String]() }
            let names = missing.isEmpty ? "" : ": " + missing.joined(separator: ", ")
            throw RequestingPartyError(
                "step 5 (get RPT): no RPT, the authorization server still needs claims\(names)",
                kind: .claimsMissing(missing))
        }
        let last = try self.get(bearer: token.accessToken)
        self.say("\(finalStep). GET \(self.options.url) with the RPT → \(last.status)")
        return Outcome(
            status: last.status, body: String(decoding: last.body, as: UTF8.self), rpt: token.accessToken)
    }

    /// The ticket of an oxd-style challenge: `UMA realm="rs",as_uri="…",error="insufficient_scope",ticket="…"`
    /// (the tutorial client takes the 4th comma-separated item; this accepts any order and spaces).
    public static func ticket(fromChallenge challenge: String) -> String? {
        for part in challenge.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            let stripped = item.hasPrefix("UMA ") ? String(item.dropFirst(4)) : item
            if stripped.hasPrefix("ticket=") {
                return String(stripped.dropFirst("ticket=".count)).trimmingCharacters(
                    in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    // MARK: steps

    private func get(bearer: String?) throws -> HTTPResponse {
        var headers: [HTTPField] = []
        if let host = self.options.host { headers.append(HTTPField(name: "Host", value: host)) }
        if let bearer { headers.append(HTTPField(name: "Authorization", value: "Bearer \(bearer)")) }
        let result = Blocking.wait { done in
            self.controlPlane.submit(
                HTTPCall(method: "GET", url: self.options.url, headers: headers, options: self.httpOptions)
            ) { done($0) }
        }
        switch result {
        case .response(let response): return response
        case .failure(let error):
            throw RequestingPartyError(error, url: self.options.url, step: "GET", party: .resource)
        }
    }

    private func requestRPT(ticket: String, step: Int) throws -> RPTResponse {
        let result: Result<RPTResponse, RequestingPartyError>
        switch self.options.mode {
        case .oxd(let oxdURL, let oxdId):
            let client = self.oxdClient(oxdURL: oxdURL, oxdId: oxdId)
            result = Blocking.wait { done in
                client.umaRPGetRPT(ticket: ticket) {
                    done($0.mapError { self.explain($0, oxdURL: oxdURL) })
                }
            }
            self.say("\(step). POST \(oxdURL)/get-client-token, then /uma-rp-get-rpt with the ticket")
        case .uma2(let issuer):
            let client = self.uma2Client(issuer: issuer)
            result = Blocking.wait { done in
                client.requestRPT(ticket: ticket) { done($0.mapError { self.explain($0, issuer: issuer) }) }
            }
            self.say("\(step). POST the UMA 2.0 token endpoint (grant uma-ticket) with the ticket")
        }
        switch result {
        case .success(.rpt(let token)):
            self.say("   → RPT \(Self.redacted(token.accessToken))")
            return .rpt(token)
        case .success(.needInfo(let info)):
            self.say("   → 403 need_info (claims gathering required)")
            return .needInfo(info)
        case .failure(let error):
            throw error.prefixed("step \(step) (get RPT)")
        }
    }

    /// need_info: get the claims-gathering URL, then submit the claims (or wait for the browser's redirect);
    /// returns the new ticket from the redirect.
    private func gatherClaims(_ info: NeedInfo) throws -> String {
        let state = UUID().uuidString
        let url: String
        switch self.options.mode {
        case .oxd(let oxdURL, let oxdId):
            let client = self.oxdClient(oxdURL: oxdURL, oxdId: oxdId)
            let result = Blocking.wait { done in
                client.umaRPGetClaimsGatheringURL(
                    ticket: info.ticket, claimsRedirectURI: self.options.claimsRedirectURI, state: state
                ) { done($0) }
            }
            switch result {
            case .success(let gathering): url = gathering.url
            case .failure(let error):
                throw self.explain(error, oxdURL: oxdURL).prefixed("step 3 (claims-gathering URL)")
            }
        case .uma2(let issuer):
            let client = self.uma2Client(issuer: issuer)
            let result = Blocking.wait { done in
                client.claimsGatheringURL(
                    ticket: info.ticket, claimsRedirectURI: self.options.claimsRedirectURI, state: state
                ) { done($0) }
            }
            switch result {
            case .success(let gathering): url = gathering.url
            case .failure(let error):
                throw self.explain(error, issuer: issuer).prefixed("step 3 (claims-gathering URL)")
            }
        }
        self.say("3. claims gathering: \(url)")
        if self.options.claims.isEmpty {
            return try self.waitForRedirect(expectedState: state)
        }
        return try self.submitClaims(url: url, required: Self.claimNames(info))
    }

    /// Submits the development authorization server's claims form (the page's hidden fields come from the URL).
    /// Claim names given by the user are matched case-insensitively to the form's text fields (read from the
    /// page when it can be fetched) and to the names in `required_claims`.
    private func submitClaims(url: String, required: [String]) throws -> String {
        guard let components = URLComponents(string: url), let action = URL(string: url) else {
            throw RequestingPartyError("step 4: the claims-gathering URL is not a URL")
        }
        let known = self.formFieldNames(url: url) + required
        let claims = self.options.claims.map { name, value in
            (name: known.first { $0.caseInsensitiveCompare(name) == .orderedSame } ?? name, value: value)
        }.sorted { $0.name < $1.name }
        var fields = components.queryItems?.map { (name: $0.name, value: $0.value ?? "") } ?? []
        fields.append(contentsOf: claims)
        let body = FormEncoding.body(fields)
        var target = URLComponents(url: action, resolvingAgainstBaseURL: false)
        target?.query = nil
        let postURL = target?.string ?? url
        let result = Blocking.wait { done in
            self.controlPlane.submit(
                HTTPCall(
                    method: "POST", url: postURL,
                    headers: [HTTPField(name: "Content-Type", value: "application/x-www-form-urlencoded")],
                    body: body, options: self.httpOptions)
            ) { done($0) }
        }
        let response: HTTPResponse
        switch result {
        case .response(let answer): response = answer
        case .failure(let error):
            throw RequestingPartyError(error, url: postURL, step: "step 4: POST", party: .authorizationServer)
        }
        let listed = claims.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        self.say("4. POST \(postURL) with \(listed) → \(response.status)")
        guard response.status == 302 || response.status == 303, let location = response.header("Location"),
            let redirect = URLComponents(string: location)
        else {
            throw RequestingPartyError("step 4: the claims form did not redirect (status \(response.status))")
        }
        let items = redirect.queryItems ?? []
        if let error = items.first(where: { $0.name == "error" })?.value {
            throw RequestingPartyError("step 4: claims gathering failed: \(error)")
        }
        guard let ticket = items.first(where: { $0.name == "ticket" })?.value, !ticket.isEmpty else {
            throw RequestingPartyError("step 4: the redirect carries no new ticket")
        }
        self.say("   → redirected to \(redirect.path) with a new ticket")
        return ticket
    }

    /// The names of the claims form's visible inputs (empty when the page cannot be read).
    private func formFieldNames(url: String) -> [String] {
        let result = Blocking.wait { done in
            self.controlPlane.submit(HTTPCall(method: "GET", url: url, options: self.httpOptions)) { done($0) }
        }
        guard case .response(let response) = result, response.status == 200 else { return [] }
        return Self.formFieldNames(html: String(decoding: response.body, as: UTF8.self))
    }

    /// The `name` of every `<input>` in `html` that is not hidden, a button or a submit control.
    static func formFieldNames(html: String) -> [String] {
        func attribute(_ name: String, in tag: Substring) -> String? {
            guard let start = tag.range(of: " \(name)=\"") else { return nil }
            let rest = tag[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return String(rest[..<end])
        }
        var names: [String] = []
        for chunk in html.components(separatedBy: "<input").dropFirst() {
            let tag = chunk.prefix { $0 != ">" }
            let type = attribute("type", in: tag)?.lowercased() ?? "text"
            guard !["hidden", "submit", "button", "reset", "image"].contains(type),
                let name = attribute("name", in: tag), !name.isEmpty
            else { continue }
            names.append(name.replacingOccurrences(of: "&amp;", with: "&"))
        }
        return names
    }

    /// The claim names a `need_info` answer lists in `required_claims` (their `name`, else `friendly_name`).
    static func claimNames(_ info: NeedInfo) -> [String] {
        guard case .array(let items)? = info.requiredClaims else { return [] }
        return items.compactMap { $0["name"]?.stringValue ?? $0["friendly_name"]?.stringValue }
    }

    /// Interactive: listens on `claimsRedirectURI` until the browser comes back with `ticket` and `state`.
    private func waitForRedirect(expectedState: String) throws -> String {
        guard let uri = URLComponents(string: self.options.claimsRedirectURI), let port = uri.port else {
            throw RequestingPartyError("claims redirect URI needs an explicit port to listen on")
        }
        self.say("   open the URL above in a browser; waiting on \(self.options.claimsRedirectURI) …")
        let received = Mutex<String?>(nil)
        let path = uri.path
        let responder = SyncResponder { request in
            guard request.path == path else { return .json(404, #"{"message":"Not found"}"#) }
            let items = URLComponents(string: "http://x/?" + (request.query ?? ""))?.queryItems ?? []
            guard items.first(where: { $0.name == "state" })?.value == expectedState,
                let ticket = items.first(where: { $0.name == "ticket" })?.value
            else {
                return HTTPResponseMessage(status: 400, body: Array("missing or wrong ticket/state\n".utf8))
            }
            received.withLock { $0 = ticket }
            return HTTPResponseMessage(
                status: 200, headers: [("Content-Type", "text/plain")],
                body: Array("Claims received; you can close this window.\n".utf8))
        }
        var logger = Logger(label: "uma-pep.rp")
        logger.logLevel = .warning
        let server = HTTPServer(
            listeners: [
                .init(
                    address: try SocketAddress(
                        host: uri.host == "localhost" ? "127.0.0.1" : uri.host ?? "127.0.0.1", port: port),
                    role: .local(responder), name: "claims-redirect")
            ],
            workers: 1, limits: ServerLimits(), logger: logger)
        try server.start()
        defer { server.shutdown(graceful: false) }
        let deadline = ContinuousClock.now + self.options.interactiveTimeout
        while ContinuousClock.now < deadline {
            if let ticket = received.withLock({ $0 }) { return ticket }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw RequestingPartyError("no claims-gathering redirect within \(self.options.interactiveTimeout)")
    }

    private func oxdClient(oxdURL: String, oxdId: String) -> OXDClient {
        OXDClient(
            configuration: OXDConfiguration(
                oxdURL: oxdURL, oxdId: oxdId, clientId: self.options.clientId,
                clientSecret: self.options.clientSecret, opHost: self.options.opHost, http: self.httpOptions),
            controlPlane: self.controlPlane, tokens: self.tokens, logger: Self.quietLogger(label: "uma-pep.oxd"))
    }

    private var httpOptions: HTTPCallOptions { HTTPCallOptions(tls: self.options.tls) }

    private func uma2Client(issuer: String) -> UMA2Client {
        UMA2Client(
            configuration: UMA2ClientConfiguration(
                issuer: issuer, clientId: self.options.clientId, clientSecret: self.options.clientSecret,
                http: self.httpOptions),
            controlPlane: self.controlPlane, tokens: self.tokens, logger: Self.quietLogger(label: "uma-pep.uma2"))
    }

    /// The clients' own failure logs repeat what `RequestingPartyError` says; only errors are shown.
    private static func quietLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
    }

    /// An oxd failure in words: oxd's own error code when it sent one (`forbidden_by_policy`, `invalid_ticket`, …),
    /// the URL that could not be reached, the authorization server's refusal of the client; the stable detail code
    /// follows in parentheses.
    func explain(_ error: OXDError, oxdURL: String) -> RequestingPartyError {
        switch error {
        case .transport(let command, let failure):
            return RequestingPartyError(failure, url: Self.join(oxdURL, command), step: "oxd", party: .oxd)
        case .unexpectedStatus(let command, let status, let code):
            return RequestingPartyError(
                "oxd /\(command) answered \(status)\(code.map { " \($0)" } ?? "") (\(error.detail))",
                kind: Self.isClientRejection(status: status, code: code, description: nil) ? .clientRejected : .other)
        case .protectionToken(let token):
            return self.explain(
                token, service: "oxd /get-client-token", url: Self.join(oxdURL, "get-client-token"), party: .oxd,
                detail: error.detail)
        default:
            return RequestingPartyError("oxd gave an unusable answer (\(error.detail))")
        }
    }

    /// A UMA 2.0 authorization server failure in words (see the oxd variant).
    func explain(_ error: UMA2Error, issuer: String) -> RequestingPartyError {
        switch error {
        case .transport(let operation, let failure):
            let url = operation == "discovery" ? Self.join(issuer, ".well-known/uma2-configuration") : issuer
            return RequestingPartyError(failure, url: url, step: "authorization server", party: .authorizationServer)
        case .unexpectedStatus(let operation, let status, let code):
            let rejected = Self.isClientRejection(status: status, code: code, description: nil)
            let what = rejected ? "the authorization server refused client '\(self.options.clientId)'" : operation
            return RequestingPartyError(
                "\(what): \(status)\(code.map { " \($0)" } ?? "") (uma2 \(operation), \(error.detail))",
                kind: rejected ? .clientRejected : .other)
        case .protectionToken(let token):
            return self.explain(
                token, service: "the PAT request", url: issuer, party: .authorizationServer, detail: error.detail)
        case .missingEndpoint(let name):
            return RequestingPartyError(
                "the authorization server offers no \(name) (needed for claims gathering) (\(error.detail))")
        default:
            return RequestingPartyError("the authorization server gave an unusable answer (\(error.detail))")
        }
    }

    /// No client token / PAT: unreachable token service, or the credentials refused.
    private func explain(
        _ error: ProtectionTokenError, service: String, url: String, party: RequestingPartyError.Party, detail: String
    ) -> RequestingPartyError {
        if let failure = error.transport {
            return RequestingPartyError(failure, url: url, step: service, party: party)
        }
        guard let status = error.status else {
            return RequestingPartyError("no client token from \(service) (\(detail), \(error.detail))")
        }
        var answer = "\(status)"
        if let code = error.errorCode { answer += " \(code)" }
        if let description = error.errorDescription, !description.isEmpty { answer += ": \(description)" }
        let rejected = Self.isClientRejection(
            status: status, code: error.errorCode, description: error.errorDescription)
        let what =
            rejected
            ? "the authorization server refused client '\(self.options.clientId)'"
            : "no client token for client '\(self.options.clientId)'"
        return RequestingPartyError(
            "\(what): \(service) answered \(answer) (\(detail))", kind: rejected ? .clientRejected : .other)
    }

    /// `invalid_client` (or oxd's client errors, or a 401 from a token service) means wrong client credentials.
    static func isClientRejection(status: Int, code: String?, description: String?) -> Bool {
        let codes: Set = ["invalid_client", "invalid_client_id", "invalid_client_secret", "unauthorized_client"]
        if let code, codes.contains(code) { return true }
        if let description, description.contains("invalid_client") { return true }
        return status == 401 && code == nil
    }

    static func join(_ base: String, _ path: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + path
    }

    /// A token shown in logs: its first 6 characters and its length (never the whole token).
    static func redacted(_ token: String) -> String {
        "\(token.prefix(6))… (\(token.utf8.count) chars)"
    }
}

/// Why a requesting-party run failed: a sentence for the user (stable detail codes only in parentheses) and the
/// kind of failure, from which the CLI picks a hint.
public struct RequestingPartyError: Error, CustomStringConvertible {
    /// What the user can do something about.
    public enum Kind: Sendable, Equatable {
        /// The authorization server (directly or through oxd) refused the client id / secret.
        case clientRejected
        /// Nothing answered at this URL (refused, unreachable, name not resolved) of this party.
        case cannotConnect(url: String, party: Party)
        /// TLS failed with this URL, most often a certificate signed by a CA the client does not trust.
        case untrustedCertificate(url: String)
        /// The authorization server still needs these claims after they were submitted.
        case claimsMissing([String])
        case other
    }

    /// Whom a call went to.
    public enum Party: Sendable, Equatable {
        /// The protected URL (the proxy).
        case resource
        /// The oxd server.
        case oxd
        /// The UMA 2.0 authorization server (or its claims-gathering page).
        case authorizationServer
    }

    public let description: String
    public let kind: Kind

    init(_ description: String, kind: Kind = .other) {
        self.description = description
        self.kind = kind
    }

    /// A transport failure calling `url`, in words.
    init(_ error: ControlPlaneError, url: String, step: String, party: Party) {
        switch error {
        case .connect(let reason):
            self.init(
                "cannot connect to \(url) (\(step): \(reason); \(error.detail))",
                kind: .cannotConnect(url: url, party: party))
        case .tls(let reason):
            self.init(
                "TLS with \(url) failed: the certificate is not trusted or does not match (\(step): \(reason); "
                    + "\(error.detail))", kind: .untrustedCertificate(url: url))
        case .timeout:
            self.init("no answer from \(url) in time (\(step); \(error.detail))")
        case .transport(let reason), .invalidRequest(let reason):
            self.init("calling \(url) failed: \(reason) (\(step); \(error.detail))")
        case .responseTooLarge(let limit):
            self.init("the answer from \(url) is larger than \(limit) bytes (\(step); \(error.detail))")
        case .cancelled:
            self.init("the call to \(url) was cancelled (\(step); \(error.detail))")
        }
    }

    /// The same failure, its sentence prefixed with the step it happened in.
    func prefixed(_ step: String) -> RequestingPartyError {
        RequestingPartyError("\(step): \(self.description)", kind: self.kind)
    }
}

/// Waits for a callback-style call from synchronous code (the CLI), on a semaphore.
public enum Blocking {
    /// Calls `start` with a completion, blocks until the completion is called, and returns the value it was given.
    /// Never call it on the thread that runs the completion (the control-plane thread): it would wait forever.
    public static func wait<T: Sendable>(_ start: (@escaping @Sendable (T) -> Void) -> Void) -> T {
        let box = Mutex<T?>(nil)
        let semaphore = DispatchSemaphore(value: 0)
        start { value in
            box.withLock { $0 = value }
            semaphore.signal()
        }
        semaphore.wait()
        return box.withLock { $0! }
    }
}
