import Foundation
import PEPCore
import PEPMetrics
import PEPProxy
import Synchronization

/// One worker's cache of finished grant decisions, in front of the process-wide introspection, decision and
/// header caches: for a kept-alive client sending the same RPT, the whole enforcement step (bearer parsing, two
/// or three striped-lock lookups, the state machine, the decision's header mutations) becomes one hash of the
/// `Authorization` value, one slot comparison and a copy of the stored decision.
///
/// Only grants decided synchronously from the process-wide caches are stored, with the earliest expiry of the
/// cache entries the decision read (so an entry lives no longer than the grant it repeats: the token's and the
/// permissions' `exp`, `cache.max_ttl`). Direct-mapped: a colliding request replaces the slot. A hit compares
/// the whole `Authorization` value, the service, rule, condition and method. The cache belongs to one
/// configuration generation (a reload builds a new driver, so a new cache); ``EnforcementDriver/flushWorkerCaches()``
/// empties every worker's at once (an epoch checked on each hit).
///
/// Thread rules: one worker thread reads and writes it; the hit counters are read by the metrics scrape.
final class WorkerGrantCache: @unchecked Sendable {
    /// A class, so a hit hands back one reference instead of copying the decision's strings and arrays.
    final class Entry {
        /// The `Authorization` value's bytes (compared whole on a hit).
        let authorization: [UInt8]
        let service: Int
        let rule: Int
        let condition: Int
        let method: String
        let expiresAt: Int64
        let epoch: Int
        let decision: AuthorizationDecision
        /// The gluu metrics facts of the grant (Part B §7), recorded again on every hit: the consumer labels
        /// resolved when the entry was stored (`nil` without metrics, or when no client was authenticated).
        let authenticatedConsumer: MetricsConsumerID?
        let grantedConsumer: MetricsConsumerID?
        /// Whether the decision read the decision cache (oxd mode), for its hit count.
        let readDecisionCache: Bool

        init(
            authorization: [UInt8], service: Int, rule: Int, condition: Int, method: String, expiresAt: Int64,
            epoch: Int, decision: AuthorizationDecision, authenticatedConsumer: MetricsConsumerID?,
            grantedConsumer: MetricsConsumerID?, readDecisionCache: Bool
        ) {
            self.authorization = authorization
            self.service = service
            self.rule = rule
            self.condition = condition
            self.method = method
            self.expiresAt = expiresAt
            self.epoch = epoch
            self.decision = decision
            self.authenticatedConsumer = authenticatedConsumer
            self.grantedConsumer = grantedConsumer
            self.readDecisionCache = readDecisionCache
        }
    }

    /// Slots per worker (a power of two). A slot is one reference (the entries are objects): 128 KiB per worker
    /// empty. Tried at 65 536 (session 6): many-tokens (10 000 tokens) did not get measurably faster, and the
    /// entries of 65 536 filled slots added 11.6 MiB of peak RSS with 100 000 tokens.
    static let capacity = 16_384
    private var slots: [Entry?]
    /// Hits served here, per process-wide cache they stand for (read by the metrics scrape).
    let introspectionHits = Atomic<Int>(0)
    let decisionHits = Atomic<Int>(0)

    init() {
        self.slots = Array(repeating: nil, count: Self.capacity)
    }

    /// FNV-1a over the `Authorization` bytes, mixed with the rule position.
    @inline(__always)
    static func slot(authorization: UnsafeRawBufferPointer, service: Int, rule: Int, condition: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in authorization {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        hash ^= UInt64(truncatingIfNeeded: service &<< 40 ^ rule &<< 20 ^ condition)
        hash = (hash ^ (hash >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: hash >> 32) & (Self.capacity - 1)
    }

    /// The live entry for the request, if any.
    @inline(__always)
    func lookup(
        slot: Int, authorization: UnsafeRawBufferPointer, service: Int, rule: Int, condition: Int, method: String,
        now: Int64,
        epoch: Int
    ) -> Entry? {
        guard let entry = self.slots[slot] else { return nil }
        guard entry.expiresAt > now, entry.epoch == epoch, entry.service == service, entry.rule == rule,
            entry.condition == condition, Self.sameBytes(entry.method, method),
            Self.sameBytes(entry.authorization, authorization)
        else { return nil }
        self.introspectionHits.store(self.introspectionHits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        if entry.readDecisionCache {
            self.decisionHits.store(self.decisionHits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
        return entry
    }

    /// Byte equality. `String ==` compares canonical equivalence (U+212A KELVIN SIGN equals `K`): a token that
    /// only looks the same must never be served the grant of the one that was introspected.
    @inline(__always)
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let compared = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
            }
        }
        if let compared, let result = compared { return result }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// Byte equality of a stored value and a request's bytes.
    @inline(__always)
    static func sameBytes(_ stored: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        stored.withUnsafeBytes { kept in
            kept.count == bytes.count
                && (kept.isEmpty || memcmp(kept.baseAddress!, bytes.baseAddress!, kept.count) == 0)
        }
    }

    func store(_ entry: Entry, slot: Int) {
        self.slots[slot] = entry
    }

    // MARK: rule matches

    /// A request's rule as the service's `RuleResolver` resolved it (`nil`: no rule), for its service, method and
    /// canonical path: the matcher's answer depends on nothing else, and a kept-alive client repeats its paths.
    final class MatchEntry {
        let service: Int
        let method: String
        let path: String
        let match: RuleMatch?

        init(service: Int, method: String, path: String, match: RuleMatch?) {
            self.service = service
            self.method = method
            self.path = path
            self.match = match
        }
    }

    /// Slots of the match cache (a power of two; direct-mapped, a colliding request replaces the slot).
    static let matchCapacity = 512
    private var matchSlots: [MatchEntry?] = Array(repeating: nil, count: WorkerGrantCache.matchCapacity)

    /// FNV-1a over the path's and the method's bytes, mixed with the service.
    @inline(__always)
    static func matchSlot(service: Int, method: String, path: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for byte in method.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash ^= UInt64(truncatingIfNeeded: service)
        hash = (hash ^ (hash >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return Int(truncatingIfNeeded: hash >> 32) & (Self.matchCapacity - 1)
    }

    /// The kept resolution of the request in `slot` (`.some(nil)`: no rule), or `nil` when none is kept. Method
    /// and path are compared as bytes (``sameBytes(_:_:)``: two paths that are only canonically equivalent are
    /// different paths to the matcher).
    @inline(__always)
    func match(slot: Int, service: Int, method: String, path: String) -> RuleMatch?? {
        guard let entry = self.matchSlots[slot], entry.service == service, Self.sameBytes(entry.method, method),
            Self.sameBytes(entry.path, path)
        else { return nil }
        return .some(entry.match)
    }

    func storeMatch(_ match: RuleMatch?, slot: Int, service: Int, method: String, path: String) {
        self.matchSlots[slot] = MatchEntry(service: service, method: method, path: path, match: match)
    }
}
