/// The claims callback at `claims_redirect_path` (Part B §2.4 P0, §2.5 C), improved where the reference is weak:
/// the callback obtains the RPT itself and sends the browser back with it in its session, and `state` must be
/// the one the browser's own session is waiting for, used once. Pure: no I/O, clock or randomness (STYLE rule 5).
///
/// Usage: `start()`; perform `consumeState` (the shell's used-state memory answers whether the state is fresh),
/// `obtainRPT`, `claimsGatheringURL` and feed the answers to the matching `…Completed` method; stop at a
/// terminal action.
///
/// Decisions, first match wins:
/// 1. No valid pending session for this service (none, tampered, expired, foreign, or one holding an RPT) → 400
///    empty body (the reference's "no session").
/// 2. `ticket` or `state` missing, empty or repeated in the query → 400 `missed ticket or state argument(s)`.
/// 3. `state` differs from the session's → 400 empty body (`pep.claims_callback_state_mismatch`).
/// 4. `state` already used by an earlier callback → 400 empty body (`pep.claims_callback_replayed`).
/// 5. RPT request with the callback's ticket: RPT → 302 to the saved return target (the session now holds the
///    RPT); `need_info` → 302 to the claims-gathering page again (new pending session, same return target);
///    refusal → 403 `You are not authorized…` (session cleared); failure → 502.
///
/// The redirect target is only ever the return target saved in the session when the flow started; the query's
/// other parameters are ignored (no open redirect).
public struct ClaimsCallbackStateMachine: Sendable {
    /// What the shell must do next.
    public enum Action: Sendable, Equatable {
        /// Record `state` as used; answer `stateConsumed(fresh:)` with whether it was not used before.
        case consumeState(String)
        /// Ask for an RPT with the callback's ticket, then call `rptCompleted(_:)`.
        case obtainRPT(ticket: String)
        /// Get the claims-gathering URL for the `need_info` ticket, then call `claimsGatheringURLCompleted(_:)`.
        case claimsGatheringURL(ticket: String, redirectUser: String?)
        /// Terminal: 302 to `target` (the saved same-origin path); the session now holds `rpt`.
        case returnWithRPT(target: String, rpt: String)
        /// Terminal: 302 to the claims-gathering page; the new pending session keeps `returnTarget`.
        case claimsRedirect(url: String, returnTarget: String)
        /// Terminal: answer locally; `clearSession` expires the session cookie.
        case respond(PEPResponse, clearSession: Bool)
    }

    private enum State: Sendable, Equatable {
        case idle, consuming, awaitingRPT, awaitingClaimsGatheringURL, finished
    }

    private let claims: ClaimsGatheringPolicy
    private let session: ClaimsSession?
    private let query: String?
    private var state = State.idle
    private var ticket = ""

    /// Creates the machine for one callback request.
    /// - Parameters:
    ///   - claims: the service's claims-gathering settings.
    ///   - session: the browser's session, already decrypted, authenticated and checked for service and expiry
    ///     (`nil` when the cookie was missing or failed any check).
    ///   - query: the callback's raw query string.
    public init(claims: ClaimsGatheringPolicy, session: ClaimsSession?, query: String?) {
        self.claims = claims
        self.session = session
        self.query = query
    }

    /// Starts: checks the session and the query.
    public mutating func start() -> Action {
        guard self.state == .idle else { return self.fail(.unexpectedEvent) }
        guard let session = self.session, let expected = session.state, session.returnTarget != nil else {
            return self.respond(.claimsCallbackWithoutSession, clear: false)
        }
        let parameters = Self.queryParameters(self.query)
        guard let ticket = Self.single("ticket", in: parameters), let state = Self.single("state", in: parameters)
        else { return self.respond(.claimsCallbackMissingArguments, clear: false) }
        guard Self.constantTimeEquals(state, expected) else {
            return self.respond(.claimsCallbackStateMismatch, clear: false)
        }
        self.ticket = ticket
        self.state = .consuming
        return .consumeState(state)
    }

    /// Feeds whether the callback's `state` was unused until now.
    public mutating func stateConsumed(fresh: Bool) -> Action {
        guard self.state == .consuming else { return self.fail(.unexpectedEvent) }
        guard fresh else { return self.respond(.claimsCallbackReplayed, clear: true) }
        self.state = .awaitingRPT
        return .obtainRPT(ticket: self.ticket)
    }

    /// Feeds the RPT request's answer.
    public mutating func rptCompleted(_ outcome: Result<RPTOutcome, AuthorizationServerError>) -> Action {
        guard self.state == .awaitingRPT, let target = self.session?.returnTarget else {
            return self.fail(.unexpectedEvent)
        }
        switch outcome {
        case .failure(let error):
            return self.fail(.authorizationServer(error))
        case .success(.rpt(let rpt)):
            self.state = .finished
            return .returnWithRPT(target: target, rpt: rpt)
        case .success(.needInfo(let ticket, let redirectUser)):
            self.state = .awaitingClaimsGatheringURL
            return .claimsGatheringURL(ticket: ticket, redirectUser: redirectUser)
        case .success(.denied):
            return self.respond(.notAuthorized, clear: true)
        }
    }

    /// Feeds the claims-gathering URL for a repeated `need_info`.
    public mutating func claimsGatheringURLCompleted(_ outcome: Result<String, AuthorizationServerError>) -> Action {
        guard self.state == .awaitingClaimsGatheringURL, let target = self.session?.returnTarget else {
            return self.fail(.unexpectedEvent)
        }
        switch outcome {
        case .failure(let error):
            return self.fail(.authorizationServer(error))
        case .success(let url):
            guard Self.isRedirectableURL(url) else { return self.fail(.unsafeChallenge) }
            self.state = .finished
            return .claimsRedirect(url: url, returnTarget: target)
        }
    }

    private mutating func respond(_ denial: EnforcementDenial, clear: Bool) -> Action {
        self.state = .finished
        return .respond(PEPResponse(denial), clearSession: clear)
    }

    /// A failure: 502, the session cleared (the flow starts over).
    private mutating func fail(_ denial: EnforcementDenial) -> Action {
        self.respond(denial, clear: true)
    }

    // MARK: - Helpers

    /// Whether `url` may be sent in `Location`: an absolute `http(s)` URL of visible ASCII only (the authorization
    /// server's page; CR/LF/NUL/space would split or break the header: SECURITY.md case 19).
    public static func isRedirectableURL(_ url: String) -> Bool {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else { return false }
        return url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// `application/x-www-form-urlencoded` pairs of a query (`+` is a space, `%XX` decoded; invalid escapes and
    /// non-UTF-8 results drop the pair).
    static func queryParameters(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var out: [(name: String, value: String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.formDecode(parts[1]) : ""
            guard let value else { continue }
            out.append((name, value))
        }
        return out
    }

    /// The value of `name` when it appears exactly once and is not empty.
    static func single(_ name: String, in parameters: [(name: String, value: String)]) -> String? {
        let values = parameters.filter { $0.name == name }
        guard values.count == 1, !values[0].value.isEmpty else { return nil }
        return values[0].value
    }

    private static func formDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Self.hex), let low = iterator.next().flatMap(Self.hex) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Compares without an early exit on the first differing byte.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
