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
