import Synchronization

/// The hot-path series of one writer (a data-plane worker thread): counters and latency histograms in plain
/// slots that only that thread bumps, with relaxed atomic loads and stores (no read-modify-write, no lock), read
/// and summed by ``PEPMetrics/exposition()`` when `/metrics` is scraped.
///
/// Series are found through an open-addressing table keyed by a packed ``SeriesKey`` (a multiply-shift hash;
/// no `Hasher`, no allocation once the series exists). Creating a series (its first bump) takes the shard's
/// lock, as does a scrape; bumping an existing one takes nothing.
///
/// Thread rules: one writer (the owning thread; or any thread under ``lock`` for the shared shard), any number
/// of scrapes under ``lock``.
final class MetricsShard: @unchecked Sendable {
    /// One series: its key, its labels (in declaration order) and where its values start.
    struct Entry {
        let key: UInt64
        let labels: [String]
        let offset: Int
    }

    /// Serializes series creation and scrapes (and, for the shared shard, every bump).
    let lock = Mutex<Void>(())
    /// The shard of threads that are not workers: its callers hold ``lock`` for every bump.
    let isShared: Bool
    /// Histogram bucket bounds in nanoseconds (``PEPMetricsStats/latencyBuckets``).
    let bounds: [Int64]
    private var table: [UInt64]
    private var slots: [Int32]
    private var mask: Int
    private(set) var entries: [Entry] = []
    private var values: UnsafeMutablePointer<Atomic<UInt64>>
    private var valueCapacity: Int
    private var valueCount = 0
    /// Consumer label ids already admitted by ``ConsumerLabelCap`` (owner thread only).
    var consumerIDs: [String: Int] = [:]

    /// Values a histogram entry holds: one count per bucket, `+Inf`, the sum in nanoseconds and the count.
    var histogramWidth: Int { self.bounds.count + 3 }

    init(bounds: [Int64], shared: Bool = false) {
        self.bounds = bounds
        self.isShared = shared
        self.table = Array(repeating: 0, count: 64)
        self.slots = Array(repeating: -1, count: 64)
        self.mask = 63
        self.valueCapacity = 256
        self.values = .allocate(capacity: 256)
        for index in 0..<256 { (self.values + index).initialize(to: Atomic(0)) }
    }

    deinit {
        self.values.deinitialize(count: self.valueCapacity)
        self.values.deallocate()
    }

    /// `key` packed into 64 bits (bit 63 always set, so 0 marks an empty table slot).
    @inline(__always)
    static func pack(_ key: SeriesKey) -> UInt64 {
        (1 << 63) | (UInt64(key.family.rawValue) << 56) | (UInt64(UInt16(truncatingIfNeeded: key.owner &+ 1)) << 40)
            | (UInt64(key.first &+ 1) & 0xF_FFFF) << 20 | (UInt64(key.second &+ 1) & 0xF_FFFF)
    }

    @inline(__always)
    private func find(_ packed: UInt64) -> Int {
        var index = Int(truncatingIfNeeded: (packed &* 0x9E37_79B9_7F4A_7C15) >> 40) & self.mask
        while true {
            let stored = self.table[index]
            if stored == packed { return Int(self.slots[index]) }
            if stored == 0 { return -1 }
            index = (index &+ 1) & self.mask
        }
    }

    /// Adds 1 to the counter `key` (created with `labels()` on first use).
    @inline(__always)
    func increment(_ key: SeriesKey, labels: () -> [String]) {
        let packed = Self.pack(key)
        var entry = self.find(packed)
        if entry < 0 { entry = self.create(packed, width: 1, labels: labels()) }
        let slot = self.entries[entry].offset
        self.values[slot].store(self.values[slot].load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Records `nanoseconds` (negative counts as 0) in the histogram `key`.
    @inline(__always)
    func observe(_ key: SeriesKey, nanoseconds: Int64, labels: () -> [String]) {
        let packed = Self.pack(key)
        var entry = self.find(packed)
        if entry < 0 { entry = self.create(packed, width: self.histogramWidth, labels: labels()) }
        let base = self.entries[entry].offset
        let value = max(0, nanoseconds)
        var bucket = 0
        while bucket < self.bounds.count, self.bounds[bucket] < value { bucket &+= 1 }
        self.add(base + bucket, 1)
        self.add(base + self.bounds.count + 1, UInt64(value))
        self.add(base + self.bounds.count + 2, 1)
    }

    @inline(__always)
    private func add(_ slot: Int, _ amount: UInt64) {
        self.values[slot].store(self.values[slot].load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// A new series, under the lock (a concurrent scrape sees it whole or not at all).
    private func create(_ packed: UInt64, width: Int, labels: [String]) -> Int {
        if self.isShared { return self.createLocked(packed, width: width, labels: labels) }
        return self.lock.withLock { _ in self.createLocked(packed, width: width, labels: labels) }
    }

    private func createLocked(_ packed: UInt64, width: Int, labels: [String]) -> Int {
        if self.valueCount + width > self.valueCapacity { self.growValues(to: (self.valueCount + width) * 2) }
        let index = self.entries.count
        self.entries.append(Entry(key: packed, labels: labels, offset: self.valueCount))
        self.valueCount += width
        if self.entries.count * 2 > self.table.count { self.rehash(capacity: self.table.count * 2) }
        self.insert(packed, index)
        return index
    }

    private func insert(_ packed: UInt64, _ entry: Int) {
        var index = Int(truncatingIfNeeded: (packed &* 0x9E37_79B9_7F4A_7C15) >> 40) & self.mask
        while self.table[index] != 0 { index = (index &+ 1) & self.mask }
        self.table[index] = packed
        self.slots[index] = Int32(entry)
    }

    private func rehash(capacity: Int) {
        self.table = Array(repeating: 0, count: capacity)
        self.slots = Array(repeating: -1, count: capacity)
        self.mask = capacity - 1
        for (index, entry) in self.entries.enumerated() { self.insert(entry.key, index) }
    }

    private func growValues(to capacity: Int) {
        let grown = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: capacity)
        for index in 0..<capacity {
            (grown + index).initialize(
                to: Atomic(index < self.valueCount ? self.values[index].load(ordering: .relaxed) : 0))
        }
        self.values.deinitialize(count: self.valueCapacity)
        self.values.deallocate()
        self.values = grown
        self.valueCapacity = capacity
    }

    /// Every series and its current values; call under ``lock``.
    func snapshotLocked() -> [(entry: Entry, values: [UInt64])] {
        self.entries.map { entry in
            let width =
                SeriesKey.Family(rawValue: UInt8((entry.key >> 56) & 0x7F)) == .requestDuration
                ? self.histogramWidth : 1
            return (entry, (0..<width).map { self.values[entry.offset + $0].load(ordering: .relaxed) })
        }
    }
}
