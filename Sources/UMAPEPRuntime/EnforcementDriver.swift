import Foundation
import PEPCore
import PEPMetrics
import PEPProxy
import Synchronization

/// Drives `EnforcementStateMachine` for proxied requests (DESIGN.md "Request flow"): it performs the steps the
/// pure machine asks for — cache lookups, single-flight introspection and check-access through the
/// `AuthorizationBackend`, cache stores — and turns the outcome into the data plane's `AuthorizationDecision`.
///
/// The hot path (a cached, granted RPT) runs synchronously on the worker thread: the worker's grant cache (no
/// lock), or else one matcher walk and one lock-striped lookup of the token's introspection record, which
/// usually holds the grant too (``GrantCache``), no control-plane call, no task allocation. Anything that needs the
/// authorization server becomes an `EnforcementTask` that continues on the control-plane thread and resumes the
/// request on its worker.
public final class EnforcementDriver: RequestAuthorizer {
    /// Everything enforcement knows about one service (built once per configuration).
    final class ServiceContext: Sendable {
        let policy: EnforcementPolicy
        let rules: RuleResolver
        let document: ProtectionDocument
        /// Resource ids per rule and condition (uma2 mode; nil where unregistered).
        let resourceIds: ResourceIds
        /// The service's authorization server; `nil` for a plain proxied service, whose requests never leave
        /// `EnforcementStateMachine.start()`.
        let backend: (any AuthorizationBackend)?
        let metricsID: MetricsServiceID?
        /// The service's authorization server in the metrics (`uma_pep_authorization_calls_refused_total`).
        let serverID: MetricsServerID?
        let baseRemove: [String]
        let removePatterns: [ReservedHeaderNames.Pattern]
        /// `baseRemove` plus `authorization` (`pass_credentials: hide`), built once instead of per request.
        let baseRemoveWithAuthorization: [String]
        /// A forward's header changes without additions, with and without `authorization` removed: made once,
        /// each decision shares them (or derives its own with ``HeaderMutations/setting(_:)``).
        let forwardRemoving: HeaderMutations
        let forwardRemovingAuthorization: HeaderMutations
        /// The same with the service's anonymous fields added (``EnforcementPolicy/anonymousHeaders``): what every
        /// public-rule and anonymous-unprotected forward sends, made once (a request's own copy cost an object, and
        /// its fields were checked byte by byte as the upstream head was built). `nil` when they fail closed.
        let forwardAnonymous: HeaderMutations?
        let forwardAnonymousRemovingAuthorization: HeaderMutations?
        /// What enforcement answers a request without `Authorization` that matches no rule, and one on a public
        /// condition (``TokenlessForward``): the service's policy alone decides it
        /// (`EnforcementStateMachine.continueAnonymous`), so the machine's first answer is kept and repeated.
        let tokenlessUnmatched = AtomicLazyReference<TokenlessForward>()
        let tokenlessPublic = AtomicLazyReference<TokenlessForward>()

        /// The kept answer for token-less requests that match a public condition (`isPublic`) or no rule.
        func tokenlessForward(public isPublic: Bool) -> TokenlessForward? {
            isPublic ? self.tokenlessPublic.load() : self.tokenlessUnmatched.load()
        }

        /// Keeps the machine's first answer for token-less requests of that kind (a later one is the same).
        func keepTokenless(public isPublic: Bool, _ forward: TokenlessForward) {
            if isPublic {
                _ = self.tokenlessPublic.storeIfNil(forward)
            } else {
                _ = self.tokenlessUnmatched.storeIfNil(forward)
            }
        }
        /// `enforcement: report_only`: refusals are forwarded as `would_deny` (``ReportOnly``).
        let reportOnly: Bool
        /// `obtain_rpt`: the claims-gathering session handling (``ClaimsSessionStore``); `nil` when off.
        let claims: ClaimsSessionStore?

