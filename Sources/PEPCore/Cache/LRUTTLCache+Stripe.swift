// Storage of one stripe: a slot array, an open-addressing index over it and two intrusive lists.
// Everything here runs under the stripe's lock; nothing here allocates once the slot array has reached the
// stripe's capacity (waiter arrays aside).

extension LRUTTLCache {
    /// What a slot holds.
    @usableFromInline
    enum SlotKind: UInt8 {
        /// On the free list.
        case free
        /// A cached value, on the value (LRU) list; `time` is its expiry.
        case value
        /// An in-flight marker, on the pending list; `time` is when its leader started.
        case pending
    }

    /// One entry. Slots are reused through a free list, so a stored entry costs no allocation of its own.
    ///
    /// The fields are ordered so that the words come before the value (a generic struct is laid out in
    /// declaration order), the slot keeps the low 32 bits of the key's hash (all the index uses), and the
    /// waiters of an in-flight marker live in the stripe's `waiting` table: an introspection slot is 128 bytes, a
    /// decision slot 96 (docs/benchmarks.md, "Memory with 100 000 tokens").
    @usableFromInline
    struct Slot {
        @usableFromInline var key: Key?
        @usableFromInline var time: Int64
        @usableFromInline var previous: Int32
        @usableFromInline var next: Int32
        /// The low 32 bits of the key's `hashValue`.
        @usableFromInline var hash: UInt32
        @usableFromInline var kind: SlotKind
        @usableFromInline var value: Value?

        @inlinable
        init() {
            self.key = nil
            self.value = nil
            self.hash = 0
            self.time = 0
            self.previous = Stripe.noSlot
            self.next = Stripe.noSlot
            self.kind = .free
        }
    }

    /// One lock's worth of cache.
    ///
    /// - `slots` grows to `capacity` (doubling, the last step to exactly `capacity`) and is then recycled
    ///   through the free list.
    /// - `buckets` is a linear-probing index (slot number or `noSlot`) with at least twice as many buckets as
    ///   slots, so a probe always ends at an empty bucket; removal shifts entries back (no tombstones). It grows
    ///   with `slots` (doubling, rehashed from the stored hashes), so an empty cache costs a few hundred bytes
    ///   per stripe whatever `cache.max_entries` is.
    /// - Values form a doubly linked LRU list (`valueHead` most recent, `valueTail` least recent); in-flight
    ///   markers form a list in start order (`pendingHead` oldest) so stale ones are found without a scan of
    ///   the values.
    @usableFromInline
    struct Stripe {
        @inlinable static var noSlot: Int32 { -1 }

        @usableFromInline var slots: [Slot]
        @usableFromInline var buckets: [Int32]
        @usableFromInline var bucketMask: Int
        @usableFromInline let capacity: Int
        @usableFromInline let pendingTimeout: Int64
        @usableFromInline let maxWaitersPerKey: Int
        @usableFromInline var freeHead: Int32 = Stripe.noSlot
        @usableFromInline var valueHead: Int32 = Stripe.noSlot
        @usableFromInline var valueTail: Int32 = Stripe.noSlot
        @usableFromInline var pendingHead: Int32 = Stripe.noSlot
        @usableFromInline var pendingTail: Int32 = Stripe.noSlot
        @usableFromInline var stats = CacheStatistics()
        /// The waiters of in-flight markers that have any, by slot (few at a time: only markers with joiners).
        @usableFromInline var waiting: [Int32: [Waiter]] = [:]

        /// Slots reserved (and twice as many buckets) before the first entry.
        @inlinable static var initialSlots: Int { 64 }

        init(capacity: Int, pendingTimeout: Int64, maxWaitersPerKey: Int) {
            let bucketCount = Stripe.bucketCount(forSlots: min(capacity, Stripe.initialSlots))
            self.capacity = capacity
            self.bucketMask = bucketCount - 1
            self.buckets = Array(repeating: Stripe.noSlot, count: bucketCount)
            self.slots = []
            self.slots.reserveCapacity(min(capacity, Stripe.initialSlots))
            self.pendingTimeout = pendingTimeout
            self.maxWaitersPerKey = maxWaitersPerKey
        }

        // MARK: Index

        /// The smallest power of two ≥ 2 × `slots` (at least 2): the index size for that many slots.
        @inlinable
        static func bucketCount(forSlots slots: Int) -> Int {
            var count = 2
            while count < 2 * slots { count <<= 1 }
            return count
        }

