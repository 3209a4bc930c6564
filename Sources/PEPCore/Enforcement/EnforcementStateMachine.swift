/// The enforcement pipeline of one request: authentication (RPT introspection) and authorization (UMA)
/// merged, behaving like Gluu Gateway's `gluu-uma-auth` + `gluu-uma-pep` with an `anonymous` consumer
/// (SPEC A1; Part B §2.2, §2.4, §2.4a). Pure: no I/O, clock, logging or cache access (STYLE rule 5).
///
/// Usage: `start()`; while the action is `introspect` / `checkAccess` / `requestTicket`, perform it and feed
/// the answer to the matching `…Completed` method; stop at `forward` or `respond`. Apply each step's
/// `cacheUpdates`. With cache hits in the request, `start()` often decides at once (synchronous path).
///
/// Decision rules, first match wins. "Usable token" = a valid bearer token whose introspection is active,
/// complete and current; an inactive token counts as no token (SPEC A1, anonymous ON), and so does an
/// `active: true` answer whose `exp` has passed or whose `nbf` lies ahead, by more than `cache.clock_skew`
/// (`TokenLifetime`); both are cached as inactive.
/// 0. Plain proxied service (mode `.plain`: no authorization server) → forward whatever the credentials, with
///    no token check and no added headers; `Authorization` removed only with `pass_credentials: hide`.
/// 1. Malformed `Bearer` credentials, any rule → 401 `Invalid access token…` (SECURITY.md case 17).
/// 2. Public rule (A13) → forward without introspection, with the anonymous headers; `Authorization` per
///    `pass_credentials`, where `phantom_token` acts as `pass` (there is no introspection data to put in it).
/// 3. Active token, `consumer_mapping` on, unknown `client_id`, any rule → 401 `Unknown consumer` (A6). With it
///    off, a token whose `client_id` is a listed consumer's `custom_id` is still mapped to that consumer.
/// 4. Active token, no rule → `deny_by_default` ? 403 `Unprotected path…` (P1) : forward (P7).
/// 5. No usable token, no rule → `deny_by_default` ? 403 `Invalid request, no token…` (P5) : forward (P4).
/// 6. No usable token, protected rule → new ticket, 401 `Unauthorized` + `WWW-Authenticate` (P3).
/// 7. Active token, protected rule, valid cached grant (oxd mode) → forward (P8).
/// 8. Active token, protected rule → check-access (oxd) or local decision (uma2): granted → forward (P9);
///    denied → 403 `You are not authorized…`, or 401 + ticket with `ticket_on_insufficient_scope` (A2).
/// 9. Any AS failure, incomplete introspection (A4b) or unsafe header value → 502; nothing stored (A8).
///
/// The method sent to check-access and held in decision-cache keys is `EnforcementRequest.authorizationMethod`:
/// `GET` for a `HEAD` that a GET condition covers (`RuleMatch.authorizedMethod`), else the request's own.
///
/// `obtain_rpt` (Part B P10, §2.5 A/B): in step 6 the fresh ticket is not sent to the client but turned into an
/// RPT (`obtainRPT`); an issued RPT is then enforced as if the client had sent it (introspection, then step 8),
/// at most once per request; so does a denial of the RPT held in the browser's session cookie
/// (`EnforcementRequest.tokenFromSession`: the ticket of the denial, or a new one in uma2 mode). `need_info` → with `redirect_claim_gathering_url`, `claimsGatheringURL` and then
/// the terminal `claimsRedirect` (302); without it 403 `You are not authorized…`. A refusal (`request_denied`,
/// `forbidden_by_policy`, …) → 403; any other failure → 502.
///
/// Not handled here: the claims callback (P0: `ClaimsCallbackStateMachine`) and `require_id_token` (P2).
public struct EnforcementStateMachine: Sendable {
    private enum State: Sendable, Equatable {
        case idle
        case awaitingIntrospection(token: String)
        case awaitingCheckAccess(token: String?)
        case awaitingTicket(insufficientScope: Bool)
        case awaitingRPT
        case awaitingClaimsGatheringURL
        case finished
    }

