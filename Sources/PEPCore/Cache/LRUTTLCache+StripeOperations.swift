// The cache operations on one stripe, run under its lock. `now` and expiries are nanoseconds on the caller's
// clock (CacheInstant); `expiresAt == nil` means "TTL ≤ 0: do not cache" (SPEC A7).

extension LRUTTLCache.Stripe {
    /// The live value for `key` and its expiry; drops it when expired. In-flight markers are not values.
    @inlinable
    mutating func getWithExpiry(_ key: Key, hash: Int, now: Int64) -> (Value, Int64)? {
        guard let value = self.get(key, hash: hash, now: now), let slot = self.find(key, hash: hash) else {
            return nil
        }
        return (value, self.slots[Int(slot)].time)
    }

    /// The live value for `key`; drops it when expired. In-flight markers are not values.
    @inlinable
    mutating func get(_ key: Key, hash: Int, now: Int64) -> Value? {
        guard let slot = self.find(key, hash: hash), self.slots[Int(slot)].kind == .value else {
            self.stats.misses += 1
            return nil
        }
        if now < self.slots[Int(slot)].time {
            self.touch(slot)
            self.stats.hits += 1
            return self.slots[Int(slot)].value
        }
        self.stats.expirations += 1
        self.stats.misses += 1
        self.detachValue(slot)
        self.release(slot)
        return nil
    }

    /// Stores a value. Returns whether it was stored: not when `expiresAt` is nil (and an old value for the key
    /// is removed), not over an in-flight marker, and not when the stripe holds only in-flight markers.
    @inlinable
    mutating func set(_ key: Key, hash: Int, value: Value, expiresAt: Int64?, now: Int64) -> Bool {
        let existing = self.find(key, hash: hash)
        if let slot = existing {
            switch self.slots[Int(slot)].kind {
            case .value:
                guard let expiresAt else {
                    self.detachValue(slot)
                    self.release(slot)
                    return false
                }
                self.slots[Int(slot)].value = value
                self.slots[Int(slot)].time = expiresAt
                self.touch(slot)
                return true
            case .pending, .free:
                return false
            }
        }
        guard let expiresAt else { return false }
        guard let slot = self.makeRoom(now: now) else {
            self.stats.droppedInserts += 1
            return false
        }
        self.occupy(slot, key: key, hash: hash)
        self.attachValue(slot, value: value, expiresAt: expiresAt)
        return true
    }

    /// Removes the value for `key`; in-flight markers are left alone. Returns whether a value was removed.
    @inlinable
    mutating func removeValue(_ key: Key, hash: Int) -> Bool {
        guard let slot = self.find(key, hash: hash), self.slots[Int(slot)].kind == .value else { return false }
        self.detachValue(slot)
        self.release(slot)
        return true
    }

    /// Removes every value; in-flight markers stay.
    mutating func removeAllValues() {
        while self.valueHead != Self.noSlot {
            let slot = self.valueHead
            self.detachValue(slot)
            self.release(slot)
        }
    }

    /// Single-flight lookup (see ``LRUTTLCache/lookupOrBegin(_:now:waiter:)``).
    @inlinable
    mutating func lookupOrBegin(_ key: Key, hash: Int, now: Int64, waiter: Waiter) -> CacheLookup<Value> {
        if let slot = self.find(key, hash: hash) {
            switch self.slots[Int(slot)].kind {
            case .value:
                if now < self.slots[Int(slot)].time, let value = self.slots[Int(slot)].value {
                    self.touch(slot)
                    self.stats.hits += 1
                    return .hit(value)
                }
                // Expired: the slot becomes this leader's marker (no eviction needed).
                self.stats.expirations += 1
                self.stats.misses += 1
                self.detachValue(slot)
                self.attachPending(slot, startedAt: now)
                return .leader
            case .pending:
                self.stats.misses += 1
                if self.isStale(startedAt: self.slots[Int(slot)].time, now: now) {
                    // The old leader is presumed lost; its waiters now wait for this leader.
                    self.stats.takeovers += 1
                    self.slots[Int(slot)].time = now
                    Self.unlink(slot, slots: &self.slots, head: &self.pendingHead, tail: &self.pendingTail)
                    Self.pushBack(slot, slots: &self.slots, head: &self.pendingHead, tail: &self.pendingTail)
                    return .leader
                }
                guard (self.waiting[slot]?.count ?? 0) < self.maxWaitersPerKey else {
                    self.stats.waiterOverflows += 1
                    return .rejected(.waitersFull)
                }
                self.waiting[slot, default: []].append(waiter)
                self.stats.joins += 1
                return .joined
            case .free:
                break
            }
        }
        self.stats.misses += 1
        guard let slot = self.makeRoom(now: now) else {
            self.stats.pendingRejections += 1
            return .rejected(.pendingFull)
        }
        self.occupy(slot, key: key, hash: hash)
        self.attachPending(slot, startedAt: now)
        return .leader
    }

    /// Ends an in-flight call (see ``LRUTTLCache/complete(_:value:ttl:now:)``).
    @inlinable
    mutating func complete(_ key: Key, hash: Int, value: Value?, expiresAt: Int64?, now: Int64) -> [Waiter] {
        guard let slot = self.find(key, hash: hash), self.slots[Int(slot)].kind == .pending else {
            // No marker (reaped, or a late leader after a takeover completed): behave like `set`.
            if let value { _ = self.set(key, hash: hash, value: value, expiresAt: expiresAt, now: now) }
            return []
        }
        let waiters = self.detachPending(slot)
        if let value, let expiresAt {
            self.attachValue(slot, value: value, expiresAt: expiresAt)
        } else {
            self.release(slot)
        }
        return waiters
    }

    /// Drops the in-flight marker for `key` and returns its waiters; a stored value is left alone.
    @inlinable
    mutating func fail(_ key: Key, hash: Int) -> [Waiter] {
        guard let slot = self.find(key, hash: hash), self.slots[Int(slot)].kind == .pending else { return [] }
        let waiters = self.detachPending(slot)
        self.release(slot)
        return waiters
    }

    /// Drops every stale in-flight marker, appending their waiters to `waiters`.
    mutating func reapStalePending(now: Int64, into waiters: inout [Waiter]) {
        var slot = self.pendingHead
        while slot != Self.noSlot {
            let next = self.slots[Int(slot)].next
            if self.isStale(startedAt: self.slots[Int(slot)].time, now: now) {
                waiters.append(contentsOf: self.detachPending(slot))
                self.release(slot)
                self.stats.reaped += 1
            }
            slot = next
        }
    }
}
