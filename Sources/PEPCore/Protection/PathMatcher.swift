/// A protection document compiled into a frozen segment tree, answering "which rule protects this request?"
/// (SPEC Part A4, Part B §3.3).
///
/// The request is seen as the segments of `"/" + METHOD + path` split on `/`, so the method is the first
/// segment (`GET /a/b/` → `GET`, `a`, `b`, `""`). Pattern segment kinds:
/// - literal: exact, case-sensitive byte equality;
/// - `{regex}`: one segment that the Swift `Regex` between the braces matches **whole** (anchored, SPEC A4);
/// - `?`: exactly one segment, any content including `""`;
/// - `??`: zero or more segments (at most one per pattern).
///
/// At each node children are tried in precedence order literal > regex (registration order) > `?` > `??`,
/// **with backtracking** (depth-first): the first rule in that order that matches the whole path wins. `??`
/// tries to swallow the fewest segments first. End-of-path rule (SPEC Part B §3.3): when all segments are
/// consumed on a node with a `??` child that terminates a rule, that rule wins even over the node's own rule
/// (rules `/path` and `/path/??` → request `/path` yields `/path/??`). A method `?` means any method.
/// Request segments `?`/`??` are ordinary text: they match wildcard children, never collide with them.
///
/// Cost bound: without `??` every tree node is visited at most once (a node's depth fixes the segment it is
/// compared with). A `??` node `g` is reached at most once and retries its subtree only for the last
/// `maxSuffixDepth(g) + 1` split points (fewer remaining segments than the deepest rule below `g` cannot be
/// matched otherwise), so a match costs at most `N + Σ_g (maxSuffixDepth(g) + 1) · |subtree(g)|` node visits
/// for `N` tree nodes, plus one `O(path bytes)` scan per `??` visit: polynomial in the config, linear in the
/// path, never exponential. Recursion depth is bounded by the longest pattern, not by the request.
///
/// `HEAD`: a rule whose conditions do not list `HEAD` themselves registers its `GET` condition for `HEAD` too,
/// authorized as `GET` (`RuleMatch.authorizedMethod`): upstreams run the GET handler for HEAD, as nginx's
/// `limit_except GET` assumes. An explicit `HEAD` condition, in this rule or another with the same pattern, wins.
///
/// A case-folding matcher (`foldingCase: true`, for near-miss lookups) compares literal segments ASCII
/// case-insensitively and tests `{regex}` segments with `ignoresCase()`; methods stay case-sensitive. Where two
/// rules fold onto one pattern, the protected one is kept over a public one.
///
/// `match` allocates nothing per segment (literal segments are compared as UTF-8 bytes against one flat byte
/// pool); only a `{regex}` test builds a `String` for the segment, as Swift `Regex` needs one.
/// Immutable after `init`, so one instance is safely shared by all worker threads.
public final class PathMatcher: Sendable {
    /// A frozen tree node. Children live in contiguous ranges of the edge tables; `-1` means "none".
    struct Node: Sendable {
        var literalStart = 0
        var literalEnd = 0
        var regexStart = 0
        var regexEnd = 0
        var wildcard = -1
        var globstar = -1
        /// Index into `terminals`, or `-1`.
        var terminal = -1
        /// Longest chain of segments below this node (0 for a leaf); used to bound the `??` search.
        var maxSuffixDepth = 0
    }

    /// A literal child: its segment text is `literalBytes[byteStart ..< byteStart + byteCount]`.
    struct LiteralEdge: Sendable {
        var byteStart: Int
        var byteCount: Int
        var child: Int
    }

    /// A `{regex}` child, tested with `wholeMatch`.
    ///
    /// `@unchecked`: `Regex<AnyRegexOutput>` is not `Sendable` only because its output type is not. The regex
    /// itself is immutable; its one lazy part (the lowered program) is published with an atomic
    /// compare-and-swap in the standard library's `Regex.Program`, and `Builder` forces it before freezing.
    struct RegexEdge: @unchecked Sendable {
        var regex: Regex<AnyRegexOutput>
        var child: Int
    }

    /// Node 0 is the root; its literal children are method names and its `?` child is the any-method subtree.
    let nodes: [Node]
    /// Literal edges, per node sorted by (byte count, bytes) for binary search.
    let literalEdges: [LiteralEdge]
    /// Flat storage for the bytes of every literal segment.
    let literalBytes: [UInt8]
    /// Regex edges, per node in registration order.
    let regexEdges: [RegexEdge]
    /// The rule/condition each terminating node stands for.
    let terminals: [RuleMatch]
    /// Whether each terminal stands for a public condition (`RuleCondition.isPublic`).
    let publicTerminals: [Bool]
    /// Literal segments are stored lower-cased and compared ASCII case-insensitively; regexes ignore case.
    public let foldsCase: Bool

    init(
        nodes: [Node], literalEdges: [LiteralEdge], literalBytes: [UInt8], regexEdges: [RegexEdge],
        terminals: [RuleMatch], publicTerminals: [Bool], foldsCase: Bool
    ) {
        self.nodes = nodes
        self.literalEdges = literalEdges
        self.literalBytes = literalBytes
        self.regexEdges = regexEdges
        self.terminals = terminals
        self.publicTerminals = publicTerminals
        self.foldsCase = foldsCase
    }

