import Testing

@testable import PEPProxy

/// `limits.uncached_requests_per_turn`: how many requests of connections without a cached grant start per loop
/// turn, who waits, and in which order they start later.
@Suite struct TurnAdmissionTests {
    /// Replays `steps` ("g" = a granted request starts, "a" = a counted request asks to start, "p" = a paced one
    /// (its connection's previous request needed the authorization server), each queued after `.wait`, "t" = the
    /// turn ends and waiting ones start, "." = 1 ms passes) and returns what happened ("g" and "." log nothing; a
    /// turn end scheduled after a delay logs it in microseconds).
    private func run(perTurn: Int, perSecond: Int = 0, _ steps: String, dead: Set<Int> = []) -> [String] {
        var admission = TurnAdmission<Int>(perTurn: perTurn, perSecond: perSecond)
        var next = 0
        var now: Int64 = 1_000_000_000
        var log: [String] = []
        for step in steps {
            switch step {
            case "g":
                admission.grantedStarted()
            case "a", "p":
                let paced = step == "p"
                let (verdict, schedule) = admission.admit(paced: paced, now: now)
                if verdict == .wait { admission.wait(next, paced: paced) }
                log.append("\(next):\(verdict == .start ? "start" : "wait")\(schedule ? "+timer" : "")")
                next += 1
            case "t":
                admission.turnEnded(now: now)
                var started: [String] = []
                while let element = admission.nextToStart(now: now, isLive: { !dead.contains($0) }) {
                    started.append("\(element)")
                }
                let timer = admission.needsTurnEnd(now: now).map { $0 == 0 ? "+timer" : "+timer@\($0 / 1000)us" }
                log.append("turn[\(started.joined(separator: ","))]\(timer ?? "")")
            case ".":
                now += 1_000_000
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

    // MARK: paced requests (limits.uncached_requests_per_second)

    @Test func pacedRequestsStartWhileTheBucketHoldsACreditThenOnePerCreditTime() {
        // 1 000 a second: a bucket of 50, then one a millisecond. No turn share (perTurn 0).
        var steps = "gt" + String(repeating: "p", count: 51) + "gt"
        steps += ".gt"
        let log = run(perTurn: 0, perSecond: 1000, steps)
        #expect(log[0] == "turn[]")
        #expect(log[1] == "0:start+timer")
        #expect(log[2...50].allSatisfy { $0.hasSuffix(":start") }, "\(log)")
        #expect(log[51] == "50:wait")
        // The bucket is empty: the turn end comes when it holds a credit again.
        #expect(log[52] == "turn[]+timer@1000us")
        #expect(log[53] == "turn[50]+timer")
    }

    @Test func pacedRequestsWaitInTheirOwnLineAndDoNotHoldUpFirstRequests() {
        // Credit for one (1 000 a second holds 50; 20 a second holds 1): the second paced request waits, a first
        // request after it starts, within the turn share.
        #expect(
            run(perTurn: 8, perSecond: 20, "gtppa")
                == ["turn[]", "0:start+timer", "1:wait", "2:start"])
        // At the turn end the paced one still waits: 50 ms to the next credit.
        #expect(
            run(perTurn: 8, perSecond: 20, "gtppgt")
                == ["turn[]", "0:start+timer", "1:wait", "turn[]+timer@50000us"])
    }

    @Test func pacedRequestsWaitOldestFirstAndANewOneDoesNotOvertake() {
        let fiftyMilliseconds = String(repeating: ".", count: 50)
        let log = run(perTurn: 0, perSecond: 20, "gtpppgt" + fiftyMilliseconds + "pgt" + fiftyMilliseconds + "gt")
        #expect(
            log == [
                "turn[]", "0:start+timer", "1:wait", "2:wait", "turn[]+timer@50000us", "3:wait", "turn[1]+timer",
                "turn[2]+timer",
            ])
    }

    @Test func withoutGrantedTrafficPacedRequestsStartAndDoNotSpendCredit() {
        // No granted request: nothing is paced.
        #expect(run(perTurn: 0, perSecond: 20, "pppp") == ["0:start+timer", "1:start", "2:start", "3:start"])
        // Granted traffic stops: 100 ms after the last turn end that followed granted requests, the pace no longer
        // applies and every waiting one starts (at 1 a second, the bucket alone would take 2 s). The turn end
        // waits for the earlier of the next credit and the window's end.
        let oneHundredMilliseconds = String(repeating: ".", count: 100)
        #expect(
            run(perTurn: 0, perSecond: 1, "gtpppgt" + oneHundredMilliseconds.dropLast() + "t.t")
                == [
                    "turn[]", "0:start+timer", "1:wait", "2:wait", "turn[]+timer@100000us", "turn[]+timer@1000us",
                    "turn[1,2]+timer",
                ])
        // Turn ends in quick succession do not lift it: the pace measures competition in time.
        #expect(
            run(perTurn: 0, perSecond: 1, "gtpppgtttt")
                == [
                    "turn[]", "0:start+timer", "1:wait", "2:wait", "turn[]+timer@100000us", "turn[]+timer@100000us",
                    "turn[]+timer@100000us", "turn[]+timer@100000us",
                ])
    }

    @Test func zeroPerSecondMeansNotPaced() {
        #expect(run(perTurn: 0, perSecond: 0, "gtpppp") == ["turn[]", "0:start", "1:start", "2:start", "3:start"])
        // With a turn share, a paced request is counted like any other.
        #expect(run(perTurn: 2, perSecond: 0, "gtppp") == ["turn[]", "0:start+timer", "1:start", "2:wait"])
    }

    @Test func closedPacedConnectionsAreDroppedWithoutSpendingCredit() {
        #expect(
            run(perTurn: 0, perSecond: 20, "gtppp" + String(repeating: ".", count: 50) + "gt", dead: [1])
                == ["turn[]", "0:start+timer", "1:wait", "2:wait", "turn[2]+timer"])
    }

    @Test func theBucketFillsWithTimeUpToItsBurst() {
        // 1 000 a second holds 50: after a second idle, 50 start, not 1 000.
        var steps = "gt" + String(repeating: "p", count: 60)
        steps += String(repeating: ".", count: 1000) + "gt"
        let log = run(perTurn: 0, perSecond: 1000, steps)
        let turn = log.last ?? ""
        #expect(turn.hasPrefix("turn[50,51,"), "\(turn)")
        #expect(turn.split(separator: ",").count == 10, "\(turn)")
    }

    @Test func aRequestWaitingOnlyForTheTurnShareBringsADelayedTurnEndForward() {
        // The turn end waits 50 ms for a credit; the second first request over the share of 1 asks for a turn end
        // on the next loop turn instead of waiting for the credit's.
        #expect(
            run(perTurn: 1, perSecond: 20, "gtppgtaa")
                == ["turn[]", "0:start+timer", "1:wait", "turn[]+timer@50000us", "2:start", "3:wait+timer"])
    }
}
