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

    /// Slots per worker (a power of two). A slot is one reference (the entries are objects) and a 4-byte tag:
    /// 192 KiB per worker empty. Tried at 65 536 (session 6): many-tokens (10 000 tokens) did not get measurably
    /// faster, and the entries of 65 536 filled slots added 11.6 MiB of peak RSS with 100 000 tokens.
    static let capacity = 16_384
    /// Slots per set. A request's entry may sit in any slot of its set, so up to eight requests whose keys meet in
    /// one set are all kept. Direct-mapped (one slot per key), 10 000 tokens left 46 % of them without a slot of
    /// their own (two colliding tokens evict each other on every turn of a round-robin load); four ways would
    /// leave about 6 %, eight about 2 % (`WorkerGrantCacheTests.tenThousandTokensMostlyKept`).
    static let ways = 8
    private var slots: [Entry?]
    /// Each slot's tag (bits of its key, never 0; 0: empty), compared before the slot's entry is loaded: a set's
    /// eight tags are 32 bytes of one cache line, so a miss touches no entry.
    private var tags: [UInt32]
    /// Hits served here, per process-wide cache they stand for (read by the metrics scrape).
    let introspectionHits = Atomic<Int>(0)
    let decisionHits = Atomic<Int>(0)

    init() {
        self.slots = Array(repeating: nil, count: Self.capacity)
        self.tags = Array(repeating: 0, count: Self.capacity)
    }

    /// A request's key: the `Authorization` bytes hashed eight at a time from a per-process random seed (so a
    /// client cannot aim tokens at one set), mixed with the rule position. Its high bits choose the set
    /// (``set(of:)``), its low bits are the tag. About 40 instructions for a 50-byte value (byte-wise FNV-1a took
    /// about 200); a collision costs only a miss, as the entry compares the bytes.
    @inline(__always)
    static func key(authorization: UnsafeRawBufferPointer, service: Int, rule: Int, condition: Int) -> UInt64 {
        var hash = Self.seed ^ UInt64(truncatingIfNeeded: authorization.count)
        let count = authorization.count
        if count >= 8, let base = authorization.baseAddress {
            var offset = 0
            while offset + 8 <= count {
                hash = Self.mix(hash, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            // The last 8 bytes, overlapping the words already mixed when the count is not a multiple of 8.
            if offset < count { hash = Self.mix(hash, base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) }
        } else {
            var word: UInt64 = 0
            for byte in authorization { word = word << 8 | UInt64(byte) }
            hash = Self.mix(hash, word)
        }
        hash ^= UInt64(truncatingIfNeeded: service &<< 40 ^ rule &<< 20 ^ condition)
        return (hash ^ (hash >> 29)) &* 0xbf58_476d_1ce4_e5b9
    }

    /// Drawn once per process.
    static let seed = UInt64.random(in: .min ... .max)

    @inline(__always)
    private static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let product = (hash ^ word) &* 0x9e37_79b9_7f4a_7c15
        return product ^ (product >> 32)
    }

    /// The first slot of the key's set.
    @inline(__always)
    static func set(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: key >> 32) & (Self.capacity - 1) & ~(Self.ways - 1)
    }

    /// The key's tag: its low 32 bits with the lowest set (so never 0, the empty slot's tag).
    @inline(__always)
    static func tag(of key: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: key) | 1
    }

    /// The live entry for the request, if any.
    @inline(__always)
    func lookup(
        key: UInt64, authorization: UnsafeRawBufferPointer, service: Int, rule: Int, condition: Int, method: String,
        now: Int64,
        epoch: Int
    ) -> Entry? {
        let base = Self.set(of: key)
        let tag = Self.tag(of: key)
        for slot in base..<(base + Self.ways) where self.tags[slot] == tag {
            guard let entry = self.slots[slot], entry.expiresAt > now, entry.epoch == epoch, entry.service == service,
                entry.rule == rule, entry.condition == condition, Self.sameBytes(entry.method, method),
                Self.sameBytes(entry.authorization, authorization)
            else { continue }
            self.introspectionHits.store(self.introspectionHits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            if entry.readDecisionCache {
                self.decisionHits.store(self.decisionHits.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            }
            return entry
        }
        return nil
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

    /// Keeps `entry` in its key's set: in place of an older entry for the same request (expired, or from before
    /// a flush), else in the first empty slot, else last, the others moving up one and the first (the oldest)
    /// dropped.
    func store(_ entry: Entry, key: UInt64) {
        let base = Self.set(of: key)
        let tag = Self.tag(of: key)
        var empty: Int?
        for slot in base..<(base + Self.ways) {
            if self.tags[slot] == tag, let kept = self.slots[slot], Self.sameRequest(kept, entry) {
                self.slots[slot] = entry
                return
            }
            if empty == nil, self.slots[slot] == nil { empty = slot }
        }
        if let empty {
            self.slots[empty] = entry
            self.tags[empty] = tag
            return
        }
        // Slots fill from the set's first: the oldest entry is first, the newest last.
        for slot in base..<(base + Self.ways - 1) {
            self.slots[slot] = self.slots[slot + 1]
            self.tags[slot] = self.tags[slot + 1]
        }
        self.slots[base + Self.ways - 1] = entry
        self.tags[base + Self.ways - 1] = tag
    }

    /// The same request position and `Authorization` bytes.
    private static func sameRequest(_ a: Entry, _ b: Entry) -> Bool {
        a.service == b.service && a.rule == b.rule && a.condition == b.condition && Self.sameBytes(a.method, b.method)
            && a.authorization == b.authorization
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
