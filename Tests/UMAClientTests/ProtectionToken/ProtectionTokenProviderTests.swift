import Foundation
import Testing

@testable import UMAClient

/// An issuer whose fetches the test completes by hand.
final class ManualIssuer: ProtectionTokenIssuer, @unchecked Sendable {
    let protectionTokenKey = ProtectionTokenKey(service: "https://oxd", clientId: "client")
    private let lock = NSLock()
    private var pending: [@Sendable (Result<IssuedProtectionToken, ProtectionTokenError>) -> Void] = []
    private(set) var previousTokens: [ProtectionToken?] = []

    var fetchCount: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.previousTokens.count
    }

    func issueProtectionToken(
        previous: ProtectionToken?,
        completion: @escaping @Sendable (Result<IssuedProtectionToken, ProtectionTokenError>) -> Void
    ) {
        self.lock.lock()
        self.previousTokens.append(previous)
        self.pending.append(completion)
        self.lock.unlock()
    }

    /// Completes every pending fetch with `result`.
    func complete(_ result: Result<IssuedProtectionToken, ProtectionTokenError>) {
        self.lock.lock()
        let pending = self.pending
        self.pending = []
        self.lock.unlock()
        for completion in pending { completion(result) }
    }
}

/// Collects delivered results.
final class Deliveries<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []

    func append(_ item: T) {
        self.lock.lock()
        self.items.append(item)
        self.lock.unlock()
    }

    var all: [T] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.items
    }
}

@Suite("ProtectionTokenProvider")
struct ProtectionTokenProviderTests {
    /// Concurrent callers share one fetch and all receive its token.
    @Test func concurrentCallersShareOneFetch() {
        let clock = TestClock()
        let provider = ProtectionTokenProvider(clock: { clock.now })
        let issuer = ManualIssuer()
        let deliveries = Deliveries<Result<ProtectionToken, ProtectionTokenError>>()
        for _ in 0..<10 { provider.token(from: issuer) { deliveries.append($0) } }
        #expect(issuer.fetchCount == 1)
        #expect(deliveries.all.isEmpty)
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT1", expiresInSeconds: 300)))
        #expect(deliveries.all.count == 10)
        #expect(deliveries.all.allSatisfy { (try? $0.get().accessToken) == "AT1" })
    }

    /// A cached token is reused while `now < expire - 5` and re-fetched from then on (Appendix A row 1).
    @Test func reusesUntilFiveSecondsBeforeExpiry() {
        let clock = TestClock(1000)
        let provider = ProtectionTokenProvider(clock: { clock.now })
        let issuer = ManualIssuer()
        let deliveries = Deliveries<Result<ProtectionToken, ProtectionTokenError>>()
        provider.token(from: issuer) { deliveries.append($0) }
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT1", refreshToken: "R1", expiresInSeconds: 60)))
        clock.advance(by: 54.9)
        provider.token(from: issuer) { deliveries.append($0) }
        #expect(issuer.fetchCount == 1)
        #expect(deliveries.all.count == 2)
        clock.advance(by: 0.1)
        provider.token(from: issuer) { deliveries.append($0) }
        #expect(issuer.fetchCount == 2)
        #expect(issuer.previousTokens.last??.refreshToken == "R1")
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT2", expiresInSeconds: 60)))
        #expect((try? deliveries.all.last?.get().accessToken) == "AT2")
    }

    /// A failed fetch reaches every waiter, leaves nothing cached, and the next call fetches again.
    @Test func failureIsNotCached() {
        let clock = TestClock()
        let provider = ProtectionTokenProvider(clock: { clock.now })
        let issuer = ManualIssuer()
        let deliveries = Deliveries<Result<ProtectionToken, ProtectionTokenError>>()
        provider.token(from: issuer) { deliveries.append($0) }
        provider.token(from: issuer) { deliveries.append($0) }
        issuer.complete(.failure(ProtectionTokenError(detail: "oxd.unexpected_status", message: "500")))
        #expect(deliveries.all.count == 2)
        #expect(deliveries.all.allSatisfy { if case .failure = $0 { true } else { false } })
        #expect(provider.cachedToken(for: issuer.protectionTokenKey) == nil)
        provider.token(from: issuer) { deliveries.append($0) }
        #expect(issuer.fetchCount == 2)
    }

    /// A rejected token is dropped, re-fetched once (without its refresh token) and the operation retried once.
    @Test func rejectedTokenIsRefetchedOnce() {
        let clock = TestClock()
        let provider = ProtectionTokenProvider(clock: { clock.now })
        let issuer = ManualIssuer()
        let used = Deliveries<String>()
        let outcome = Deliveries<Result<String, OXDError>>()
        provider.withToken(
            from: issuer, isRejection: { $0.isRejectedAccessToken }, tokenFailure: { .protectionToken($0) },
            operation: { token, done in
                used.append(token)
                done(.failure(.unexpectedStatus(command: "c", status: 403, error: "invalid_access_token")))
            },
            completion: { outcome.append($0) })
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT1", refreshToken: "R1", expiresInSeconds: 300)))
        #expect(issuer.fetchCount == 2)
        #expect(issuer.previousTokens.last! == nil)
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT2", expiresInSeconds: 300)))
        #expect(used.all == ["AT1", "AT2"])
        #expect(outcome.all.count == 1)
        #expect(
            outcome.all.first == .failure(.unexpectedStatus(command: "c", status: 403, error: "invalid_access_token")))
    }

    /// A failure that is not a token rejection is not retried.
    @Test func otherFailuresAreNotRetried() {
        let provider = ProtectionTokenProvider()
        let issuer = ManualIssuer()
        let used = Deliveries<String>()
        provider.withToken(
            from: issuer, isRejection: { $0.isRejectedAccessToken }, tokenFailure: { .protectionToken($0) },
            operation: { (token: String, done: @escaping @Sendable (Result<Int, OXDError>) -> Void) in
                used.append(token)
                done(.failure(.unexpectedStatus(command: "c", status: 400, error: "invalid_request")))
            },
            completion: { _ in })
        issuer.complete(.success(IssuedProtectionToken(accessToken: "AT1", expiresInSeconds: 300)))
        #expect(used.all == ["AT1"])
        #expect(issuer.fetchCount == 1)
    }
}
