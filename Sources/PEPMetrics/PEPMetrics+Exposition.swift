import PEPCore
import Prometheus

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
        let histograms = self.foldShards()
        return Self.ordered(self.registry.emitToString() + histograms, declarations: PEPMetricsStats.all)
    }

    /// Sums the shards: counter growth since the last scrape is added to the registry's counters (created with
    /// the labels the shard recorded), and the request-latency histograms are rendered here, in the registry's
    /// own format (they live only in the shards).
    /// - Returns: the `uma_pep_request_duration_seconds` family's text (empty when it has no series).
    func foldShards() -> String {
        self.folded.withLock { folded in
            var counters: [UInt64: (labels: [String], total: UInt64)] = [:]
            var histograms: [UInt64: (labels: [String], values: [UInt64])] = [:]
            for shard in self.shards + [self.sharedShard] {
                let snapshot = shard.lock.withLock { _ in shard.snapshotLocked() }
                for (entry, values) in snapshot {
                    if values.count == 1 {
                        counters[entry.key, default: (entry.labels, 0)].total &+= values[0]
                    } else {
                        var sum = histograms[entry.key]?.values ?? Array(repeating: 0, count: values.count)
                        for index in values.indices { sum[index] &+= values[index] }
                        histograms[entry.key] = (entry.labels, sum)
                    }
                }
            }
            for (key, counter) in counters {
                let delta = counter.total &- (folded[key] ?? 0)
                guard delta > 0, delta < (1 << 62) else { continue }
                folded[key] = counter.total
                self.registryCounter(key, labels: counter.labels)?.increment(by: Int64(delta))
            }
            return Self.renderRequestDurations(histograms.values.map { $0 })
        }
    }

    /// The registry counter a packed shard key stands for.
    private func registryCounter(_ key: UInt64, labels: [String]) -> Counter? {
        guard let family = SeriesKey.Family(rawValue: UInt8((key >> 56) & 0x7F)) else { return nil }
        let declaration: MetricDeclaration
        switch family {
        case .totalClientAuthenticated: return self.totalClientAuthenticated
        case .totalClientGranted: return self.totalClientGranted
        case .endpointMethod: declaration = PEPMetricsStats.endpointMethod
        case .requests: declaration = PEPMetricsStats.requests
        case .umaClientAuthenticated: declaration = PEPMetricsStats.umaClientAuthenticated
        case .umaClientGranted: declaration = PEPMetricsStats.umaClientGranted
        case .umaTicket, .upstreamErrors, .asRequests, .requestDuration, .asRequestDuration,
            .authorizationCallsRefused, .cacheMissRateLimited:
            return nil
        }
        // Shard keys and registry keys are both unique per series: key the registry table by the packed value.
        let tableKey = SeriesKey(family, -2, Int(truncatingIfNeeded: key & 0x00FF_FFFF_FFFF_FFFF), 0)
        return self.series.withLock { table in
            table.counter(declaration, tableKey, self.registry) { labels }
        }
    }

    /// `uma_pep_request_duration_seconds` in text exposition format, series sorted by their labels.
    static func renderRequestDurations(_ series: [(labels: [String], values: [UInt64])]) -> String {
        guard !series.isEmpty else { return "" }
        let declaration = PEPMetricsStats.requestDuration
        let name = declaration.name
        var out = "# HELP \(name) \(declaration.help)\n# TYPE \(name) histogram\n"
        let buckets = PEPMetricsStats.latencyBuckets
        for (labels, values) in series.sorted(by: { $0.labels.lexicographicallyPrecedes($1.labels) }) {
            let rendered = zip(declaration.labelNames, labels).map { "\($0)=\"\(Self.escapeLabel($1))\"" }
                .joined(separator: ",")
            var cumulative: UInt64 = 0
            for (index, bound) in buckets.enumerated() {
                cumulative &+= values[index]
                out += "\(name)_bucket{\(rendered),le=\"\(bound.bucketRepresentation)\"} \(cumulative)\n"
            }
            cumulative &+= values[buckets.count]
            out += "\(name)_bucket{\(rendered),le=\"+Inf\"} \(cumulative)\n"
            let sum = Duration.nanoseconds(Int64(truncatingIfNeeded: values[buckets.count + 1]))
            out += "\(name)_sum{\(rendered)} \(sum.bucketRepresentation)\n"
            // The count is the bucket total: buckets, sum and count are separate relaxed slots, and a scrape
            // between two of a worker's stores must not show `_count` and `le="+Inf"` apart.
            out += "\(name)_count{\(rendered)} \(cumulative)\n"
        }
        return out
    }

    /// A label value escaped for the text format (backslash, double quote, line feed).
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
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