        init(
            policy: EnforcementPolicy, rules: RuleResolver, document: ProtectionDocument, resourceIds: ResourceIds,
            backend: (any AuthorizationBackend)?, metricsID: MetricsServiceID?, baseRemove: [String],
            removePatterns: [ReservedHeaderNames.Pattern], serverID: MetricsServerID? = nil, reportOnly: Bool = false,
            claims: ClaimsSessionStore? = nil
        ) {
            self.claims = claims
            self.policy = policy
            self.rules = rules
            self.document = document
            self.resourceIds = resourceIds
            self.backend = backend
            self.metricsID = metricsID
            self.serverID = serverID
            self.baseRemove = baseRemove
            self.removePatterns = removePatterns
            self.baseRemoveWithAuthorization = baseRemove + ["authorization"]
            self.forwardRemoving = HeaderMutations(remove: baseRemove, removePatterns: removePatterns)
            self.forwardRemovingAuthorization = HeaderMutations(
                remove: self.baseRemoveWithAuthorization, removePatterns: removePatterns)
            if case .success(let fields) = policy.anonymousHeaders {
                self.forwardAnonymous = self.forwardRemoving.setting(fields)
                self.forwardAnonymousRemovingAuthorization = self.forwardRemovingAuthorization.setting(fields)
            } else {
                self.forwardAnonymous = nil
                self.forwardAnonymousRemovingAuthorization = nil
            }
            self.reportOnly = reportOnly
        }

        /// `decision` as this service applies it: unchanged when enforcing; with `report_only`, a refusal becomes
        /// its `would_deny` forward (``ReportOnly``).
        func applying(_ decision: AuthorizationDecision) -> AuthorizationDecision {
            self.reportOnly ? ReportOnly.forward(decision, context: self) : decision
        }
    }

    /// The forwards whose answer for token-less requests is kept (``ServiceContext/tokenlessUnmatched``).
    static let tokenlessDetails: Set<String> = [
        ForwardReason.publicRule.detail, ForwardReason.anonymousUnprotected.detail, ForwardReason.plainService.detail,
    ]

    /// A kept answer for token-less requests of one kind (``ServiceContext/tokenlessUnmatched``): the forward's
    /// header changes and detail, or `nil` when the machine does not forward them (`deny_by_default`, anonymous
    /// headers that fail closed), which are then decided per request.
    final class TokenlessForward: Sendable {
        let forward: (mutations: HeaderMutations, detail: String)?
        init(_ forward: (mutations: HeaderMutations, detail: String)?) { self.forward = forward }
    }

    typealias IntrospectionCache = LRUTTLCache<IntrospectionCacheKey, IntrospectionRecord, IntrospectionWaiter>
    typealias HeadersCache = LRUTTLCache<UpstreamHeadersCacheKey, [HeaderField], Never>

    let services: [ServiceContext]
    let introspections: IntrospectionCache
    /// The decision cache: grants inline in `introspections`' records, the others and the check-access markers
    /// in an overflow cache (``GrantCache``).
    let decisions: GrantCache<IntrospectionWaiter, CheckAccessWaiter>
    let upstreamHeaders: HeadersCache
    let metrics: PEPMetrics?
    let epochSeconds: @Sendable () -> Int64
    /// `cache.max_entries: 0` turns caching off: nothing is stored, single-flight still shares in-flight calls.
    let cachingEnabled: Bool
    /// One grant cache per worker, in front of the process-wide caches (``WorkerGrantCache``).
    let workerCaches: [WorkerGrantCache]
    /// Bumped by ``flushWorkerCaches()``: entries of an older epoch are misses.
    let workerCacheEpoch = Atomic<Int>(0)
    /// The process's budget of authorization-server calls in flight (shared across generations).
    let limiter: AuthorizationCallLimiter
    /// `cache.redis`: consulted by single-flight leaders before the authorization server (``SharedCache``).
    let sharedCache: SharedCache?
    /// `limits.cache_misses_per_ip_per_second`, checked only on requests that miss the caches; `nil` when off.
    let missRate: CacheMissRateGate?

