import PEPCore
import Synchronization
import Testing

@testable import PEPProxy
@testable import UMAPEPRuntime

/// `limits.max_pending_authorization_calls` in the driver: a call beyond the budget is never made, single-flight
/// joiners take no slot, and every call gives its slot back exactly once — on success, failure, timeout, and when
/// its completion is dropped without being called (cancellation).
@Suite struct DriverAuthorizationBudgetTests {
    /// An authorization server whose calls wait until the test completes (or drops) them.
    final class HeldBackend: AuthorizationBackend, @unchecked Sendable {
        enum Call {
            case introspect(String, @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void)
            case checkAccess(String, @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void)
        }

        private let held = Mutex<[Call]>([])
        private let made = Atomic<Int>(0)

        var callsMade: Int { self.made.load(ordering: .relaxed) }
        var pendingCalls: Int { self.held.withLock { $0.count } }

        func introspect(
            token: String,
            completion: @escaping @Sendable (Result<IntrospectionResult, AuthorizationServerError>) -> Void
        ) {
            self.made.add(1, ordering: .relaxed)
            self.held.withLock { $0.append(.introspect(token, completion)) }
        }

        func checkAccess(
            rpt: String, path: String, method: String,
            completion: @escaping @Sendable (Result<CheckAccessResponse, AuthorizationServerError>) -> Void
        ) {
            self.made.add(1, ordering: .relaxed)
            self.held.withLock { $0.append(.checkAccess(rpt, completion)) }
        }

        func requestTicket(
            resourceId: String, scopes: [String],
            completion: @escaping @Sendable (Result<PermissionTicket, AuthorizationServerError>) -> Void
        ) {
            completion(.failure(.unexpectedAccess))
        }

        /// Removes and returns the oldest held call.
        func take() -> Call? {
            self.held.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    static let document = ProtectionDocument(rules: [
        ResourceRule(path: "/photos/??", conditions: [RuleCondition(httpMethods: ["GET"], scopes: ["view"])])
    ])

    static func driver(limit: Int, backend: HeldBackend) throws -> EnforcementDriver {
        let context = try EnforcementDriver.ServiceContext.photos(
            document: Self.document, denyByDefault: true, backend: backend)
        return EnforcementDriver(
            services: [context], cacheLimits: CacheLimits(maxEntries: 64), metrics: nil,
            limiter: AuthorizationCallLimiter(limit: limit, metrics: nil, logger: nil))
    }

    static func request(_ token: String?) -> AuthorizationRequest {
        AuthorizationRequest(
            serviceIndex: 0, method: "GET", path: "/photos/1", authorization: token.map { "Bearer \($0)" })
    }

    /// Two slots: two new tokens are introspected, a third is refused without a call, a joiner of the first
    /// takes no slot; each way a call can end gives its slot back once, and a check-access that follows an
    /// introspection takes the slot again.
    @Test func slotsAreTakenAndGivenBackOnEveryPath() throws {
        let backend = HeldBackend()
        let driver = try Self.driver(limit: 2, backend: backend)
        let budget = driver.limiter.budget
        #expect(driver.authorize(Self.request("A"), resume: .detached) == nil)
        #expect(driver.authorize(Self.request("B"), resume: .detached) == nil)
        #expect(budget.pending == 2 && backend.callsMade == 2)
        // Over budget: no call made (the request was answered 503 through its resume).
        #expect(driver.authorize(Self.request("C"), resume: .detached) == nil)
        #expect(driver.authorize(Self.request(nil), resume: .detached) == nil)
        #expect(budget.pending == 2 && backend.callsMade == 2)
        // A joiner of A's introspection waits on A's call: no slot, no call.
        #expect(driver.authorize(Self.request("A"), resume: .detached) == nil)
        #expect(budget.pending == 2 && backend.callsMade == 2)

        // Timeout.
        guard case .introspect("A", let completeA)? = backend.take() else { Issue.record("A"); return }
        completeA(.failure(.timeout))
        #expect(budget.pending == 1)
        // Success (inactive token) → the slot comes back, and the token-less check-access takes one.
        guard case .introspect("B", let completeB)? = backend.take() else { Issue.record("B"); return }
        completeB(.success(IntrospectionResult(active: false)))
        #expect(backend.callsMade == 3)
        #expect(budget.pending == 1)
        guard case .checkAccess("", let checkB)? = backend.take() else { Issue.record("check B"); return }
        checkB(.success(.denied(wwwAuthenticate: "UMA realm=\"rs\"", ticket: "t")))
        #expect(budget.pending == 0)
        // A second completion of the same call (a misbehaving client) gives nothing back twice.
        checkB(.failure(.transport))
        #expect(budget.pending == 0)

        // Failure.
        #expect(driver.authorize(Self.request("D"), resume: .detached) == nil)
        #expect(budget.pending == 1)
        guard case .introspect("D", let completeD)? = backend.take() else { Issue.record("D"); return }
        completeD(.failure(.transport))
        #expect(budget.pending == 0)

        // Cancellation: the completion is dropped without ever being called.
        #expect(driver.authorize(Self.request("E"), resume: .detached) == nil)
        #expect(driver.authorize(Self.request("F"), resume: .detached) == nil)
        #expect(budget.pending == 2)
        _ = backend.take()
        #expect(budget.pending == 1)
        _ = backend.take()
        #expect(budget.pending == 0)
        #expect(backend.pendingCalls == 0)

        // The budget is whole again: two new calls fit.
        #expect(driver.authorize(Self.request("G"), resume: .detached) == nil)
        #expect(driver.authorize(Self.request("H"), resume: .detached) == nil)
        #expect(budget.pending == 2 && backend.callsMade == 8)
    }
}