    private let policy: EnforcementPolicy
    private let request: EnforcementRequest
    private var state: State = .idle
    private var introspection: IntrospectionResult?
    private var tokenHeaders: [HeaderField] = []
    /// `obtain_rpt` already asked for an RPT in this request: a second ticket fails instead of looping.
    private var obtainedRPT = false

    /// What the finished request means for metrics.
    public private(set) var metrics = EnforcementMetrics()

    /// Creates the machine for one request.
    /// - Parameters:
    ///   - policy: the service's compiled policy.
    ///   - request: the request view with any cache hits.
    public init(policy: EnforcementPolicy, request: EnforcementRequest) {
        self.policy = policy
        self.request = request
    }

    /// Starts enforcement.
    /// - Returns: the first step (terminal when cache hits or the rule decide at once).
    public mutating func start() -> EnforcementStep {
        guard self.state == .idle else { return self.fail(.unexpectedEvent) }
        if self.policy.mode == .plain { return self.forwardPlain() }
        switch self.request.token {
        case .invalid:
            return self.respond(.malformedBearerToken)
        case .none:
            return self.continueAnonymous()
        case .token(let token):
            if let rule = self.request.rule, rule.condition.isPublic {
                return self.forwardAnonymous(.publicRule)
            }
            if let cached = self.request.cachedIntrospection, CacheTTL.isUsable(cached, now: self.request.now) {
                if !cached.active { return self.continueAnonymous() }
                if cached.hasRequiredMembers {
                    return self.authenticated(cached, token: token, now: self.request.now, fresh: false)
                }
            }
            self.state = .awaitingIntrospection(token: token)
            return EnforcementStep(.introspect(token: token))
        }
    }

    /// Feeds the introspection answer (Part B §2.2 A4).
    /// - Parameters:
    ///   - outcome: the decoded result (`IntrospectionResult.decode(status:body:)`) or the failure.
    ///   - now: seconds since the epoch when the answer arrived.
    /// - Returns: the next step.
    public mutating func introspectionCompleted(
        _ outcome: Result<IntrospectionResult, AuthorizationServerError>,
        now: Int64
    ) -> EnforcementStep {
        guard case .awaitingIntrospection(let token) = self.state else { return self.fail(.unexpectedEvent) }
        let result: IntrospectionResult
        switch outcome {
        case .failure(let error): return self.fail(.authorizationServer(error))
        case .success(let value): result = value
        }
        guard result.active else { return self.inactive(result, token: token, ttl: self.policy.negativeCacheTTL) }
        guard result.hasRequiredMembers else { return self.fail(.incompleteIntrospection) }
        switch TokenLifetime.check(result, now: now, clockSkew: self.policy.clockSkew) {
        case .current:
            return self.authenticated(result, token: token, now: now, fresh: true)
        case .expired:
            return self.inactive(Self.inactiveResult, token: token, ttl: self.policy.negativeCacheTTL)
        case .notYetValid(let seconds):
            // Cached no longer than until the token becomes valid.
            let ttl = min(self.policy.negativeCacheTTL, .seconds(seconds))
            return self.inactive(Self.inactiveResult, token: token, ttl: ttl)
        }
    }

    /// What an active answer outside its `exp` / `nbf` window is replaced by, in the machine and in the cache.
    static let inactiveResult = IntrospectionResult(active: false, raw: .object(["active": .bool(false)]))

    /// `result` as the introspection cache keeps it (``EnforcementPolicy/cachesIntrospectionJSON``,
    /// ``EnforcementPolicy/cacheInterner``).
    private func cacheable(_ result: IntrospectionResult) -> IntrospectionResult {
        var cached = self.policy.cachesIntrospectionJSON ? result : result.withoutRaw
        if let interner = self.policy.cacheInterner {
            cached = cached.withoutRedundantPermissionExpiries.interned(interner)
        }
        return cached
    }

