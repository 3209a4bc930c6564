// Structural self-check, for tests (Envoy's `…ForTest` convention): walks every stripe under its lock.

extension LRUTTLCache {
    /// Human-readable descriptions of every broken internal invariant; empty when the cache is consistent.
    /// O(capacity); for tests only.
    func invariantViolationsForTest() -> [String] {
        var problems: [String] = []
        for (index, box) in self.stripes.enumerated() {
            let found = box.mutex.withLock { $0.invariantViolations() }
            problems += found.map { "stripe \(index): \($0)" }
        }
        return problems
    }
}

extension LRUTTLCache.Stripe {
    func invariantViolations() -> [String] {
        var problems: [String] = []
        let values = self.walk(from: self.valueHead, kind: .value, into: &problems)
        let pending = self.walk(from: self.pendingHead, kind: .pending, into: &problems)
        if values != self.stats.entries { problems.append("value list has \(values), gauge \(self.stats.entries)") }
        if pending != self.stats.pending { problems.append("pending list has \(pending), gauge \(self.stats.pending)") }
        var free = 0
        var slot = self.freeHead
        while slot != Self.noSlot && free <= self.slots.count {
            if self.slots[Int(slot)].kind != .free || self.slots[Int(slot)].key != nil {
                problems.append("free slot \(slot) is in use")
            }
            free += 1
            slot = self.slots[Int(slot)].next
        }
        if values + pending + free != self.slots.count {
            problems.append("\(values) values + \(pending) pending + \(free) free != \(self.slots.count) slots")
        }
        if self.slots.count > self.capacity { problems.append("\(self.slots.count) slots > capacity") }
        let indexed = self.buckets.filter { $0 != Self.noSlot }.count
        if indexed != values + pending { problems.append("\(indexed) indexed != \(values + pending) entries") }
        for (slot, waiters) in self.waiting {
            if Int(slot) >= self.slots.count || self.slots[Int(slot)].kind != .pending {
                problems.append("waiters of slot \(slot), which is not in flight")
            }
            if waiters.isEmpty { problems.append("an empty waiter list for slot \(slot)") }
        }
        return problems
    }

    private func walk(from head: Int32, kind: LRUTTLCache.SlotKind, into problems: inout [String]) -> Int {
        var count = 0
        var previous = Self.noSlot
        var slot = head
        while slot != Self.noSlot {
            guard count <= self.slots.count else {
                problems.append("\(kind) list has a cycle")
                return count
            }
            let entry = self.slots[Int(slot)]
            if entry.kind != kind { problems.append("slot \(slot) on the \(kind) list is \(entry.kind)") }
            if entry.previous != previous { problems.append("slot \(slot) has a wrong back link") }
            if let key = entry.key {
                if entry.hash != Self.slotHash(key.hashValue) {
                    problems.append("slot \(slot) has a stale hash")
                }
                if self.find(key, hash: Int(entry.hash)) != slot { problems.append("slot \(slot) is not indexed") }
            } else {
                problems.append("slot \(slot) on the \(kind) list has no key")
            }
            count += 1
            previous = slot
            slot = entry.next
        }
        let tail = kind == .value ? self.valueTail : self.pendingTail
        if tail != previous { problems.append("\(kind) tail is \(tail), list ends at \(previous)") }
        return count
    }
}