        /// Makes room in the slot array and the index for one more slot (a slot about to be appended): the slot
        /// array doubles, capped at `capacity`; the index doubles and is rebuilt from the stored hashes when it
        /// would fall under twice the slot count. Amortized O(1); runs only while the stripe fills up.
        @inlinable
        mutating func prepareToAppendSlot() {
            let count = self.slots.count
            if count == self.slots.capacity {
                self.slots.reserveCapacity(min(self.capacity, max(2 * count, Stripe.initialSlots)))
            }
            guard 2 * (count + 1) > self.buckets.count else { return }
            let grown = Stripe.bucketCount(forSlots: count + 1)
            let mask = grown - 1
            var buckets = Array(repeating: Stripe.noSlot, count: grown)
            for slot in self.buckets where slot != Stripe.noSlot {
                var bucket = Int(self.slots[Int(slot)].hash) & mask
                while buckets[bucket] != Stripe.noSlot { bucket = (bucket &+ 1) & mask }
                buckets[bucket] = slot
            }
            self.buckets = buckets
            self.bucketMask = mask
        }

        /// The part of a key's `hashValue` a slot keeps and every bucket is computed from: its low 32 bits (the
        /// index never has more buckets than that; `CacheLimits` caps a cache at 2^28 entries).
        @inlinable
        static func slotHash(_ hash: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: hash)
        }

        /// The slot holding `key`, or nil. Cost: one probe sequence; keys are compared only on equal hashes.
        @inlinable
        func find(_ key: Key, hash: Int) -> Int32? {
            let slotHash = Stripe.slotHash(hash)
            var bucket = Int(slotHash) & self.bucketMask
            while true {
                let slot = self.buckets[bucket]
                if slot == Stripe.noSlot { return nil }
                if self.slots[Int(slot)].hash == slotHash && self.keyEquals(slot, key) { return slot }
                bucket = (bucket &+ 1) & self.bucketMask
            }
        }

        /// Compares without wrapping `key` in an Optional (which would copy it: one retain per string field).
        @inlinable
        func keyEquals(_ slot: Int32, _ key: Key) -> Bool {
            self.slots.withUnsafeBufferPointer { slots in
                switch slots[Int(slot)].key {
                case .some(let stored): return stored == key
                case .none: return false
                }
            }
        }

        @inlinable
        mutating func indexInsert(_ slot: Int32, hash: Int) {
            var bucket = Int(Stripe.slotHash(hash)) & self.bucketMask
            while self.buckets[bucket] != Stripe.noSlot { bucket = (bucket &+ 1) & self.bucketMask }
            self.buckets[bucket] = slot
        }

        /// Removes `slot` from the index by backward-shift deletion (Knuth 6.4 algorithm R).
        @inlinable
        mutating func indexRemove(_ slot: Int32) {
            let mask = self.bucketMask
            var hole = Int(self.slots[Int(slot)].hash) & mask
            while self.buckets[hole] != slot {
                // Internal invariant: every occupied slot is indexed.
                precondition(self.buckets[hole] != Stripe.noSlot, "LRUTTLCache index lost a slot")
                hole = (hole &+ 1) & mask
            }
            var probe = hole
            while true {
                probe = (probe &+ 1) & mask
                let moving = self.buckets[probe]
                if moving == Stripe.noSlot { break }
                let ideal = Int(self.slots[Int(moving)].hash) & mask
                // `moving` may fill the hole only if the hole lies on its probe path [ideal, probe).
                if (probe &- ideal) & mask >= (probe &- hole) & mask {
                    self.buckets[hole] = moving
                    hole = probe
                }
            }
            self.buckets[hole] = Stripe.noSlot
        }

        // MARK: Lists

        @inlinable
        static func unlink(_ slot: Int32, slots: inout [Slot], head: inout Int32, tail: inout Int32) {
            let previous = slots[Int(slot)].previous
            let next = slots[Int(slot)].next
            if previous != Stripe.noSlot { slots[Int(previous)].next = next } else { head = next }
            if next != Stripe.noSlot { slots[Int(next)].previous = previous } else { tail = previous }
            slots[Int(slot)].previous = Stripe.noSlot
            slots[Int(slot)].next = Stripe.noSlot
        }

        @inlinable
        static func pushFront(_ slot: Int32, slots: inout [Slot], head: inout Int32, tail: inout Int32) {
            slots[Int(slot)].previous = Stripe.noSlot
            slots[Int(slot)].next = head
            if head != Stripe.noSlot { slots[Int(head)].previous = slot } else { tail = slot }
            head = slot
        }

        @inlinable
        static func pushBack(_ slot: Int32, slots: inout [Slot], head: inout Int32, tail: inout Int32) {
            slots[Int(slot)].next = Stripe.noSlot
            slots[Int(slot)].previous = tail
            if tail != Stripe.noSlot { slots[Int(tail)].next = slot } else { head = slot }
            tail = slot
        }

