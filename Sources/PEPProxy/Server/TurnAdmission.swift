/// Which requests of connections without a cached grant a worker starts now, and which wait (first in, first out)
/// for a later turn: `limits.uncached_requests_per_turn` and `limits.uncached_requests_per_second`
/// (docs/configuration.md; issue 14, "a flood of tokens the caches cannot hold must not take the worker from
/// granted clients").
///
/// A kept-alive connection whose last request was granted from the caches skips this; every other request
/// (a connection's first, one after a refusal, one that needed the authorization server) is counted. The share
/// applies while granted traffic competes: when granted requests started since the previous turn end, at most
/// `perTurn` counted requests start per turn and the rest wait; when the turn ends, at most `perTurn` waiting ones
/// start, oldest first. In turns without granted traffic nothing waits (a worker serving only new connections,
/// e.g. clients without keep-alive, pays nothing). A request never waits for more than the turns its queue
/// position needs: the share is bounded both ways, nothing starves.
///
/// **Paced requests** (`perSecond` > 0): a request of a kept-alive connection whose previous two requests were
/// refused (the shell decides; a legitimate client is refused at most once before it is granted) also needs a
/// credit of a token bucket that fills at `perSecond` a second (holding at most a twentieth of a second's worth,
/// and at least one), while granted traffic competes (granted requests started since the last turn end, or at
/// most ``pacingWindow`` before it: turn ends come at any pace, so the pace's idea of competition is measured in
/// time, not in turns). Turns are short (a few events each), so a turn share alone still lets a closed-loop flood
/// through at the rate the worker can answer it; the bucket bounds that rate in time: a flooding connection's next
/// request waits, costing the worker nothing, until a credit is free. A connection's first request is never paced
/// (a client that opens a connection per request, with a cached grant, pays only the turn share), and paced
/// requests wait in their own line, so they never hold up first requests.
///
/// Pure (no I/O; the clock is passed in, in nanoseconds of any monotonic clock, and only paced requests read it):
/// the worker performs what it returns (queue a connection or let it start, a timer for the turn's end).
/// Table-tested in `TurnAdmissionTests`.
struct TurnAdmission<Waiting> {
    /// Requests started per turn; `0` = no limit per turn.
    let perTurn: Int
    /// Paced requests started per second while granted traffic competes; `0` = not paced.
    let perSecond: Int
    /// Requests started in the current turn.
    private var started = 0
    /// Whether the shell has scheduled the current turn's end, and whether after a delay (waiting for a credit).
    private var turnEndScheduled = false
    private var turnEndDelayed = false
    /// Granted requests started since the last turn end.
    private var grantedSinceTurnEnd = false
    /// Granted requests started between the two last turn ends.
    private var grantedBeforeTurnEnd = false
    /// The last turn end that followed granted requests (nanoseconds), for the pace.
    private var grantedAt: Int64?
    /// How long after the last granted request the pace still applies: 100 ms.
    static var pacingWindow: Int64 { 100_000_000 }
    private var queue = Line<Waiting>()
    private var paced = Line<Waiting>()
    /// The bucket's credits (requests), and when it was last filled (nanoseconds; `nil`: never, full).
    private var credit: Double
    private var filledAt: Int64?
    private let burst: Double

    /// What to do with a request that wants to start.
    enum Verdict: Equatable {
        /// Start it now.
        case start
        /// Hand it to `wait(_:paced:)`: the turn's share (or the pace's credit) is used.
        case wait
    }

    init(perTurn: Int, perSecond: Int = 0) {
        self.perTurn = max(0, perTurn)
        self.perSecond = max(0, perSecond)
        self.burst = max(1, Double(self.perSecond) / 20)
        self.credit = self.burst
    }

    /// Waiting requests, in both lines.
    var waitingCount: Int { self.queue.count + self.paced.count }

    /// A request of a connection without a cached grant wants to start; `paced`: its connection's previous two
    /// requests were refused (`now` is read only then).
    ///
    /// - Returns: the verdict, and whether the shell must now schedule the turn's end (`turnEnded()` on the
    ///   next loop turn): true for the first counted request of a turn, and for a request that waits only for the
    ///   turn share while the turn end waits for a credit (it is brought forward).
    mutating func admit(paced: Bool = false, now: Int64 = 0) -> (verdict: Verdict, scheduleTurnEnd: Bool) {
        let isPaced = paced && self.perSecond > 0
        guard self.perTurn > 0 || isPaced else { return (.start, false) }
        let schedule = !self.turnEndScheduled
        self.turnEndScheduled = true
        // Waiting ones go first: a new request may not overtake its line.
        let waiting = isPaced ? self.paced.count : self.queue.count
        if waiting == 0, self.turnAllows, !isPaced || self.takeCredit(now: now) {
            self.started += 1
            return (.start, schedule)
        }
        if !isPaced, self.turnEndDelayed {
            // The turn end waits for a credit; a request that waits only for the turn share must not: the shell
            // brings it forward to the next loop turn.
            self.turnEndDelayed = false
            return (.wait, true)
        }
        return (.wait, schedule)
    }