    init(
        services: [ServiceContext], cacheLimits: CacheLimits, cachingEnabled: Bool = true, metrics: PEPMetrics?,
        workers: Int = 0, epochSeconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        limiter: AuthorizationCallLimiter? = nil, sharedCache: SharedCache? = nil,
        missRate: CacheMissRateGate? = nil
    ) {
        self.sharedCache = cachingEnabled ? sharedCache : nil
        self.missRate = missRate
        self.limiter =
            limiter
            ?? AuthorizationCallLimiter(
                limit: ProxyLimits().maxPendingAuthorizationCalls, metrics: metrics, logger: nil)
        self.cachingEnabled = cachingEnabled
        self.workerCaches = cachingEnabled ? (0..<max(0, workers)).map { _ in WorkerGrantCache() } : []
        self.services = services
        self.introspections = IntrospectionCache(limits: cacheLimits)
        self.decisions = GrantCache(limits: cacheLimits, introspections: self.introspections)
        self.upstreamHeaders = HeadersCache(limits: cacheLimits)
        self.metrics = metrics
        self.epochSeconds = epochSeconds
        // Worker-cache hits stand for hits of the caches they repeat.
        let workerCaches = self.workerCaches
        metrics?.setCacheStatisticsSource(.introspection) { [introspections] in
            var statistics = introspections.statistics
            for cache in workerCaches { statistics.hits += cache.introspectionHits.load(ordering: .relaxed) }
            return statistics
        }
        metrics?.setCacheStatisticsSource(.decision) { [decisions] in
            var statistics = decisions.counters
            for cache in workerCaches { statistics.hits += cache.decisionHits.load(ordering: .relaxed) }
            return statistics
        }
    }

    /// Empties every worker's grant cache (their entries become misses at once); the process-wide caches are
    /// not touched.
    func flushWorkerCaches() {
        self.workerCacheEpoch.add(1, ordering: .relaxed)
    }

    /// Forgets every cached grant (the decision cache and the worker caches): the authorization server lost the
    /// resources they were granted on, and they are being registered again. Introspections stay cached; in
    /// uma2 mode their permissions name the old resource ids, which no longer match.
    func forgetGrants() {
        self.decisions.removeAllValues()
        self.flushWorkerCaches()
    }

    /// Monotonic time for the caches.
    static func instant() -> CacheInstant {
        CacheInstant(nanoseconds: MonotonicClock.nanoseconds())
    }

    // MARK: RequestAuthorizer

    /// Decides at once on cache hits and local rules; otherwise starts an `EnforcementTask` and returns nil.
    public func authorize(_ request: AuthorizationRequest, resume: AuthorizationResume) -> AuthorizationDecision? {
        let context = self.services[request.serviceIndex]
        if let claims = context.claims {
            return self.authorizeWithClaims(request, resume: resume, context: context, claims: claims)
        }
        let match = self.resolve(request, context: context)
        // The worker's own grant cache first: a kept-alive client repeating a granted request. The token is
        // hashed and compared in the request head's bytes (no string is made for a hit).
        var workerSlot: (cache: WorkerGrantCache, key: UInt64)?
        if let match, let worker = request.worker, worker < self.workerCaches.count {
            let cache = self.workerCaches[worker]
            // The indexes, not the match, go into the closure (capturing the match copied it: two string retains).
            let (rule, condition) = (match.ruleIndex, match.conditionIndex)
            let found = request.withAuthorizationBytes { authorization -> (UInt64, WorkerGrantCache.Entry?) in
                let key = WorkerGrantCache.key(
                    authorization: authorization, service: request.serviceIndex, rule: rule, condition: condition)
                let hit = cache.lookup(
                    key: key, authorization: authorization, service: request.serviceIndex, rule: rule,
                    condition: condition, method: request.method, now: Self.instant().nanoseconds,
                    epoch: self.workerCacheEpoch.load(ordering: .relaxed))
                return (key, hit)
            }
            if let (key, hit) = found {
                if let hit {
                    if let metrics = self.metrics, let id = context.metricsID {
                        if let client = hit.authenticatedConsumer {
                            metrics.recordAuthenticated(service: id, consumer: client, worker: worker)
                        }
                        if let consumer = hit.grantedConsumer {
                            metrics.recordGranted(service: id, consumer: consumer, worker: worker)
                        }
                    }
                    return hit.decision
                }
                workerSlot = (cache, key)
            }
        }
        // No token, and no rule or a public one: the answer depends on the service's policy only.
        var tokenlessPublic: Bool?
        if !request.hasAuthorization {
            if let match {
                if context.document.rules[match.ruleIndex].conditions[match.conditionIndex].isPublic {
                    tokenlessPublic = true
                }
            } else {
                tokenlessPublic = false
            }
        }
        if let isPublic = tokenlessPublic, let known = context.tokenlessForward(public: isPublic) {
            if let forward = known.forward {
                return .forward(forward.mutations, detail: forward.detail, ruleIndex: match?.ruleIndex)
            }
            tokenlessPublic = nil
        }
        let rule: MatchedRule? = match.map { match in
            MatchedRule(
                match: match, condition: context.document.rules[match.ruleIndex].conditions[match.conditionIndex],
                resourceId: context.resourceIds.id(rule: match.ruleIndex, condition: match.conditionIndex))
        }
        let decision = self.enforce(
            request, resume: resume, context: context, rule: rule, token: BearerToken.parse(request.authorization),
            workerSlot: workerSlot, claims: nil)
        if let isPublic = tokenlessPublic {
            // The first such request: keep the machine's answer (always synchronous for these requests) when it is
            // one of the policy's own forwards; anything else (a refusal, report-only's `would_deny` forward, which
            // is logged per request) is decided per request.
            if case .forward(let mutations, let detail, _)? = decision, Self.tokenlessDetails.contains(detail) {
                context.keepTokenless(public: isPublic, TokenlessForward((mutations, detail)))
            } else if decision != nil {
                context.keepTokenless(public: isPublic, TokenlessForward(nil))
            }
        }
        return decision
    }