    /// An inactive token counts as no token (anonymous ON); the result is cached for `ttl` unless the
    /// anonymous path itself failed.
    private mutating func inactive(_ result: IntrospectionResult, token: String, ttl: Duration) -> EnforcementStep {
        var step = self.continueAnonymous()
        if ttl > .zero, !Self.isServerError(step) {
            step.cacheUpdates.insert(
                .storeIntrospection(self.introspectionKey(token), self.cacheable(result), ttl: ttl), at: 0)
        }
        return step
    }

    /// Feeds the oxd `/uma-rs-check-access` answer (Part B §2.4 P3, P9; §2.9).
    /// - Parameters:
    ///   - outcome: the decoded answer (`CheckAccessResponse.decode(status:body:)`) or the failure.
    ///   - now: seconds since the epoch when the answer arrived.
    /// - Returns: the terminal step.
    public mutating func checkAccessCompleted(
        _ outcome: Result<CheckAccessResponse, AuthorizationServerError>,
        now: Int64
    ) -> EnforcementStep {
        guard case .awaitingCheckAccess(let token) = self.state else { return self.fail(.unexpectedEvent) }
        let answer: CheckAccessResponse
        switch outcome {
        case .failure(let error): return self.fail(.authorizationServer(error))
        case .success(let value): answer = value
        }
        guard let token else {
            // P3: no usable token. Only a denial carrying a challenge is a valid answer.
            guard case .denied(let challenge, let ticket) = answer else { return self.fail(.grantedWithoutToken) }
            if ticket != nil { self.metrics.ticketIssued = true }
            if self.policy.service.claims.obtainRPT {
                guard let ticket, !ticket.isEmpty else { return self.fail(.missingChallenge) }
                return self.obtainRPT(ticket: ticket)
            }
            guard let challenge else { return self.fail(.missingChallenge) }
            guard HeaderField.isValidValue(challenge) else { return self.fail(.unsafeChallenge) }
            return self.respond(.ticketIssued(wwwAuthenticate: challenge))
        }
        guard let rule = self.request.rule, let introspection = self.introspection else {
            return self.fail(.unexpectedEvent)
        }
        let key = self.decisionKey(rule, token)
        switch answer {
        case .granted:
            self.metrics.granted = true
            var updates: [CacheUpdate] = []
            if let seconds = CacheTTL.seconds(
                introspection: introspection, now: now, maxTTL: self.policy.maxCacheTTL,
                ttlWithoutExp: self.policy.ttlWithoutExp)
            {
                let (validUntil, overflow) = now.addingReportingOverflow(seconds)
                updates.append(
                    .storeGrant(key, CachedGrant(validUntil: overflow ? Int64.max : validUntil), ttl: .seconds(seconds))
                )
            }
            return self.forwardAuthenticated(.granted, cacheUpdates: updates)
        case .denied(let challenge, let ticket):
            if ticket != nil { self.metrics.ticketIssued = true }
            var step: EnforcementStep
            if self.upgradesSessionRPT, let ticket, !ticket.isEmpty {
                // The browser's session RPT lacks this permission: ask for one that has it (§2.5 B).
                step = self.obtainRPT(ticket: ticket)
            } else if !self.policy.service.ticketOnInsufficientScope {
                step = self.respond(.notAuthorized)
            } else if let challenge {
                step =
                    HeaderField.isValidValue(challenge)
                    ? self.respond(.ticketForInsufficientScope(wwwAuthenticate: challenge))
                    : self.fail(.unsafeChallenge)
            } else {
                step = self.fail(.missingChallenge)
            }
            step.cacheUpdates = [.removeGrant(key)]
            return step
        }
    }

