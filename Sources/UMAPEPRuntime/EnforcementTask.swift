import Foundation
import PEPCore
import PEPMetrics
import PEPProxy
import UMAClient

/// One request's enforcement while it waits for the authorization server. Its events arrive one at a time
/// (first on the worker thread, then on the control-plane thread), never concurrently, so its mutable state needs
/// no lock.
final class EnforcementTask: @unchecked Sendable {
    private let driver: EnforcementDriver
    private let context: EnforcementDriver.ServiceContext
    private var machine: EnforcementStateMachine
    private let rule: MatchedRule?
    /// The method the request is authorized as (`EnforcementRequest.authorizationMethod`): decision-cache keys.
    private let method: String
    private let resume: AuthorizationResume
    /// Single-flight keys this task leads, to be completed (or failed) once its answer is fed to the machine.
    private var leadingIntrospection: IntrospectionCacheKey?
    private var leadingDecision: DecisionCacheKey?
    private var finished = false
    /// The shared-cache key this task's authorization-server answer is to be written to (set after a shared miss).
    private var sharedKey: String?
    /// What is left of the shared-cache entry this task's answer came from: local entries made from it live no
    /// longer (`CacheUpdate.capped(by:)`).
    private var sharedRemaining: Duration?
    /// The request's W3C `traceparent`, sent on the authorization-server calls this task makes.
    private let traceparent: String?
    /// The claims-gathering exchange of an `obtain_rpt` service, else `nil`.
    private let claims: ClaimsExchange?

    init(
        driver: EnforcementDriver, context: EnforcementDriver.ServiceContext, machine: EnforcementStateMachine,
        rule: MatchedRule?, method: String, resume: AuthorizationResume, claims: ClaimsExchange? = nil
    ) {
        self.claims = claims
        self.driver = driver
        self.context = context
        self.machine = machine
        self.rule = rule
        self.method = method
        self.resume = resume
        self.traceparent = resume.traceparent
    }

    /// Runs `call` with this request's `traceparent` bound for the control plane's outgoing calls
    /// (``OutgoingTrace``): a call submitted within it carries the header.
    private func traced(_ call: () -> Void) {
        OutgoingTrace.$traceparent.withValue(self.traceparent, operation: call)
    }

