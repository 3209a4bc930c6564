import Foundation
import PEPCore
import PEPMetrics
import PEPProxy

/// One request of an `obtain_rpt` service: its session handling, what it read of the request, and the `state`
/// sent to the authorization server once a claims-gathering URL is asked for. Used by one request at a time.
final class ClaimsExchange: @unchecked Sendable {
    let store: ClaimsSessionStore
    let request: ClaimsRequestContext
    /// The request's own canonical path and query (the only place the callback may send the browser back to).
    let returnTarget: String
    /// The `state` of the claims-gathering redirect being prepared.
    var state: String?
    /// The claim token pushed with RPT requests (`pushed_claims`), if any.
    let claimToken: PushedClaimToken?

    init(store: ClaimsSessionStore, request: ClaimsRequestContext, returnTarget: String, claimToken: PushedClaimToken?)
    {
        self.store = store
        self.request = request
        self.returnTarget = returnTarget
        self.claimToken = claimToken
    }
}

extension EnforcementDriver {
    /// Requests of an `obtain_rpt` service (Part B §2.4 P0, P10; §2.5): the claims callback, or enforcement with
    /// the client's bearer token or else the RPT of the browser's session cookie. Never uses the worker cache
    /// (it is keyed on the `Authorization` value).
    func authorizeWithClaims(
        _ request: AuthorizationRequest, resume: AuthorizationResume, context: ServiceContext,
        claims store: ClaimsSessionStore
    ) -> AuthorizationDecision? {
        let info =
            resume.claimsContext
            ?? ClaimsRequestContext(query: nil, cookies: [], host: nil, scheme: "http", port: 0)
        let now = self.epochSeconds()
        let session = store.session(from: info.cookies, now: now)
        // `pushed_claims: bearer_token`: the bearer value is a claim token for the RPT request, never an RPT.
        var claimToken: PushedClaimToken?
        var bearer = BearerToken.parse(request.authorization)
        if let format = store.policy.pushedClaimTokenFormat {
            if let value = bearer.tokenValue { claimToken = PushedClaimToken(token: value, format: format) }
            bearer = .none
        }
        if store.policy.isCallback(request.path) {
            let task = ClaimsCallbackTask(
                driver: self, context: context, store: store, request: info, session: session, resume: resume,
                claimToken: claimToken)
            return task.start()
        }
        let match = context.rules.resolve(method: request.method, path: request.path)
        let rule: MatchedRule? = match.map { match in
            MatchedRule(
                match: match, condition: context.document.rules[match.ruleIndex].conditions[match.conditionIndex],
                resourceId: context.resourceIds.id(rule: match.ruleIndex, condition: match.conditionIndex))
        }
        var token = bearer
        var fromSession = false
        if case .none = token, let rpt = session?.rpt {
            token = .token(rpt)
            fromSession = true
        }
        let exchange = ClaimsExchange(
            store: store, request: info,
            returnTarget: ClaimsSession.safeReturnTarget(path: request.path, query: info.query), claimToken: claimToken)
        return self.enforce(
            request, resume: resume, context: context, rule: rule, token: token, workerSlot: nil, claims: exchange,
            tokenFromSession: fromSession)
    }
}

/// The claims callback of one request (`ClaimsCallbackStateMachine` performed): used-state ledger, RPT request,
/// claims-gathering URL, and the 302 / 400 / 403 / 502 answer with the session cookie set or cleared.
final class ClaimsCallbackTask: @unchecked Sendable {
    private let driver: EnforcementDriver
    private let context: EnforcementDriver.ServiceContext
    private let store: ClaimsSessionStore
    private let request: ClaimsRequestContext
    private let session: ClaimsSession?
    private let resume: AuthorizationResume
    private let claimToken: PushedClaimToken?
    private var machine: ClaimsCallbackStateMachine
    private var newState: String?
    /// Whether no authorization-server call has been made yet: a terminal answer is then returned, not resumed.
    private var synchronous = true
    private var result: AuthorizationDecision?