    /// Feeds the permission endpoint's answer (`uma2` mode; Part B §5.4, §5.5).
    /// - Parameter outcome: the ticket (`PermissionTicket.decode(status:body:)`) or the failure.
    /// - Returns: the terminal step.
    public mutating func ticketCompleted(
        _ outcome: Result<PermissionTicket, AuthorizationServerError>
    ) -> EnforcementStep {
        guard case .awaitingTicket(let insufficientScope) = self.state else { return self.fail(.unexpectedEvent) }
        let ticket: PermissionTicket
        switch outcome {
        case .failure(let error): return self.fail(.authorizationServer(error))
        case .success(let value): ticket = value
        }
        self.metrics.ticketIssued = true
        if self.policy.service.claims.obtainRPT, !insufficientScope || self.upgradesSessionRPT {
            return self.obtainRPT(ticket: ticket.value)
        }
        guard case .uma2(let realm, let asURI) = self.policy.mode,
            let challenge = ticket.challenge(realm: realm, asURI: asURI)
        else { return self.fail(.unsafeChallenge) }
        return self.respond(
            insufficientScope
                ? .ticketForInsufficientScope(wwwAuthenticate: challenge) : .ticketIssued(wwwAuthenticate: challenge)
        )
    }

    /// Feeds the answer to `obtainRPT` (Part B §2.5 B).
    /// - Parameter outcome: the RPT, `need_info` or refusal; or the failure.
    /// - Returns: the next step: introspection of the new RPT, the claims-gathering URL, or a terminal answer.
    public mutating func rptCompleted(_ outcome: Result<RPTOutcome, AuthorizationServerError>) -> EnforcementStep {
        guard case .awaitingRPT = self.state else { return self.fail(.unexpectedEvent) }
        switch outcome {
        case .failure(let error):
            return self.fail(.authorizationServer(error))
        case .success(.rpt(let rpt)):
            // Enforced like a token the client sent (never introspected from the request's own credentials).
            self.state = .awaitingIntrospection(token: rpt)
            return EnforcementStep(.introspect(token: rpt))
        case .success(.needInfo(let ticket, let redirectUser)):
            guard self.policy.service.claims.redirectClaimGatheringURL else { return self.respond(.notAuthorized) }
            self.state = .awaitingClaimsGatheringURL
            return EnforcementStep(.claimsGatheringURL(ticket: ticket, redirectUser: redirectUser))
        case .success(.denied):
            return self.respond(.notAuthorized)
        }
    }

    /// Feeds the claims-gathering URL (oxd `/uma-rp-get-claims-gathering-url` or the AS's claims interaction
    /// endpoint). A URL a `Location` header cannot carry fails closed (SECURITY.md case 19).
    /// - Parameter outcome: the URL, or the failure.
    /// - Returns: the terminal step (302, or 502).
    public mutating func claimsGatheringURLCompleted(_ outcome: Result<String, AuthorizationServerError>)
        -> EnforcementStep
    {
        guard case .awaitingClaimsGatheringURL = self.state else { return self.fail(.unexpectedEvent) }
        switch outcome {
        case .failure(let error):
            return self.fail(.authorizationServer(error))
        case .success(let url):
            guard ClaimsCallbackStateMachine.isRedirectableURL(url) else { return self.fail(.unsafeChallenge) }
            self.state = .finished
            return EnforcementStep(.claimsRedirect(url: url))
        }
    }

    // MARK: - Paths

    /// `obtain_rpt` and the token is the RPT of the browser's session (not one the client sent), not yet replaced
    /// in this request: a denial asks for a new RPT instead of answering 403.
    private var upgradesSessionRPT: Bool {
        self.policy.service.claims.obtainRPT && self.request.tokenFromSession && !self.obtainedRPT
    }

    /// `obtain_rpt`: the ticket becomes an RPT request, once per request.
    private mutating func obtainRPT(ticket: String) -> EnforcementStep {
        guard !self.obtainedRPT else { return self.fail(.unexpectedEvent) }
        self.obtainedRPT = true
        self.state = .awaitingRPT
        return EnforcementStep(.obtainRPT(ticket: ticket))
    }

