import Testing

@testable import PEPProxy

/// `limits.uncached_requests_per_turn`: how many requests of connections without a cached grant start per loop
/// turn, who waits, and in which order they start later.
@Suite struct TurnAdmissionTests {
    /// Replays `steps` ("a" = a request asks to start, "w" = it is queued after `.wait`, "t" = the turn ends and
    /// waiting ones start) and returns what happened, one token per step.
    private func run(perTurn: Int, _ steps: String, dead: Set<Int> = []) -> [String] {
        var admission = TurnAdmission<Int>(perTurn: perTurn)
        var next = 0
        var log: [String] = []
        for step in steps {
            switch step {
            case "a":
                let (verdict, schedule) = admission.admit()
                if verdict == .wait { admission.wait(next) }
                log.append("\(next):\(verdict == .start ? "start" : "wait")\(schedule ? "+timer" : "")")
                next += 1
            case "t":
                admission.turnEnded()
                var started: [String] = []
                while let element = admission.nextToStart(isLive: { !dead.contains($0) }) {
                    started.append("\(element)")
                }
                log.append("turn[\(started.joined(separator: ","))]\(admission.needsTurnEnd() ? "+timer" : "")")
            default:
                Issue.record("unknown step \(step)")
            }
        }
        return log
    }

    @Test func requestsWithinTheShareStartAndTheFirstSchedulesTheTurnEnd() {
        #expect(run(perTurn: 2, "aa") == ["0:start+timer", "1:start"])
    }

    @Test func beyondTheShareRequestsWaitAndStartOldestFirstInLaterTurns() {
        #expect(
            run(perTurn: 2, "aaaaatt")
                == ["0:start+timer", "1:start", "2:wait", "3:wait", "4:wait", "turn[2,3]+timer", "turn[4]+timer"])
    }

    @Test func anEmptyTurnSchedulesNothing() {
        // The turn that started 4 ends; nothing waits and nothing started since: no further timer.
        #expect(run(perTurn: 2, "aaatt") == ["0:start+timer", "1:start", "2:wait", "turn[2]+timer", "turn[]"])
    }

    @Test func aNewRequestDoesNotOvertakeTheQueue() {
        // After a turn in which 2 of 3 waiting ones started, the share is used: the newcomer waits behind 4.
        #expect(
            run(perTurn: 1, "aaata")
                == ["0:start+timer", "1:wait", "2:wait", "turn[1]+timer", "3:wait"])
        // With the queue empty and the share free, a newcomer starts.
        #expect(run(perTurn: 1, "aatta") == ["0:start+timer", "1:wait", "turn[1]+timer", "turn[]", "2:start+timer"])
    }

    @Test func closedConnectionsAreDroppedWithoutUsingTheShare() {
        #expect(
            run(perTurn: 1, "aaaat", dead: [1, 2])
                == ["0:start+timer", "1:wait", "2:wait", "3:wait", "turn[3]+timer"])
    }

    @Test func zeroMeansNoLimit() {
        #expect(run(perTurn: 0, "aaaa") == ["0:start", "1:start", "2:start", "3:start"])
    }

    @Test func aLongQueueKeepsItsOrderAcrossCompaction() {
        var admission = TurnAdmission<Int>(perTurn: 3)
        for index in 0..<500 {
            if admission.admit().verdict == .wait { admission.wait(index) }
        }
        var order: [Int] = []
        while admission.waitingCount > 0 {
            admission.turnEnded()
            while let element = admission.nextToStart(isLive: { _ in true }) { order.append(element) }
        }
        #expect(order == Array(3..<500))
    }
}