    /// The request's rule: from the worker's match cache when it resolved the same service, method and path
    /// before (``WorkerGrantCache/match(slot:service:method:path:)``), else from the service's `RuleResolver`
    /// (then kept). The cache belongs to this driver, so to one configuration generation.
    @inline(__always)
    func resolve(_ request: AuthorizationRequest, context: ServiceContext) -> RuleMatch? {
        guard let worker = request.worker, worker < self.workerCaches.count else {
            return context.rules.resolve(method: request.method, path: request.path)
        }
        let cache = self.workerCaches[worker]
        let slot = WorkerGrantCache.matchSlot(service: request.serviceIndex, method: request.method, path: request.path)
        if let kept = cache.match(slot: slot, service: request.serviceIndex, method: request.method, path: request.path)
        {
            return kept
        }
        let match = context.rules.resolve(method: request.method, path: request.path)
        cache.storeMatch(match, slot: slot, service: request.serviceIndex, method: request.method, path: request.path)
        return match
    }

    /// Enforcement after the worker cache: cache lookups, the state machine's first step, and either the decision
    /// or a task. `claims` is the claims-gathering exchange of an `obtain_rpt` service.
    func enforce(
        _ request: AuthorizationRequest, resume: AuthorizationResume, context: ServiceContext, rule: MatchedRule?,
        token: BearerToken, workerSlot: (cache: WorkerGrantCache, key: UInt64)?, claims: ClaimsExchange?,
        tokenFromSession: Bool = false
    ) -> AuthorizationDecision? {
        let now = self.epochSeconds()
        var enforcement = EnforcementRequest(method: request.method, rule: rule, token: token, now: now)
        enforcement.tokenFromSession = tokenFromSession
        let method = enforcement.authorizationMethod
        let service = context.policy.service
        // The earliest expiry of the cache entries read: how long a worker-cache entry may repeat the decision.
        var expiresAt = Int64.max
        if let value = token.tokenValue, let authorizationServer = service.authorizationServer {
            let instant = Self.instant()
            let record = self.introspections.valueAndExpiry(
                forKey: IntrospectionCacheKey(authorizationServer: authorizationServer, token: value), now: instant)
            if let record {
                enforcement.cachedIntrospection = record.value.result
                expiresAt = min(expiresAt, record.expiresAt)
            }
            if let rule,
                let hit = self.decisions.valueAndExpiry(
                    scope: service.decisionScope, ruleIndex: rule.match.ruleIndex,
                    conditionIndex: rule.match.conditionIndex, method: method, record: record, now: now,
                    instant: instant, key: { Self.decisionKey(service, rule, method, value) })
            {
                enforcement.cachedGrant = hit.value
                expiresAt = min(expiresAt, hit.expiresAt)
            }
            if !service.customHeaders.isEmpty {
                if let hit = self.upstreamHeaders.valueAndExpiry(
                    forKey: UpstreamHeadersCacheKey(
                        service: service.serviceName, authorizationServer: authorizationServer, token: value),
                    now: instant)
                {
                    enforcement.cachedUpstreamHeaders = hit.value
                    expiresAt = min(expiresAt, hit.expiresAt)
                }
            }
        }
        let readDecisionCache = enforcement.cachedGrant != nil
        var machine = EnforcementStateMachine(policy: context.policy, request: enforcement)
        let step = machine.start()
        switch step.action {
        case .forward, .respond:
            self.apply(step.cacheUpdates)
            let decision = self.finish(
                machine, step.action, context: context, rule: rule, worker: request.worker, claims: claims)
            // Only a grant read whole from live cache entries is repeated by the worker cache.
            if let workerSlot, let authorization = request.authorization, let rule, machine.metrics.granted,
                step.cacheUpdates.isEmpty, enforcement.cachedIntrospection != nil, expiresAt != Int64.max,
                case .forward = decision
            {
                workerSlot.cache.store(
                    WorkerGrantCache.Entry(
                        authorization: Array(authorization.utf8), service: request.serviceIndex,
                        rule: rule.match.ruleIndex,
                        condition: rule.match.conditionIndex, method: request.method, expiresAt: expiresAt,
                        epoch: self.workerCacheEpoch.load(ordering: .relaxed), decision: decision,
                        authenticatedConsumer: machine.metrics.authenticatedClientId.flatMap {
                            self.metrics?.consumerID(for: $0)
                        },
                        grantedConsumer: self.metrics?.consumerID(
                            for: machine.metrics.consumer?.customId ?? Self.anonymousGrantConsumer),
                        readDecisionCache: readDecisionCache),
                    key: workerSlot.key)
            }
            return decision
        case .claimsRedirect:
            return self.finish(machine, step.action, context: context, rule: rule, worker: request.worker)
        case .introspect, .checkAccess, .requestTicket, .obtainRPT, .claimsGatheringURL:
            // A cache miss: the client's address pays for it (`limits.cache_misses_per_ip_per_second`).
            if let missRate = self.missRate,
                let refusal = missRate.refusal(address: resume.peerHost, service: context.metricsID)
            {
                // Report-only: forwarded as `would_deny.429.…`, as the call budget's 503 is.
                return context.applying(
                    .respond(refusal, detail: CacheMissRateGate.detail, ruleIndex: rule?.match.ruleIndex))
            }
            let task = EnforcementTask(
                driver: self, context: context, machine: machine, rule: rule, method: method, resume: resume,
                claims: claims)
            task.handle(step)
            return nil
        }
    }