        /// Marks `slot` most recently used.
        @inlinable
        mutating func touch(_ slot: Int32) {
            guard self.valueHead != slot else { return }
            Stripe.unlink(slot, slots: &self.slots, head: &self.valueHead, tail: &self.valueTail)
            Stripe.pushFront(slot, slots: &self.slots, head: &self.valueHead, tail: &self.valueTail)
        }

        // MARK: Slot life cycle

        @inlinable
        func isStale(startedAt: Int64, now: Int64) -> Bool {
            if self.pendingTimeout <= 0 { return true }
            let (age, overflow) = now.subtractingReportingOverflow(startedAt)
            if overflow { return now > startedAt }
            return age >= self.pendingTimeout
        }

        /// A free slot: from the free list, by growing the slot array, or by evicting the least recently used
        /// value. When only in-flight markers remain, the oldest one is reclaimed if it is stale and has no
        /// waiters; otherwise nil (markers with a live leader or with waiters are never evicted).
        @inlinable
        mutating func makeRoom(now: Int64) -> Int32? {
            if self.freeHead != Stripe.noSlot {
                let slot = self.freeHead
                self.freeHead = self.slots[Int(slot)].next
                self.slots[Int(slot)].next = Stripe.noSlot
                return slot
            }
            if self.slots.count < self.capacity {
                self.prepareToAppendSlot()
                self.slots.append(Slot())
                return Int32(self.slots.count - 1)
            }
            let victim = self.valueTail
            if victim != Stripe.noSlot {
                if self.slots[Int(victim)].time <= now {
                    self.stats.expirations += 1
                } else {
                    self.stats.evictions += 1
                }
                self.detachValue(victim)
                self.clear(victim)
                return victim
            }
            let oldest = self.pendingHead
            if oldest != Stripe.noSlot && self.waiting[oldest] == nil
                && self.isStale(startedAt: self.slots[Int(oldest)].time, now: now)
            {
                self.stats.reaped += 1
                _ = self.detachPending(oldest)
                self.clear(oldest)
                return oldest
            }
            return nil
        }

        /// Fills a slot obtained from `makeRoom` and indexes it.
        @inlinable
        mutating func occupy(_ slot: Int32, key: Key, hash: Int) {
            self.slots[Int(slot)].key = key
            self.slots[Int(slot)].hash = Stripe.slotHash(hash)
            self.indexInsert(slot, hash: hash)
        }

        @inlinable
        mutating func attachValue(_ slot: Int32, value: Value, expiresAt: Int64) {
            self.slots[Int(slot)].kind = .value
            self.slots[Int(slot)].value = value
            self.slots[Int(slot)].time = expiresAt
            Stripe.pushFront(slot, slots: &self.slots, head: &self.valueHead, tail: &self.valueTail)
            self.stats.entries += 1
        }

        @inlinable
        mutating func attachPending(_ slot: Int32, startedAt: Int64) {
            self.slots[Int(slot)].kind = .pending
            self.slots[Int(slot)].time = startedAt
            Stripe.pushBack(slot, slots: &self.slots, head: &self.pendingHead, tail: &self.pendingTail)
            self.stats.pending += 1
        }

        /// Takes a value slot off the LRU list and drops its value; the slot stays indexed.
        @inlinable
        mutating func detachValue(_ slot: Int32) {
            Stripe.unlink(slot, slots: &self.slots, head: &self.valueHead, tail: &self.valueTail)
            self.slots[Int(slot)].value = nil
            self.slots[Int(slot)].kind = .free
            self.stats.entries -= 1
        }

        /// Takes a marker off the pending list and returns its waiters; the slot stays indexed.
        @inlinable
        mutating func detachPending(_ slot: Int32) -> [Waiter] {
            Stripe.unlink(slot, slots: &self.slots, head: &self.pendingHead, tail: &self.pendingTail)
            let waiters = self.waiting.removeValue(forKey: slot) ?? []
            self.slots[Int(slot)].kind = .free
            self.stats.pending -= 1
            return waiters
        }

        /// Unindexes a detached slot and releases its key (the slot is then the caller's to reuse).
        @inlinable
        mutating func clear(_ slot: Int32) {
            self.indexRemove(slot)
            self.slots[Int(slot)].key = nil
        }

        /// Unindexes a detached slot and puts it on the free list.
        @inlinable
        mutating func release(_ slot: Int32) {
            self.clear(slot)
            self.slots[Int(slot)].next = self.freeHead
            self.freeHead = slot
        }
    }
}
