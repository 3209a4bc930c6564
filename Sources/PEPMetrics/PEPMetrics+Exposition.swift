import PEPCore

/// A cache's statistics source and the snapshot last folded into the `uma_pep_cache_*` counters.
struct CacheFeed {
    let source: @Sendable () -> CacheStatistics
    var folded: CacheStatistics
}

extension PEPMetrics {
    /// Feeds `uma_pep_cache_{hits,misses,evictions}_total{cache}` from `source` (e.g. `{ cache.statistics }`),
    /// read at scrape time rather than per request. Replaces an earlier source for the same cache; the new
    /// source's counts are added from zero, so the exposed counters stay monotonic across a cache swap.
    /// - Parameters:
    ///   - cache: which cache `source` describes.
    ///   - source: returns the cache's cumulative statistics; called from ``exposition()``, must not block long.
    public func setCacheStatisticsSource(
        _ cache: MetricsCacheName, _ source: @escaping @Sendable () -> CacheStatistics
    ) {
        let slot = MetricsCacheName.allCases.firstIndex(of: cache) ?? 0
        self.cacheFeeds.withLock { feeds in
            feeds[slot] = CacheFeed(source: source, folded: CacheStatistics())
        }
    }

    /// Every family in Prometheus text exposition format 0.0.4: families in ``PEPMetricsStats/all`` order
    /// (families created through ``metricsFactory`` follow, by name), series sorted, and `# HELP` / `# TYPE`
    /// lines even for labeled families that have no series yet. Folds the cache statistics first.
    /// - Returns: the exposition text, ending in a line feed.
    public func exposition() -> String {
        self.foldCacheStatistics()
        return Self.ordered(self.registry.emitToString(), declarations: PEPMetricsStats.all)
    }

    /// Adds each cache's growth since the last fold to its counters. A snapshot smaller than the last one
    /// (a concurrent scrape read it earlier) adds nothing.
    func foldCacheStatistics() {
        let sources = self.cacheFeeds.withLock { feeds in feeds.map { $0?.source } }
        let snapshots = sources.map { $0?() }
        let deltas = self.cacheFeeds.withLock { feeds in
            snapshots.indices.map { slot -> (hits: Int, misses: Int, evictions: Int) in
                guard let now = snapshots[slot], let feed = feeds[slot] else { return (0, 0, 0) }
                var folded = feed.folded
                let hits = max(0, now.hits - folded.hits)
                let misses = max(0, now.misses - folded.misses)
                let evictions = max(0, now.evictions - folded.evictions)
                folded.hits += hits
                folded.misses += misses
                folded.evictions += evictions
                feeds[slot]?.folded = folded
                return (hits, misses, evictions)
            }
        }
        for (slot, delta) in deltas.enumerated() where slot < self.cacheCounters.count {
            self.cacheCounters[slot].hits.increment(by: Int64(delta.hits))
            self.cacheCounters[slot].misses.increment(by: Int64(delta.misses))
            self.cacheCounters[slot].evictions.increment(by: Int64(delta.evictions))
        }
    }

    /// Regroups the registry's output (whose family order follows a dictionary) into a stable order.
    static func ordered(_ text: String, declarations: [MetricDeclaration]) -> String {
        var headers: [Substring: [Substring]] = [:]
        var samples: [Substring: [Substring]] = [:]
        var current: Substring?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                headers[name, default: []].append(line)
                current = name
            } else if let current {
                samples[current, default: []].append(line)
            }
        }
        var out = ""
        func append(_ name: Substring, histogram: Bool) {
            for line in headers[name] ?? [] {
                out += line + "\n"
            }
            for line in Self.sortedSamples(samples[name] ?? [], name: name, histogram: histogram) {
                out += line + "\n"
            }
        }
        for declaration in declarations {
            let name = Substring(declaration.name)
            if headers[name] != nil {
                append(name, histogram: declaration.kind == .histogram)
                headers[name] = nil
            } else {
                out += "# HELP \(declaration.name) \(declaration.help)\n# TYPE \(declaration.name) "
                out += "\(declaration.kind.rawValue)\n"
            }
        }
        for name in headers.keys.sorted() {
            let isHistogram = headers[name]?.contains { $0.hasPrefix("# TYPE") && $0.hasSuffix(" histogram") }
            append(name, histogram: isHistogram ?? false)
        }
        return out
    }

    /// Counter and gauge samples sorted by text; histogram samples sorted as whole series (the bucket,
    /// `_sum` and `_count` lines of one label set stay together and in order), by their `_count` line.
    private static func sortedSamples(_ lines: [Substring], name: Substring, histogram: Bool) -> [Substring] {
        guard histogram else { return lines.sorted() }
        var groups: [[Substring]] = []
        var group: [Substring] = []
        let countPrefix = name + "_count"
        for line in lines {
            group.append(line)
            if line.hasPrefix(countPrefix) {
                groups.append(group)
                group = []
            }
        }
        if !group.isEmpty {
            groups.append(group)
        }
        return groups.sorted { ($0.last ?? "") < ($1.last ?? "") }.flatMap { $0 }
    }
}