    /// Finds the rule and condition protecting a request (SPEC A4). Hot path: no per-segment allocation.
    /// - Parameters:
    ///   - method: the request method, case-sensitive (`HEAD` falls back to a `GET` condition, see above).
    ///   - path: the canonical path (SPEC A5) without query; must start with `/`.
    /// - Returns: the winning rule, or `nil` when no rule matches (including a path not starting with `/`).
    public func match(method: String, path: String) -> RuleMatch? {
        self.lookup(method: method, path: path, droppingTrailingSlash: false)?.match
    }

    /// Like `match`, optionally matching `path` without its final byte when that byte is a `/` (and the path is
    /// longer than `/`), without copying the path; also says whether the winner is a public condition.
    /// - Returns: the winning rule and whether it is public, or `nil` (also when there is no slash to drop).
    func lookup(method: String, path: String, droppingTrailingSlash: Bool) -> (match: RuleMatch, isPublic: Bool)? {
        guard
            let found = self.run(
                method: method, path: path, recordCaptures: false, droppingTrailingSlash: droppingTrailingSlash)
        else { return nil }
        return (self.terminals[found.terminal], self.publicTerminals[found.terminal])
    }

    /// Like `match`, also returning the captures in pattern order (SPEC Part B §3.3): the method for a
    /// method-level `?`, the segment for `?`, a `{regex}`'s capture groups (a group that did not participate is
    /// `""`) or the whole segment if it has none. Segments swallowed by `??` are not captured.
    /// - Parameters:
    ///   - method: the request method, case-sensitive.
    ///   - path: the canonical path without query; must start with `/`.
    /// - Returns: the winning rule and its captures, or `nil` when no rule matches.
    public func matchWithCaptures(method: String, path: String) -> (RuleMatch, [String])? {
        guard let found = self.run(method: method, path: path, recordCaptures: true) else { return nil }
        return (self.terminals[found.terminal], found.captures)
    }

    private typealias Found = (terminal: Int, captures: [String])

    private func run(
        method: String, path: String, recordCaptures: Bool, droppingTrailingSlash: Bool = false
    ) -> Found? {
        if let result = self.attempt(
            method: method, path: path, recordCaptures: recordCaptures, droppingTrailingSlash: droppingTrailingSlash)
        {
            return result
        }
        // Only foreign (bridged) strings lack contiguous UTF-8: copy them once and search again.
        var contiguousMethod = method
        var contiguousPath = path
        contiguousMethod.makeContiguousUTF8()
        contiguousPath.makeContiguousUTF8()
        return self.attempt(
            method: contiguousMethod, path: contiguousPath, recordCaptures: recordCaptures,
            droppingTrailingSlash: droppingTrailingSlash) ?? nil
    }

    /// `nil` when either string has no contiguous UTF-8, else the search result. Native strings (small ones via
    /// a stack copy) expose their bytes without copying, and the closures capture only constants, so nothing is
    /// allocated here.
    private func attempt(
        method: String, path: String, recordCaptures: Bool, droppingTrailingSlash: Bool
    ) -> Found?? {
        let outcome = method.utf8.withContiguousStorageIfAvailable { methodBytes in
            path.utf8.withContiguousStorageIfAvailable { fullPath -> Found? in
                guard !fullPath.isEmpty, fullPath[0] == UInt8(ascii: "/") else { return nil }
                var pathBytes = fullPath
                if droppingTrailingSlash {
                    guard fullPath.count > 1, fullPath[fullPath.count - 1] == UInt8(ascii: "/") else { return nil }
                    pathBytes = UnsafeBufferPointer(rebasing: fullPath[0..<(fullPath.count - 1)])
                }
                var walk = Walk(matcher: self, path: pathBytes, recordCaptures: recordCaptures)
                guard let terminal = walk.start(method: methodBytes) else { return nil }
                return (terminal, walk.captures)
            }
        }
        guard case .some(.some(let found)) = outcome else { return nil }
        return .some(found)
    }
}

extension PathMatcher {
    /// One depth-first search over the frozen tree for one request. Positions are byte offsets into `path`:
    /// a position is either the offset of the `/` that starts the next segment or `path.count` (no segments
    /// left).
    private struct Walk {
        let matcher: PathMatcher
        let path: UnsafeBufferPointer<UInt8>
        let recordCaptures: Bool
        var captures: [String] = []

        init(matcher: PathMatcher, path: UnsafeBufferPointer<UInt8>, recordCaptures: Bool) {
            self.matcher = matcher
            self.path = path
            self.recordCaptures = recordCaptures
        }

        /// Method level: a literal method subtree first, then the any-method (`?`) subtree.
        mutating func start(method: UnsafeBufferPointer<UInt8>) -> Int? {
            let root = self.matcher.nodes[0]
            if let child = self.literalChild(of: root, segment: method, folding: false),
                let found = self.walk(child, at: 0)
            {
                return found
            }
            if root.wildcard >= 0 {
                let mark = self.captures.count
                if self.recordCaptures { self.captures.append(String(decoding: method, as: UTF8.self)) }
                if let found = self.walk(root.wildcard, at: 0) { return found }
                self.truncateCaptures(to: mark)
            }
            return nil
        }

