/// Which requests of connections without a cached grant a worker starts in this event-loop turn, and which wait
/// (first in, first out) for a later turn: `limits.uncached_requests_per_turn` (docs/configuration.md; issue 14,
/// "a flood of tokens the caches cannot hold must not take the worker from granted clients").
///
/// A kept-alive connection whose last request was granted from the caches skips this; every other request
/// (a connection's first, one after a refusal, one that needed the authorization server) is counted. The share
/// applies while granted traffic competes: when granted requests started since the previous turn end, at most
/// `perTurn` counted requests start per turn and the rest wait; when the turn ends, at most `perTurn` waiting ones
/// start, oldest first. In turns without granted traffic nothing waits (a worker serving only new connections,
/// e.g. clients without keep-alive, pays nothing). A request never waits for more than the turns its queue
/// position needs: the share is bounded both ways, nothing starves.
///
/// Pure (no I/O, no clock): the worker performs what it returns (pause or resume reading, a zero-delay timer for
/// the turn's end). Table-tested in `TurnAdmissionTests`.
struct TurnAdmission<Waiting> {
    /// Requests started per turn; `0` = no limit (every request starts at once).
    let perTurn: Int
    /// Requests started in the current turn.
    private var started = 0
    /// Whether the shell has scheduled the current turn's end.
    private var turnEndScheduled = false
    /// Granted requests started since the last turn end.
    private var grantedSinceTurnEnd = false
    /// Granted requests started between the two last turn ends.
    private var grantedBeforeTurnEnd = false
    private var queue: [Waiting] = []
    private var queueHead = 0

    /// What to do with a request that wants to start.
    enum Verdict: Equatable {
        /// Start it now.
        case start
        /// Hand it to `wait(_:)`: the turn's share is used.
        case wait
    }

    init(perTurn: Int) {
        self.perTurn = max(0, perTurn)
        self.queue.reserveCapacity(16)
    }

    /// Waiting requests, in order.
    var waitingCount: Int { self.queue.count - self.queueHead }

    /// A request of a connection without a cached grant wants to start.
    ///
    /// - Returns: the verdict, and whether the shell must now schedule the turn's end (`turnEnded()` on the
    ///   next loop turn): true for the first counted request of a turn.
    mutating func admit() -> (verdict: Verdict, scheduleTurnEnd: Bool) {
        guard self.perTurn > 0 else { return (.start, false) }
        let schedule = !self.turnEndScheduled
        self.turnEndScheduled = true
        // Waiting ones go first: a new request may not overtake the queue.
        if (!self.shareApplies || self.started < self.perTurn) && self.waitingCount == 0 {
            self.started += 1
            return (.start, schedule)
        }
        return (.wait, schedule)
    }

    /// Queues a request that got `.wait`.
    mutating func wait(_ element: Waiting) {
        self.queue.append(element)
    }

    /// A request of a connection that holds a cached grant started (it is not counted, but it makes the share
    /// apply from now on, until a turn ends with none started since the previous turn end).
    mutating func grantedStarted() {
        self.grantedSinceTurnEnd = true
    }

    /// The turn ended (the shell's zero-delay timer fired): the count starts again; the share keeps applying in
    /// the next turn when granted requests started since the previous turn end.
    mutating func turnEnded() {
        self.started = 0
        self.turnEndScheduled = false
        self.grantedBeforeTurnEnd = self.grantedSinceTurnEnd
        self.grantedSinceTurnEnd = false
    }

    /// Granted traffic competes: granted requests started since the last turn end, or between the two before.
    /// The turn end is scheduled by counted requests only (a granted one costs no timer), so the window since
    /// the last one may be long: it still counts, or the first turn of a flood would start every request in it.
    private var shareApplies: Bool { self.grantedSinceTurnEnd || self.grantedBeforeTurnEnd }

    /// The next waiting request that starts in this turn, or `nil` when the turn's share is used or none waits.
    /// Elements for which `isLive` is false (a connection closed while it waited) are dropped without counting.
    mutating func nextToStart(isLive: (Waiting) -> Bool) -> Waiting? {
        while self.waitingCount > 0 {
            guard !self.shareApplies || self.started < self.perTurn else { return nil }
            let element = self.queue[self.queueHead]
            self.queueHead += 1
            self.compactIfWorthIt()
            if isLive(element) {
                self.started += 1
                return element
            }
        }
        return nil
    }

    /// After `nextToStart` returned `nil`: whether a turn end must be scheduled (requests started in this turn
    /// or still waiting), and marks it scheduled.
    mutating func needsTurnEnd() -> Bool {
        guard !self.turnEndScheduled, self.started > 0 || self.waitingCount > 0 else { return false }
        self.turnEndScheduled = true
        return true
    }

    private mutating func compactIfWorthIt() {
        if self.queueHead == self.queue.count {
            self.queue.removeAll(keepingCapacity: true)
            self.queueHead = 0
        } else if self.queueHead >= 64 && self.queueHead * 2 >= self.queue.count {
            self.queue.removeFirst(self.queueHead)
            self.queueHead = 0
        }
    }
}