    init(
        driver: EnforcementDriver, context: EnforcementDriver.ServiceContext, store: ClaimsSessionStore,
        request: ClaimsRequestContext, session: ClaimsSession?, resume: AuthorizationResume,
        claimToken: PushedClaimToken? = nil
    ) {
        self.claimToken = claimToken
        self.driver = driver
        self.context = context
        self.store = store
        self.request = request
        self.session = session
        self.resume = resume
        self.machine = ClaimsCallbackStateMachine(claims: store.policy, session: session, query: request.query)
    }

    /// Runs the steps that need no waiting; returns the decision when it is known at once.
    func start() -> AuthorizationDecision? {
        self.handle(self.machine.start())
        // `synchronous` is cleared before the first call to the authorization server: from then on the answer
        // is resumed, never returned.
        return self.result
    }

    private var secure: Bool { self.request.scheme == "https" }

    private func handle(_ first: ClaimsCallbackStateMachine.Action) {
        var action = first
        while true {
            switch action {
            case .consumeState(let state):
                let fresh = ClaimsStateLedger.shared.consume(
                    state, expiresAt: self.session?.expiresAt ?? 0, now: self.driver.epochSeconds())
                action = self.machine.stateConsumed(fresh: fresh)
            case .obtainRPT(let ticket):
                guard let backend = self.context.backend else {
                    action = self.machine.rptCompleted(.failure(.transport))
                    continue
                }
                guard let slot = self.driver.limiter.acquire(server: self.context.serverID, operation: .rpt) else {
                    return self.finish(
                        .respond(EnforcementDriver.budgetExceeded, detail: EnforcementDriver.budgetExceededDetail))
                }
                self.synchronous = false
                backend.obtainRPT(ticket: ticket, claimToken: self.claimToken) { outcome in
                    slot.release()
                    self.handle(self.machine.rptCompleted(outcome))
                }
                return
            case .claimsGatheringURL(let ticket, _):
                guard let backend = self.context.backend, let redirectURI = self.store.redirectURI(self.request),
                    let state = SessionCookieCodec.randomToken()
                else {
                    action = self.machine.claimsGatheringURLCompleted(.failure(.transport))
                    continue
                }
                guard
                    let slot = self.driver.limiter.acquire(
                        server: self.context.serverID, operation: .claimsGatheringURL)
                else {
                    return self.finish(
                        .respond(EnforcementDriver.budgetExceeded, detail: EnforcementDriver.budgetExceededDetail))
                }
                self.newState = state
                self.synchronous = false
                backend.claimsGatheringURL(ticket: ticket, claimsRedirectURI: redirectURI, state: state) { outcome in
                    slot.release()
                    self.handle(self.machine.claimsGatheringURLCompleted(outcome))
                }
                return
            case .returnWithRPT(let target, let rpt):
                let now = self.driver.epochSeconds()
                guard
                    let cookie = self.store.setCookie(
                        self.store.rptSession(rpt, now: now), secure: self.secure, now: now)
                else { return self.fail() }
                if let metrics = self.driver.metrics, let id = self.context.metricsID {
                    metrics.recordGranted(service: id, consumer: EnforcementDriver.anonymousGrantConsumer, worker: nil)
                }
                return self.finish(
                    .respond(
                        ClaimsSessionStore.redirect(target, setCookie: cookie), detail: "pep.claims_callback_return"))
            case .claimsRedirect(let url, let returnTarget):
                let now = self.driver.epochSeconds()
                guard let state = self.newState,
                    let cookie = self.store.setCookie(
                        self.store.pendingSession(state: state, returnTarget: returnTarget, now: now),
                        secure: self.secure, now: now)
                else { return self.fail() }
                return self.finish(
                    .respond(ClaimsSessionStore.redirect(url, setCookie: cookie), detail: "pep.claims_redirect"))
            case .respond(let response, let clearSession):
                var headers = response.headers.map { (name: $0.name, value: $0.value) }
                if clearSession { headers.append(("Set-Cookie", self.store.clearCookie(secure: self.secure))) }
                return self.finish(
                    .respond(
                        HTTPResponseMessage(status: response.status, headers: headers, body: response.body),
                        detail: response.detail))
            }
        }
    }

    private func fail() {
        self.finish(.respond(EnforcementDriver.internalError, detail: "pep.unexpected_event"))
    }

    private func finish(_ decision: AuthorizationDecision) {
        if self.synchronous {
            self.result = decision
        } else {
            self.resume.resume(with: decision)
        }
    }
}