    /// No usable token: P3 (ticket), P4 (forward anonymous), P5 (403), or a public rule.
    private mutating func continueAnonymous() -> EnforcementStep {
        guard let rule = self.request.rule else {
            return self.policy.service.denyByDefault
                ? self.respond(.noTokenUnprotectedPath) : self.forwardAnonymous(.anonymousUnprotected)
        }
        if rule.condition.isPublic { return self.forwardAnonymous(.publicRule) }
        switch self.policy.mode {
        case .oxd:
            self.state = .awaitingCheckAccess(token: nil)
            return EnforcementStep(
                .checkAccess(rpt: "", pattern: rule.match.pattern, method: self.request.authorizationMethod))
        case .uma2:
            guard let resourceId = rule.resourceId else { return self.fail(.resourceNotRegistered) }
            self.state = .awaitingTicket(insufficientScope: false)
            return EnforcementStep(.requestTicket(resourceId: resourceId, scopes: rule.condition.effectiveTicketScopes))
        case .plain:
            return self.fail(.unexpectedEvent)
        }
    }

    /// An active, complete introspection result: consumer mapping (A6), headers, then P1 / P7 / P8 / P9.
    private mutating func authenticated(
        _ result: IntrospectionResult,
        token: String,
        now: Int64,
        fresh: Bool
    ) -> EnforcementStep {
        // A listed consumer whose `custom_id` is the token's `client_id` is always mapped (custom headers, the
        // phantom token, metrics); `consumer_mapping` only makes the match required.
        let consumer = result.clientId.flatMap { self.policy.consumersByClientId[$0] }
        if self.policy.consumerMapping && consumer == nil { return self.respond(.unknownConsumer) }
        self.introspection = result
        self.metrics.authenticatedClientId = result.clientId
        self.metrics.consumer = consumer

        let ttl = CacheTTL.compute(
            introspection: result, now: now, maxTTL: self.policy.maxCacheTTL, ttlWithoutExp: self.policy.ttlWithoutExp)
        var updates: [CacheUpdate] = []
        if fresh, let ttl {
            updates.append(.storeIntrospection(self.introspectionKey(token), self.cacheable(result), ttl: ttl))
        }
        if let cached = self.request.cachedUpstreamHeaders {
            self.tokenHeaders = cached
        } else {
            switch self.upstreamHeaders(result, consumer: consumer) {
            case .failure(let error): return self.fail(.unsafeUpstreamHeader(error))
            case .success(let fields): self.tokenHeaders = fields
            }
            if !self.tokenHeaders.isEmpty, let ttl {
                updates.append(.storeUpstreamHeaders(self.headersKey(token), self.tokenHeaders, ttl: ttl))
            }
        }

        guard let rule = self.request.rule else {
            var step =
                self.policy.service.denyByDefault
                ? self.respond(.unprotectedPath) : self.forwardAuthenticated(.authenticatedUnprotected)
            step.cacheUpdates = updates
            return step
        }
        switch self.policy.mode {
        case .oxd:
            if let grant = self.request.cachedGrant, grant.isValid(at: now) {
                self.metrics.granted = true
                return self.forwardAuthenticated(.grantedFromCache, cacheUpdates: updates)
            }
            self.state = .awaitingCheckAccess(token: token)
            return EnforcementStep(
                .checkAccess(rpt: token, pattern: rule.match.pattern, method: self.request.authorizationMethod),
                cacheUpdates: updates
            )
        case .uma2:
            guard let resourceId = rule.resourceId else { return self.fail(.resourceNotRegistered) }
            let granted = UMA2Decision.isGranted(
                result,
                resourceId: resourceId,
                requiredScopes: rule.condition.requiredScopes,
                now: now
            )
            var step: EnforcementStep
            if granted {
                self.metrics.granted = true
                step = self.forwardAuthenticated(.granted)
            } else if self.policy.service.ticketOnInsufficientScope || self.upgradesSessionRPT {
                self.state = .awaitingTicket(insufficientScope: true)
                step = EnforcementStep(
                    .requestTicket(resourceId: resourceId, scopes: rule.condition.effectiveTicketScopes)
                )
            } else {
                step = self.respond(.notAuthorized)
            }
            step.cacheUpdates = updates
            return step
        case .plain:
            return self.fail(.unexpectedEvent)
        }
    }

