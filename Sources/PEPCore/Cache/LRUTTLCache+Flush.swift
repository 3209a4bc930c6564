import Synchronization

extension LRUTTLCache {
    /// Removes every value whose key satisfies `predicate` (the admin API's `POST /cache/flush` for one service
    /// or one token). In-flight markers and their waiters stay. Takes each stripe's lock in turn; cost O(values).
    /// - Parameter predicate: called under a stripe's lock: keep it short, no I/O, no cache calls.
    /// - Returns: the number of values removed.
    @discardableResult
    public func removeValues(where predicate: @Sendable (Key) -> Bool) -> Int {
        var removed = 0
        for box in self.stripes {
            removed += box.mutex.withLock { $0.removeValues(where: predicate) }
        }
        return removed
    }
}

extension LRUTTLCache.Stripe {
    /// Removes the values whose key satisfies `predicate`; returns how many.
    mutating func removeValues(where predicate: @Sendable (Key) -> Bool) -> Int {
        var removed = 0
        var slot = self.valueHead
        while slot != Self.noSlot {
            let next = self.slots[Int(slot)].next
            if let key = self.slots[Int(slot)].key, predicate(key) {
                self.detachValue(slot)
                self.release(slot)
                removed += 1
            }
            slot = next
        }
        return removed
    }
}

// In-place access to stored values, for a value that keeps state of its own (the introspection record's inline
// grant, ``IntrospectionRecord``).
extension LRUTTLCache {
    /// Runs `body` on the live value for `key` under its stripe's lock and returns its result; nil when there is
    /// no live value (absent, expired or only in flight). Counts no hit or miss and leaves the LRU order alone.
    /// - Parameter body: keep it short: no I/O and no call into this cache. It may call another cache (its lock
    ///   nests inside this one) when every caller that nests them takes the two in the same order.
    @inlinable
    public func withValue<Result: Sendable>(
        forKey key: Key, now: CacheInstant, _ body: @Sendable (inout Value) -> Result
    ) -> Result? {
        let hash = key.hashValue
        return self.stripe(for: hash).mutex.withLock { stripe -> Result? in
            guard let slot = stripe.find(key, hash: hash), stripe.slots[Int(slot)].kind == .value,
                now.nanoseconds < stripe.slots[Int(slot)].time
            else { return nil }
            // A value slot's value is never nil.
            return stripe.slots.withUnsafeMutableBufferPointer { slots in body(&slots[Int(slot)].value!) }
        }
    }

    /// Runs `body` on every stored value (live or not yet noticed as expired) with its key, one stripe's lock at
    /// a time, and returns the sum of what it returned (a count of the values it changed or looked for); cost
    /// O(values). For the admin flushes and the statistics of what values keep inside them.
    /// - Parameter body: called under a stripe's lock: keep it short, no I/O, no cache calls.
    @discardableResult
    public func updateValues(_ body: @Sendable (Key, inout Value) -> Int) -> Int {
        var total = 0
        for box in self.stripes {
            total += box.mutex.withLock { stripe -> Int in
                var sum = 0
                var slot = stripe.valueHead
                while slot != Stripe.noSlot {
                    let next = stripe.slots[Int(slot)].next
                    if let key = stripe.slots[Int(slot)].key {
                        sum += stripe.slots.withUnsafeMutableBufferPointer { slots in
                            body(key, &slots[Int(slot)].value!)
                        }
                    }
                    slot = next
                }
                return sum
            }
        }
        return total
    }
}
