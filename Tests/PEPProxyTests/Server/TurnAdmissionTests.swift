import Testing

@testable import PEPProxy

/// `limits.uncached_requests_per_turn`: how many requests of connections without a cached grant start per loop
/// turn, who waits, and in which order they start later.
@Suite struct TurnAdmissionTests {
    /// Replays `steps` ("g" = a granted request starts, "a" = a counted request asks to start, queued after
    /// `.wait`, "t" = the turn ends and waiting ones start) and returns what happened ("g" steps log nothing).
    private func run(perTurn: Int, _ steps: String, dead: Set<Int> = []) -> [String] {
        var admission = TurnAdmission<Int>(perTurn: perTurn)
        var next = 0
        var log: [String] = []
        for step in steps {
            switch step {
            case "g":
                admission.grantedStarted()
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

    @Test func withGrantedTrafficRequestsWithinTheShareStartAndTheFirstSchedulesTheTurnEnd() {
        #expect(run(perTurn: 2, "gtaa") == ["turn[]", "0:start+timer", "1:start"])
    }

    @Test func beyondTheShareRequestsWaitAndStartOldestFirstInLaterTurns() {
        #expect(
            run(perTurn: 2, "gtaaaaagtgt")
                == [
                    "turn[]", "0:start+timer", "1:start", "2:wait", "3:wait", "4:wait", "turn[2,3]+timer",
                    "turn[4]+timer",
                ])
    }

    @Test func withoutGrantedTrafficNothingWaits() {
        // No granted request yet: every request starts.
        #expect(run(perTurn: 2, "aaaa") == ["0:start+timer", "1:start", "2:start", "3:start"])
        // A turn without granted requests lifts the share: everything waiting starts.
        #expect(
            run(perTurn: 2, "gtaaaat")
                == ["turn[]", "0:start+timer", "1:start", "2:wait", "3:wait", "turn[2,3]+timer"])
    }

    @Test func theShareAppliesFromTheFirstTurnOfAFlood() {
        // A granted client's first request is counted (it schedules a turn end); its later, granted ones schedule
        // none. A flood that arrives then is shared from its first turn, not only after the next turn end.
        #expect(
            run(perTurn: 2, "atgaaaa") == ["0:start+timer", "turn[]", "1:start+timer", "2:start", "3:wait", "4:wait"])
    }

    @Test func anEmptyTurnSchedulesNothing() {
        #expect(
            run(perTurn: 2, "gtaaagtgt")
                == ["turn[]", "0:start+timer", "1:start", "2:wait", "turn[2]+timer", "turn[]"])
    }

    @Test func aNewRequestDoesNotOvertakeTheQueue() {
        // After a turn in which 1 of 2 waiting ones started, the share is used: the newcomer waits behind 2.
        #expect(
            run(perTurn: 1, "gtaaagta") == ["turn[]", "0:start+timer", "1:wait", "2:wait", "turn[1]+timer", "3:wait"])
        // With the queue empty and the share free, a newcomer starts.
        #expect(
            run(perTurn: 1, "gtaagtgta")
                == ["turn[]", "0:start+timer", "1:wait", "turn[1]+timer", "turn[]", "2:start+timer"])
    }

    @Test func closedConnectionsAreDroppedWithoutUsingTheShare() {
        #expect(
            run(perTurn: 1, "gtaaaagt", dead: [1, 2])
                == ["turn[]", "0:start+timer", "1:wait", "2:wait", "3:wait", "turn[3]+timer"])
    }

    @Test func zeroMeansNoLimit() {
        #expect(run(perTurn: 0, "gtaaaa") == ["turn[]", "0:start", "1:start", "2:start", "3:start"])
    }

    @Test func aLongQueueKeepsItsOrderAcrossCompaction() {
        var admission = TurnAdmission<Int>(perTurn: 3)
        admission.grantedStarted()
        admission.turnEnded()
        for index in 0..<500 {
            if admission.admit().verdict == .wait { admission.wait(index) }
        }
        var order: [Int] = []
        while admission.waitingCount > 0 {
            admission.grantedStarted()
            admission.turnEnded()
            while let element = admission.nextToStart(isLive: { _ in true }) { order.append(element) }
        }
        #expect(order == Array(3..<500))
    }
}