    /// Performs `step` and every following step that needs no waiting.
    func handle(_ first: EnforcementStep) {
        var step = first
        while true {
            self.driver.apply(step.cacheUpdates)
            switch step.action {
            case .forward, .respond, .claimsRedirect:
                return self.complete(step.action)
            case .obtainRPT(let ticket):
                guard let backend = self.context.backend else {
                    step = self.machine.rptCompleted(.failure(.transport))
                    continue
                }
                guard let slot = self.acquireSlot(.rpt) else { return self.overBudget() }
                self.traced {
                    backend.obtainRPT(ticket: ticket, claimToken: self.claims?.claimToken) { outcome in
                        slot.release()
                        self.handle(self.machine.rptCompleted(outcome))
                    }
                }
                return
            case .claimsGatheringURL(let ticket, _):
                guard let backend = self.context.backend, let claims = self.claims,
                    let redirectURI = claims.store.redirectURI(claims.request),
                    let state = SessionCookieCodec.randomToken()
                else {
                    step = self.machine.claimsGatheringURLCompleted(.failure(.transport))
                    continue
                }
                guard let slot = self.acquireSlot(.claimsGatheringURL) else { return self.overBudget() }
                claims.state = state
                self.traced {
                    backend.claimsGatheringURL(ticket: ticket, claimsRedirectURI: redirectURI, state: state) {
                        outcome in
                        slot.release()
                        self.handle(self.machine.claimsGatheringURLCompleted(outcome))
                    }
                }
                return
            case .introspect(let token):
                let key = IntrospectionCacheKey(authorizationServer: self.serviceAS, token: token)
                switch self.driver.introspections.lookupOrBegin(
                    key, now: EnforcementDriver.instant(), waiter: IntrospectionWaiter(task: self))
                {
                case .hit(let record):
                    step = self.machine.introspectionCompleted(.success(record.result), now: self.driver.epochSeconds())
                case .leader:
                    self.leadingIntrospection = key
                    // A JWT RPT verified locally costs no authorization-server call, and less than a Redis round
                    // trip: Redis is neither asked nor written for it.
                    guard let shared = self.driver.sharedCache, !self.verifiesLocally(token) else {
                        return self.introspectAtServer(key, token)
                    }
                    // A local miss: the shared cache first (bounded by cache.redis.timeout), then the server.
                    let sharedKey = shared.introspectionKey(server: self.serviceAS, token: token)
                    shared.lookup(sharedKey, grant: false) { found in
                        if let found, case .introspection(let result) = found.entry,
                            result.serves(self.context.policy)
                        {
                            self.sharedRemaining = found.remaining
                            return self.introspectionArrived(.success(result))
                        }
                        self.sharedKey = sharedKey
                        self.introspectAtServer(key, token)
                    }
                    return
                case .joined:
                    return
                case .rejected:
                    return self.overloaded()
                }
            case .checkAccess(let rpt, let pattern, let method):
                guard let backend = self.context.backend else { return self.checkAccessArrived(.failure(.transport)) }
                if rpt.isEmpty || self.rule == nil {
                    guard let slot = self.acquireSlot(.checkAccess) else { return self.overBudget() }
                    self.traced {
                        backend.checkAccess(rpt: rpt, path: pattern, method: method) { outcome in
                            slot.release()
                            self.checkAccessArrived(outcome)
                        }
                    }
                    return
                }
                let key = EnforcementDriver.decisionKey(self.context.policy.service, self.rule!, self.method, rpt)
                switch self.driver.decisions.lookupOrBegin(
                    key, now: self.driver.epochSeconds(), instant: EnforcementDriver.instant(),
                    waiter: CheckAccessWaiter(task: self))
                {
                case .hit:
                    step = self.machine.checkAccessCompleted(.success(.granted), now: self.driver.epochSeconds())
                case .leader:
                    self.leadingDecision = key
                    guard let shared = self.driver.sharedCache else {
                        return self.checkAccessAtServer(key, backend, rpt: rpt, pattern: pattern, method: method)
                    }
                    let sharedKey = shared.grantKey(
                        server: self.serviceAS, token: rpt, method: method, pattern: pattern)
                    shared.lookup(sharedKey, grant: true) { found in
                        if let found, case .grant = found.entry {
                            self.sharedRemaining = found.remaining
                            return self.checkAccessArrived(.success(.granted))
                        }
                        self.sharedKey = sharedKey
                        self.checkAccessAtServer(key, backend, rpt: rpt, pattern: pattern, method: method)
                    }
                    return
                case .joined:
                    return
                case .rejected:
                    return self.overloaded()
                }
            case .requestTicket(let resourceId, let scopes):
                guard let backend = self.context.backend else {
                    step = self.machine.ticketCompleted(.failure(.transport))
                    continue
                }
                guard let slot = self.acquireSlot(.permissionTicket) else { return self.overBudget() }
                self.traced {
                    backend.requestTicket(resourceId: resourceId, scopes: scopes) { outcome in
                        slot.release()
                        self.handle(self.machine.ticketCompleted(outcome))
                    }
                }
                return
            }
        }
    }

    /// The single-flight leader's introspection call, after a local (and shared) miss.
    private func introspectAtServer(_ key: IntrospectionCacheKey, _ token: String) {
        guard let backend = self.context.backend else { return self.introspectionArrived(.failure(.transport)) }
        guard let slot = self.acquireSlot(.introspection) else {
            self.leadingIntrospection = nil
            for waiter in self.driver.introspections.fail(key) { waiter.task.overBudget() }
            return self.overBudget()
        }
        self.traced {
            backend.introspect(token: token) { outcome in
                slot.release()
                self.introspectionArrived(outcome)
            }
        }
    }

    /// The single-flight leader's check-access call, after a local (and shared) miss.
    private func checkAccessAtServer(
        _ key: DecisionCacheKey, _ backend: any AuthorizationBackend, rpt: String, pattern: String, method: String
    ) {
        guard let slot = self.acquireSlot(.checkAccess) else {
            self.leadingDecision = nil
            for waiter in self.driver.decisions.fail(key) { waiter.task.overBudget() }
            return self.overBudget()
        }
        self.traced {
            backend.checkAccess(rpt: rpt, path: pattern, method: method) { outcome in
                slot.release()
                self.checkAccessArrived(outcome)
            }
        }
    }

    /// Whether the backend answers `token`'s introspection itself (a JWT RPT under `jwt_rpts.local_verification`).
    private func verifiesLocally(_ token: String) -> Bool {
        (self.context.backend as? LocalJWTBackend)?.verifiesLocally(token) ?? false
    }

    /// Never `""` in practice: a plain service (no authorization server) never starts a task.
    private var serviceAS: String { self.context.policy.service.authorizationServer ?? "" }