    /// Custom headers over the token's data, then the phantom token (Part B §2.6).
    private func upstreamHeaders(
        _ result: IntrospectionResult,
        consumer: Consumer?
    ) -> Result<[HeaderField], UpstreamHeaderError> {
        let custom = CustomHeaderEvaluator.evaluate(
            headers: self.policy.service.customHeaders,
            introspection: result,
            consumer: consumer
        )
        guard self.policy.service.passCredentials == .phantomToken else { return custom }
        return custom.map {
            $0 + [
                HeaderField(
                    name: "Authorization",
                    value: "Bearer " + UnsignedJWT.make(payload: result.introspectData(consumer: consumer))
                )
            ]
        }
    }

    // MARK: - Terminal steps

    /// A plain proxied service: the request goes upstream as a Kong service without the UMA plugins would send
    /// it; only the reserved identity headers are removed (the upstream must not trust a client's copies).
    private mutating func forwardPlain() -> EnforcementStep {
        self.state = .finished
        return EnforcementStep(
            .forward(
                UpstreamMutations(
                    removeAuthorization: self.policy.service.passCredentials == .hide,
                    reservedHeaders: self.policy.reservedHeaders,
                    setHeaders: [],
                    reason: .plainService
                )
            )
        )
    }

    private mutating func forwardAnonymous(_ reason: ForwardReason) -> EnforcementStep {
        switch self.policy.anonymousHeaders {
        case .failure(let error):
            return self.fail(.unsafeUpstreamHeader(error))
        case .success(let fields):
            self.state = .finished
            return EnforcementStep(
                .forward(
                    UpstreamMutations(
                        removeAuthorization: self.policy.service.passCredentials == .hide,
                        reservedHeaders: self.policy.reservedHeaders,
                        setHeaders: fields,
                        reason: reason
                    )
                )
            )
        }
    }

    private mutating func forwardAuthenticated(
        _ reason: ForwardReason,
        cacheUpdates: [CacheUpdate] = []
    ) -> EnforcementStep {
        self.state = .finished
        return EnforcementStep(
            .forward(
                UpstreamMutations(
                    removeAuthorization: self.policy.service.passCredentials != .pass,
                    reservedHeaders: self.policy.reservedHeaders,
                    setHeaders: self.tokenHeaders,
                    reason: reason
                )
            ),
            cacheUpdates: cacheUpdates
        )
    }

    private mutating func respond(_ denial: EnforcementDenial) -> EnforcementStep {
        self.state = .finished
        return EnforcementStep(.respond(PEPResponse(denial)))
    }

    /// A 502 (or another refusal on a failure path): never forwards, never stores (SPEC A8).
    private mutating func fail(_ denial: EnforcementDenial) -> EnforcementStep {
        self.respond(denial)
    }

    private static func isServerError(_ step: EnforcementStep) -> Bool {
        if case .respond(let response) = step.action { return response.status >= 500 }
        return false
    }

    // MARK: - Cache keys (never built for a plain service, which has no authorization server)

    private func introspectionKey(_ token: String) -> IntrospectionCacheKey {
        IntrospectionCacheKey(authorizationServer: self.policy.service.authorizationServer ?? "", token: token)
    }

    private func decisionKey(_ rule: MatchedRule, _ token: String) -> DecisionCacheKey {
        DecisionCacheKey(
            scope: self.policy.service.decisionScope,
            ruleIndex: rule.match.ruleIndex,
            conditionIndex: rule.match.conditionIndex,
            method: self.request.authorizationMethod,
            token: token
        )
    }

    private func headersKey(_ token: String) -> UpstreamHeadersCacheKey {
        UpstreamHeadersCacheKey(
            service: self.policy.service.serviceName,
            authorizationServer: self.policy.service.authorizationServer ?? "",
            token: token
        )
    }
}
