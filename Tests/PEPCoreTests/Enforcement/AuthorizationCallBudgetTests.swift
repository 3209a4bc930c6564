import Dispatch
import Synchronization
import Testing

@testable import PEPCore

/// `limits.max_pending_authorization_calls`: slots are taken up to the limit, refused beyond it, and each comes
/// back exactly once, however its call ends.
@Suite struct AuthorizationCallBudgetTests {
    /// One step of a budget scenario: take a slot, or release the slot taken at `index` (repeatable).
    enum Step: Sendable {
        case acquire(expected: Bool)
        case release(Int)
        case drop(Int)
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        var label: String
        var limit: Int
        var steps: [Step]
        var pendingAfter: Int
        var testDescription: String { self.label }
    }

    static let scenarios: [Scenario] = [
        Scenario(
            label: "up to the limit", limit: 2, steps: [.acquire(expected: true), .acquire(expected: true)],
            pendingAfter: 2),
        Scenario(
            label: "refused beyond the limit", limit: 2,
            steps: [.acquire(expected: true), .acquire(expected: true), .acquire(expected: false)], pendingAfter: 2),
        Scenario(
            label: "a release makes room", limit: 1,
            steps: [.acquire(expected: true), .acquire(expected: false), .release(0), .acquire(expected: true)],
            pendingAfter: 1),
        Scenario(
            label: "a second release does nothing", limit: 2,
            steps: [.acquire(expected: true), .acquire(expected: true), .release(0), .release(0), .release(0)],
            pendingAfter: 1),
        Scenario(
            label: "a dropped slot is released", limit: 1,
            steps: [.acquire(expected: true), .drop(0), .acquire(expected: true)], pendingAfter: 1),
        Scenario(
            label: "released then dropped counts once", limit: 2,
            steps: [.acquire(expected: true), .acquire(expected: true), .release(1), .drop(1)], pendingAfter: 1),
        Scenario(
            label: "a limit below 1 is 1", limit: 0, steps: [.acquire(expected: true), .acquire(expected: false)],
            pendingAfter: 1),
    ]

    @Test(arguments: Self.scenarios)
    func scenario(_ scenario: Scenario) {
        let budget = AuthorizationCallBudget(limit: scenario.limit)
        var slots: [AuthorizationCallSlot?] = []
        for step in scenario.steps {
            switch step {
            case .acquire(let expected):
                let slot = budget.acquire()
                #expect((slot != nil) == expected)
                if let slot { slots.append(slot) }
            case .release(let index):
                slots[index]?.release()
            case .drop(let index):
                slots[index] = nil
            }
        }
        #expect(budget.pending == scenario.pendingAfter)
        slots.removeAll()
        #expect(budget.pending == 0)
    }

    /// Eight threads racing for four slots never hold more than four, and every slot comes back.
    @Test func concurrentAcquireNeverExceedsTheLimit() {
        let budget = AuthorizationCallBudget(limit: 4)
        let highest = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20_000 {
                guard let slot = budget.acquire() else {
                    refused.add(1, ordering: .relaxed)
                    continue
                }
                let pending = budget.pending
                #expect(pending <= 4)
                var seen = highest.load(ordering: .relaxed)
                while pending > seen {
                    let (exchanged, original) = highest.compareExchange(
                        expected: seen, desired: pending, ordering: .relaxed)
                    if exchanged { break }
                    seen = original
                }
                slot.release()
                slot.release()
            }
        }
        #expect(highest.load(ordering: .relaxed) <= 4)
        #expect(budget.pending == 0)
    }
}

/// A refusal flood logs one warning a second, with the count held back in between.
@Suite struct WarningThrottleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        /// Milliseconds since the first warning.
        var at: [Int64]
        /// `admit` results: nil = held back, n = let through after n held back.
        var expected: [Int?]
        var testDescription: String { self.label }
    }

    static let cases: [Case] = [
        Case(label: "the first passes", at: [0], expected: [0]),
        Case(label: "within the second held back", at: [0, 10, 999], expected: [0, nil, nil]),
        Case(label: "after a second passes with the count", at: [0, 10, 999, 1000], expected: [0, nil, nil, 2]),
        Case(label: "count restarts", at: [0, 500, 1000, 1500, 2100], expected: [0, nil, 1, nil, 1]),
        Case(label: "long quiet", at: [0, 60_000], expected: [0, 0]),
    ]

    @Test(arguments: Self.cases)
    func admit(_ test: Case) {
        let throttle = WarningThrottle(interval: .seconds(1))
        let start: Int64 = 5_000_000_000
        let results = test.at.map { throttle.admit(now: start + $0 * 1_000_000) }
        #expect(results == test.expected)
    }
}