        /// Matches the segments from `position` on against the subtree of `nodeIndex`.
        /// On failure, `captures` is left as it was on entry.
        mutating func walk(_ nodeIndex: Int, at position: Int) -> Int? {
            let nodes = self.matcher.nodes
            let node = nodes[nodeIndex]
            if position == self.path.count {
                if node.globstar >= 0, nodes[node.globstar].terminal >= 0 { return nodes[node.globstar].terminal }
                return node.terminal >= 0 ? node.terminal : nil
            }
            let start = position + 1
            let end = self.segmentEnd(from: start)
            let segment = UnsafeBufferPointer(rebasing: self.path[start..<end])
            if let child = self.literalChild(of: node, segment: segment, folding: self.matcher.foldsCase),
                let found = self.walk(child, at: end)
            {
                return found
            }
            let mark = self.captures.count
            for edgeIndex in node.regexStart..<node.regexEnd {
                let edge = self.matcher.regexEdges[edgeIndex]
                guard self.regexAccepts(edge.regex, segment: segment) else { continue }
                if let found = self.walk(edge.child, at: end) { return found }
                self.truncateCaptures(to: mark)
            }
            if node.wildcard >= 0 {
                if self.recordCaptures { self.captures.append(String(decoding: segment, as: UTF8.self)) }
                if let found = self.walk(node.wildcard, at: end) { return found }
                self.truncateCaptures(to: mark)
            }
            if node.globstar >= 0 {
                return self.walkGlobstar(node.globstar, at: position)
            }
            return nil
        }

        /// `??`: swallow 0, 1, 2, … segments (shortest first) and match the rest below the `??` node. Split
        /// points leaving more segments than the deepest rule below the node are skipped (they cannot match).
        mutating func walkGlobstar(_ nodeIndex: Int, at position: Int) -> Int? {
            var remaining = 0
            var index = position
            while index < self.path.count {
                if self.path[index] == UInt8(ascii: "/") { remaining += 1 }
                index += 1
            }
            var cursor = position
            let maxSuffixDepth = self.matcher.nodes[nodeIndex].maxSuffixDepth
            while remaining > maxSuffixDepth {
                cursor = self.segmentEnd(from: cursor + 1)
                remaining -= 1
            }
            while true {
                if let found = self.walk(nodeIndex, at: cursor) { return found }
                if cursor == self.path.count { return nil }
                cursor = self.segmentEnd(from: cursor + 1)
            }
        }

        /// The offset of the `/` ending the segment that starts at `start`, or `path.count`.
        func segmentEnd(from start: Int) -> Int {
            var index = start
            while index < self.path.count, self.path[index] != UInt8(ascii: "/") { index += 1 }
            return index
        }

        /// Binary search of the node's literal edges, ordered by (byte count, bytes). Methods are never folded.
        func literalChild(of node: Node, segment: UnsafeBufferPointer<UInt8>, folding: Bool) -> Int? {
            var low = node.literalStart
            var high = node.literalEnd
            while low < high {
                let middle = (low + high) / 2
                let edge = self.matcher.literalEdges[middle]
                let order = self.compare(edge, segment, folding: folding)
                if order == 0 { return edge.child }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return nil
        }

        /// Three-way comparison of a literal edge's text with a request segment: by length, then bytewise (the
        /// segment's ASCII letters lower-cased in a case-folding matcher, whose literals are stored lower-cased).
        func compare(_ edge: LiteralEdge, _ segment: UnsafeBufferPointer<UInt8>, folding: Bool) -> Int {
            if edge.byteCount != segment.count { return edge.byteCount < segment.count ? -1 : 1 }
            let bytes = self.matcher.literalBytes
            var index = 0
            while index < segment.count {
                let literalByte = bytes[edge.byteStart + index]
                var byte = segment[index]
                if folding, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                if literalByte != byte { return literalByte < byte ? -1 : 1 }
                index += 1
            }
            return 0
        }

        /// Whole-segment regex test; on success records the captures when asked to.
        mutating func regexAccepts(_ regex: Regex<AnyRegexOutput>, segment: UnsafeBufferPointer<UInt8>) -> Bool {
            let text = String(decoding: segment, as: UTF8.self)
            // `wholeMatch` only throws for custom components, which a parsed pattern cannot contain.
            guard let result = try? regex.wholeMatch(in: text) else { return false }
            if self.recordCaptures {
                let output = result.output
                if output.count > 1 {
                    for groupIndex in 1..<output.count {
                        self.captures.append(output[groupIndex].substring.map(String.init) ?? "")
                    }
                } else {
                    self.captures.append(text)
                }
            }
            return true
        }

        mutating func truncateCaptures(to count: Int) {
            if self.captures.count > count { self.captures.removeSubrange(count...) }
        }
    }
}