    /// Queues a request that got `.wait` (`paced` as it was asked with).
    mutating func wait(_ element: Waiting, paced: Bool = false) {
        if paced && self.perSecond > 0 {
            self.paced.append(element)
        } else {
            self.queue.append(element)
        }
    }

    /// A request of a connection that holds a cached grant started (it is not counted, but it makes the share
    /// apply from now on, until a turn ends with none started since the previous turn end).
    mutating func grantedStarted() {
        self.grantedSinceTurnEnd = true
    }

    /// The turn ended (the shell's timer fired, at `now`): the count starts again; the share keeps applying in the
    /// next turn when granted requests started since the previous turn end.
    mutating func turnEnded(now: Int64 = 0) {
        if self.grantedSinceTurnEnd { self.grantedAt = now }
        self.started = 0
        self.turnEndScheduled = false
        self.turnEndDelayed = false
        self.grantedBeforeTurnEnd = self.grantedSinceTurnEnd
        self.grantedSinceTurnEnd = false
    }

    /// Granted traffic competes: granted requests started since the last turn end, or between the two before.
    /// The turn end is scheduled by counted requests only (a granted one costs no timer), so the window since
    /// the last one may be long: it still counts, or the first turn of a flood would start every request in it.
    private var shareApplies: Bool { self.grantedSinceTurnEnd || self.grantedBeforeTurnEnd }

    /// The turn's share allows one more start.
    private var turnAllows: Bool { self.perTurn == 0 || !self.shareApplies || self.started < self.perTurn }

    /// The pace applies: granted requests started since the last turn end, or within ``pacingWindow`` before it.
    private func paceApplies(now: Int64) -> Bool {
        if self.grantedSinceTurnEnd { return true }
        guard let grantedAt = self.grantedAt else { return false }
        return now &- grantedAt < Self.pacingWindow
    }

    /// Takes one credit of the bucket, if there is one (always, while the pace does not apply).
    private mutating func takeCredit(now: Int64) -> Bool {
        guard self.paceApplies(now: now) else { return true }
        self.fill(now: now)
        guard self.credit >= 1 else { return false }
        self.credit -= 1
        return true
    }

    private mutating func fill(now: Int64) {
        if let filledAt = self.filledAt, now > filledAt {
            self.credit = min(self.burst, self.credit + Double(now - filledAt) * Double(self.perSecond) / 1e9)
        }
        self.filledAt = now
    }

    /// The next waiting request that starts in this turn, or `nil` when the turn's share (or the pace) is used or
    /// none waits: first requests before paced ones. Elements for which `isLive` is false (a connection closed
    /// while it waited) are dropped without counting.
    mutating func nextToStart(now: Int64 = 0, isLive: (Waiting) -> Bool) -> Waiting? {
        while self.queue.count > 0 {
            guard self.turnAllows else { return nil }
            let element = self.queue.removeFirst()
            if isLive(element) {
                self.started += 1
                return element
            }
        }
        while self.paced.count > 0 {
            guard self.turnAllows else { return nil }
            guard isLive(self.paced.first) else {
                _ = self.paced.removeFirst()
                continue
            }
            guard self.takeCredit(now: now) else { return nil }
            self.started += 1
            return self.paced.removeFirst()
        }
        return nil
    }

    /// After `nextToStart` returned `nil`: the delay (nanoseconds) after which the shell must end the turn
    /// (`0`: on the next loop turn), or `nil` when no turn end is needed (nothing started in this turn, none
    /// waits) or one is already scheduled. Only paced requests waiting for a credit make it more than `0`: the
    /// time until the bucket holds one, or until the pace stops applying (``pacingWindow`` after the last granted
    /// request), whichever comes first.
    mutating func needsTurnEnd(now: Int64 = 0) -> Int64? {
        guard !self.turnEndScheduled, self.started > 0 || self.waitingCount > 0 else { return nil }
        self.turnEndScheduled = true
        guard self.started == 0, self.queue.count == 0, self.paced.count > 0, self.paceApplies(now: now) else {
            return 0
        }
        self.fill(now: now)
        guard self.credit < 1 else { return 0 }
        var delay = Int64(((1 - self.credit) * 1e9 / Double(self.perSecond)).rounded(.up))
        if !self.grantedSinceTurnEnd, let grantedAt = self.grantedAt {
            delay = min(delay, max(1, grantedAt &+ Self.pacingWindow &- now))
        }
        self.turnEndDelayed = true
        return delay
    }
}

/// A first-in, first-out line that reuses its storage (``TurnAdmission``'s two lines).
private struct Line<Element> {
    private var elements: [Element] = []
    private var head = 0

    var count: Int { self.elements.count - self.head }

    /// The oldest element (the line must not be empty).
    var first: Element { self.elements[self.head] }

    mutating func append(_ element: Element) {
        if self.elements.capacity == 0 { self.elements.reserveCapacity(16) }
        self.elements.append(element)
    }

    /// Takes the oldest element (the line must not be empty).
    mutating func removeFirst() -> Element {
        let element = self.elements[self.head]
        self.head += 1
        if self.head == self.elements.count {
            self.elements.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head >= 64 && self.head * 2 >= self.elements.count {
            self.elements.removeFirst(self.head)
            self.head = 0
        }
        return element
    }
}