    static func decisionKey(_ service: ServicePolicy, _ rule: MatchedRule, _ method: String, _ token: String)
        -> DecisionCacheKey
    {
        DecisionCacheKey(
            scope: service.decisionScope, ruleIndex: rule.match.ruleIndex, conditionIndex: rule.match.conditionIndex,
            method: method, token: token)
    }

    /// Applies cache updates that no single-flight leader owns.
    func apply(_ updates: [CacheUpdate]) {
        guard !updates.isEmpty, self.cachingEnabled else { return }
        let instant = Self.instant()
        let now = self.epochSeconds()
        for update in updates {
            switch update {
            case .storeIntrospection(let key, let value, let ttl):
                self.introspections.setValue(IntrospectionRecord(value), forKey: key, ttl: ttl, now: instant)
            case .storeGrant(let key, let grant, let ttl):
                self.decisions.setValue(grant, forKey: key, ttl: ttl, now: now, instant: instant)
            case .removeGrant(let key):
                self.decisions.removeValue(forKey: key, now: now, instant: instant)
            case .storeUpstreamHeaders(let key, let headers, let ttl):
                self.upstreamHeaders.setValue(headers, forKey: key, ttl: ttl, now: instant)
            }
        }
    }

    /// Turns a terminal action into the data plane's decision and records the gluu metrics (Part B §7).
    func finish(
        _ machine: EnforcementStateMachine, _ action: EnforcementAction, context: ServiceContext, rule: MatchedRule?,
        worker: Int? = nil, claims: ClaimsExchange? = nil
    ) -> AuthorizationDecision {
        if let metrics = self.metrics, let id = context.metricsID {
            let facts = machine.metrics
            if let client = facts.authenticatedClientId {
                metrics.recordAuthenticated(service: id, consumer: client, worker: worker)
            }
            if facts.granted {
                // SPEC Part B §7: the consumer's custom_id, or the literal below when no consumer is mapped.
                metrics.recordGranted(
                    service: id, consumer: facts.consumer?.customId ?? Self.anonymousGrantConsumer, worker: worker)
            }
            if facts.ticketIssued { metrics.recordTicket(service: id) }
        }
        let ruleIndex = rule?.match.ruleIndex
        switch action {
        case .forward(let mutations):
            // The session cookie (and the RPT in it) never reaches the upstream; the client's other cookies do.
            if let claims, claims.store.hasCookie(claims.request.cookies) {
                var remove = mutations.removeAuthorization ? context.baseRemoveWithAuthorization : context.baseRemove
                var set = mutations.setHeaders
                remove.append("cookie")
                if let kept = claims.store.upstreamCookie(claims.request.cookies) {
                    set.append(HeaderField(name: "Cookie", value: kept))
                }
                return .forward(
                    HeaderMutations(remove: remove, removePatterns: context.removePatterns, set: set),
                    detail: mutations.reason.detail, ruleIndex: ruleIndex)
            }
            let base = mutations.removeAuthorization ? context.forwardRemovingAuthorization : context.forwardRemoving
            let made: HeaderMutations
            if mutations.setHeaders.isEmpty {
                made = base
            } else if mutations.reason == .publicRule || mutations.reason == .anonymousUnprotected,
                let anonymous = mutations.removeAuthorization
                    ? context.forwardAnonymousRemovingAuthorization : context.forwardAnonymous
            {
                // These forwards always add the anonymous fields (`EnforcementStateMachine.forwardAnonymous`).
                made = anonymous
            } else {
                made = base.setting(mutations.setHeaders)
            }
            return .forward(made, detail: mutations.reason.detail, ruleIndex: ruleIndex)
        case .respond(let response):
            return context.applying(
                .respond(
                    HTTPResponseMessage(
                        status: response.status, headers: response.headers.map { (name: $0.name, value: $0.value) },
                        body: response.body),
                    detail: response.detail, ruleIndex: ruleIndex))
        case .claimsRedirect(let url):
            guard let claims, let state = claims.state,
                let cookie = claims.store.setCookie(
                    claims.store.pendingSession(
                        state: state, returnTarget: claims.returnTarget, now: self.epochSeconds()),
                    secure: claims.request.scheme == "https", now: self.epochSeconds())
            else {
                return context.applying(
                    .respond(Self.internalError, detail: "pep.unexpected_event", ruleIndex: ruleIndex))
            }
            // Not a refusal: report-only services redirect too (there is nothing to forward instead).
            return .respond(
                ClaimsSessionStore.redirect(url, setCookie: cookie), detail: "pep.claims_redirect", ruleIndex: ruleIndex
            )
        case .introspect, .checkAccess, .requestTicket, .obtainRPT, .claimsGatheringURL:
            return context.applying(
                .respond(Self.internalError, detail: "pep.unexpected_event", ruleIndex: ruleIndex))
        }
    }

    /// The `consumer` label of `gluu_uma_client_granted` when no consumer is mapped (Part B §7).
    static let anonymousGrantConsumer = "openid_connect_authentication"

    static let internalError = HTTPResponseMessage.json(502, #"{"message":"An unexpected error ocurred"}"#)
    static let overloaded = HTTPResponseMessage.json(503, #"{"message":"Authorization server busy, retry later"}"#)
    /// `limits.max_pending_authorization_calls` calls are in flight: refused at once, never queued.
    static let budgetExceeded = HTTPResponseMessage.json(
        503, #"{"message":"Authorization server busy, retry later"}"#, headers: [("Retry-After", "1")])
    /// The access-log detail of ``budgetExceeded``.
    static let budgetExceededDetail = "pep.authorization_budget_exceeded"
}

/// A request queued behind a single-flight introspection.
struct IntrospectionWaiter: Sendable {
    let task: EnforcementTask
}

/// A request queued behind a single-flight check-access.
struct CheckAccessWaiter: Sendable {
    let task: EnforcementTask
}