    /// The answer to this task's own introspection call (it led the single flight), or the leader's answer
    /// handed to a waiter.
    func introspectionArrived(
        _ outcome: Result<IntrospectionResult, AuthorizationServerError>, sharedRemaining: Duration? = nil
    ) {
        if let sharedRemaining { self.sharedRemaining = min(self.sharedRemaining ?? sharedRemaining, sharedRemaining) }
        var step = self.machine.introspectionCompleted(outcome, now: self.driver.epochSeconds())
        let remaining = self.sharedRemaining
        if let remaining { step.cacheUpdates = step.cacheUpdates.map { $0.capped(by: remaining) } }
        if let key = self.leadingIntrospection {
            if let sharedKey = self.sharedKey, let shared = self.driver.sharedCache {
                self.sharedKey = nil
                for case .storeIntrospection(let k, let value, let ttl) in step.cacheUpdates where k == key {
                    shared.store(.introspection(value), key: sharedKey, ttl: ttl)
                }
            }
            self.leadingIntrospection = nil
            var updates = step.cacheUpdates
            var waiters: [IntrospectionWaiter] = []
            if let index = updates.firstIndex(where: {
                if case .storeIntrospection(let k, _, _) = $0 { return k == key }
                return false
            }), case .storeIntrospection(_, let value, let ttl) = updates[index] {
                updates.remove(at: index)
                waiters = self.driver.introspections.complete(
                    key, value: IntrospectionRecord(value), ttl: self.driver.cachingEnabled ? ttl : .zero,
                    now: EnforcementDriver.instant())
            } else {
                waiters = self.driver.introspections.fail(key)
            }
            for waiter in waiters { waiter.task.introspectionArrived(outcome, sharedRemaining: remaining) }
            return self.handle(EnforcementStep(step.action, cacheUpdates: updates))
        }
        self.handle(step)
    }

    /// The answer to a check-access call (own, or the leader's handed to a waiter).
    func checkAccessArrived(
        _ outcome: Result<CheckAccessResponse, AuthorizationServerError>, sharedRemaining: Duration? = nil
    ) {
        if let sharedRemaining { self.sharedRemaining = min(self.sharedRemaining ?? sharedRemaining, sharedRemaining) }
        var step = self.machine.checkAccessCompleted(outcome, now: self.driver.epochSeconds())
        let remaining = self.sharedRemaining
        if let remaining { step.cacheUpdates = step.cacheUpdates.map { $0.capped(by: remaining) } }
        if let key = self.leadingDecision {
            if let sharedKey = self.sharedKey, let shared = self.driver.sharedCache {
                self.sharedKey = nil
                for case .storeGrant(let k, let grant, let ttl) in step.cacheUpdates where k == key {
                    shared.store(.grant(grant), key: sharedKey, ttl: ttl)
                }
            }
            self.leadingDecision = nil
            var updates = step.cacheUpdates
            var waiters: [CheckAccessWaiter] = []
            if let index = updates.firstIndex(where: {
                if case .storeGrant(let k, _, _) = $0 { return k == key }
                return false
            }), case .storeGrant(_, let grant, let ttl) = updates[index] {
                updates.remove(at: index)
                waiters = self.driver.decisions.complete(
                    key, value: grant, ttl: self.driver.cachingEnabled ? ttl : .zero, now: self.driver.epochSeconds(),
                    instant: EnforcementDriver.instant())
            } else {
                waiters = self.driver.decisions.fail(key)
            }
            for waiter in waiters { waiter.task.checkAccessArrived(outcome, sharedRemaining: remaining) }
            return self.handle(EnforcementStep(step.action, cacheUpdates: updates))
        }
        self.handle(step)
    }

    /// A slot of the process's budget for one call this task is about to make (released in the call's
    /// completion, or when the completion is dropped), or `nil` when the budget is spent.
    private func acquireSlot(_ operation: ASOperation) -> AuthorizationCallSlot? {
        self.driver.limiter.acquire(server: self.context.serverID, operation: operation)
    }

    /// `limits.max_pending_authorization_calls` calls are in flight: `503` + `Retry-After` at once, nothing queued
    /// (also for the waiters of a single flight this task would have led).
    func overBudget() {
        guard !self.finished else { return }
        self.finished = true
        self.resumeRefusing(
            .respond(
                EnforcementDriver.budgetExceeded, detail: EnforcementDriver.budgetExceededDetail,
                ruleIndex: self.rule?.match.ruleIndex))
    }

    private func overloaded() {
        guard !self.finished else { return }
        self.finished = true
        self.resumeRefusing(
            .respond(
                EnforcementDriver.overloaded, detail: "pep.as_overloaded", ruleIndex: self.rule?.match.ruleIndex))
    }

    /// Resumes with a refusal, or with its `would_deny` forward on a report-only service.
    private func resumeRefusing(_ decision: AuthorizationDecision) {
        self.resume.resume(with: self.context.applying(decision))
    }

    private func complete(_ action: EnforcementAction) {
        guard !self.finished else { return }
        self.finished = true
        let decision = self.driver.finish(
            self.machine, action, context: self.context, rule: self.rule, claims: self.claims)
        self.resume.resume(with: decision)
    }
}
