extension PathMatcher {
    /// The most segments a rule's path may have (not counting the method). Matching recurses once per pattern
    /// segment, so this bounds the stack any request can use; real API paths are far shorter.
    public static let maxPatternSegments = 256

    /// Compiles a protection document into a frozen matcher (SPEC Part A4, Part B §3.2/§3.3).
    ///
    /// Every condition's every method registers the rule's pattern under that method (`?` = any method). Then
    /// each rule whose conditions do not list `HEAD` registers its `GET` condition (if any) for `HEAD` as well,
    /// authorized as `GET`, unless an explicit `HEAD` already holds that pattern. `{regex}` segments are compiled
    /// once per distinct source text. Checks (each a typed error naming the rule): the path starts with `/`, has
    /// at most `maxPatternSegments` segments and one `??` segment, regexes compile, methods are not empty, `??`,
    /// `{regex}` or contain `/`, and no method + pattern is registered twice. Rules without conditions or methods
    /// register nothing (config validation rejects them).
    /// - Parameters:
    ///   - document: the service's protection document.
    ///   - foldingCase: build the case-folding matcher used for near-miss lookups (see the type's comment): two
    ///     rules that differ only in case are not an error there, the protected one is kept.
    /// - Throws: `PathMatcherError` for the first offending rule, in document order.
    public convenience init(document: ProtectionDocument, foldingCase: Bool = false) throws(PathMatcherError) {
        var builder = Builder(foldingCase: foldingCase)
        var parsed: [[PatternSegment]] = []
        for (ruleIndex, rule) in document.rules.enumerated() {
            let segments = try Builder.parse(pattern: rule.path, ruleIndex: ruleIndex, foldingCase: foldingCase)
            parsed.append(segments)
            for (conditionIndex, condition) in rule.conditions.enumerated() {
                for method in condition.httpMethods {
                    try builder.insert(
                        method: method, segments: segments, pattern: rule.path, ruleIndex: ruleIndex,
                        conditionIndex: conditionIndex, isPublic: condition.isPublic)
                }
            }
        }
        for (ruleIndex, rule) in document.rules.enumerated()
        where !rule.conditions.contains(where: { $0.httpMethods.contains("HEAD") }) {
            guard let conditionIndex = rule.conditions.firstIndex(where: { $0.httpMethods.contains("GET") }) else {
                continue
            }
            try builder.insert(
                method: "HEAD", segments: parsed[ruleIndex], pattern: rule.path, ruleIndex: ruleIndex,
                conditionIndex: conditionIndex, isPublic: rule.conditions[conditionIndex].isPublic,
                authorizedMethod: "GET")
        }
        let frozen = builder.freeze()
        self.init(
            nodes: frozen.nodes, literalEdges: frozen.literalEdges, literalBytes: frozen.literalBytes,
            regexEdges: frozen.regexEdges, terminals: builder.terminals, publicTerminals: builder.publicTerminals,
            foldsCase: foldingCase)
    }
}

extension PathMatcher {
    /// One segment of a rule's path pattern.
    enum PatternSegment {
        case literal([UInt8])
        case regex(source: String, compiled: Regex<AnyRegexOutput>)
        case wildcard
        case globstar
    }

    /// The mutable tree built from the document, frozen into flat tables by `freeze()`.
    struct Builder {
        struct Node {
            var literals: [[UInt8]: Int] = [:]
            /// In registration order; `source` identifies a regex child.
            var regexes: [(source: String, regex: Regex<AnyRegexOutput>, child: Int)] = []
            var wildcard = -1
            var globstar = -1
            var terminal = -1
        }

        var nodes: [Node] = [Node()]
        var terminals: [RuleMatch] = []
        var publicTerminals: [Bool] = []
        /// A case-folding tree: literals lower-cased, and rules folding onto one route keep the protected one.
        let foldingCase: Bool

        init(foldingCase: Bool = false) {
            self.foldingCase = foldingCase
        }

        /// Splits a pattern on `/` (the leading `/` yields no segment) and classifies each segment. With
        /// `foldingCase`, literal segments are lower-cased (ASCII) and regexes ignore case.
        static func parse(
            pattern: String, ruleIndex: Int, foldingCase: Bool = false
        ) throws(PathMatcherError) -> [PatternSegment] {
            guard pattern.utf8.first == UInt8(ascii: "/") else {
                throw .patternNotAbsolute(ruleIndex: ruleIndex, pattern: pattern)
            }
            var segments: [PatternSegment] = []
            var globstars = 0
            for raw in pattern.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
                let text = String(decoding: raw, as: UTF8.self)
                if text == "?" {
                    segments.append(.wildcard)
                } else if text == "??" {
                    globstars += 1
                    guard globstars == 1 else { throw .multipleGlobstars(ruleIndex: ruleIndex, pattern: pattern) }
                    segments.append(.globstar)
                } else if text.utf8.count >= 2, text.hasPrefix("{"), text.hasSuffix("}") {
                    let source = String(text.dropFirst().dropLast())
                    guard var compiled = try? Regex(source) else {
                        throw .invalidRegex(ruleIndex: ruleIndex, pattern: pattern, regex: source)
                    }
                    if foldingCase { compiled = compiled.ignoresCase() }
                    // Lower the program now, on the building thread, rather than on the first request.
                    _ = try? compiled.wholeMatch(in: "")
                    segments.append(.regex(source: source, compiled: compiled))
                } else if foldingCase {
                    segments.append(.literal(raw.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }))
                } else {
                    segments.append(.literal(Array(raw)))
                }
            }
            guard segments.count <= PathMatcher.maxPatternSegments else {
                throw .patternTooLong(ruleIndex: ruleIndex, pattern: pattern)
            }
            return segments
        }

        /// Registers `method + segments` as terminating in (rule, condition). A route registered twice is an error,
        /// except for a derived `HEAD` (`authorizedMethod` set), which yields to what is there, and in a
        /// case-folding tree, where a protected condition replaces a public one and otherwise the first stays.
        mutating func insert(
            method: String, segments: [PatternSegment], pattern: String, ruleIndex: Int, conditionIndex: Int,
            isPublic: Bool = false, authorizedMethod: String? = nil
        ) throws(PathMatcherError) {
            let isRegexMethod = method.utf8.count >= 2 && method.hasPrefix("{") && method.hasSuffix("}")
            guard !method.isEmpty, method != "??", !isRegexMethod, !method.utf8.contains(UInt8(ascii: "/")) else {
                throw .invalidMethod(ruleIndex: ruleIndex, conditionIndex: conditionIndex, method: method)
            }
            let methodSegment: PatternSegment = method == "?" ? .wildcard : .literal(Array(method.utf8))
            var current = self.child(of: 0, for: methodSegment)
            for segment in segments {
                current = self.child(of: current, for: segment)
            }
            let match = RuleMatch(
                ruleIndex: ruleIndex, conditionIndex: conditionIndex, pattern: pattern,
                authorizedMethod: authorizedMethod)
            let existing = self.nodes[current].terminal
            guard existing >= 0 else {
                self.nodes[current].terminal = self.terminals.count
                self.terminals.append(match)
                self.publicTerminals.append(isPublic)
                return
            }
            if self.foldingCase {
                if self.publicTerminals[existing], !isPublic {
                    self.terminals[existing] = match
                    self.publicTerminals[existing] = false
                }
                return
            }
            guard authorizedMethod == nil else { return }
            throw .duplicateRoute(
                ruleIndex: ruleIndex, conditionIndex: conditionIndex, method: method, pattern: pattern,
                existingRuleIndex: self.terminals[existing].ruleIndex)
        }

        /// The child of `parent` for `segment`, created if missing. Children always get higher indices than
        /// their parents, which `freeze()` relies on.
        mutating func child(of parent: Int, for segment: PatternSegment) -> Int {
            let next = self.nodes.count
            switch segment {
            case .literal(let bytes):
                if let existing = self.nodes[parent].literals[bytes] { return existing }
                self.nodes[parent].literals[bytes] = next
            case .regex(let source, let compiled):
                if let existing = self.nodes[parent].regexes.first(where: { $0.source == source }) {
                    return existing.child
                }
                self.nodes[parent].regexes.append((source, compiled, next))
            case .wildcard:
                if self.nodes[parent].wildcard >= 0 { return self.nodes[parent].wildcard }
                self.nodes[parent].wildcard = next
            case .globstar:
                if self.nodes[parent].globstar >= 0 { return self.nodes[parent].globstar }
                self.nodes[parent].globstar = next
            }
            self.nodes.append(Node())
            return next
        }

        /// Flattens the tree: contiguous edge ranges per node, literal edges sorted by (length, bytes).
        func freeze() -> (
            nodes: [PathMatcher.Node], literalEdges: [LiteralEdge], literalBytes: [UInt8], regexEdges: [RegexEdge]
        ) {
            var nodes: [PathMatcher.Node] = []
            var literalEdges: [LiteralEdge] = []
            var literalBytes: [UInt8] = []
            var regexEdges: [RegexEdge] = []
            nodes.reserveCapacity(self.nodes.count)
            for node in self.nodes {
                var frozen = PathMatcher.Node()
                frozen.literalStart = literalEdges.count
                let sorted = node.literals.sorted { left, right in
                    left.key.count != right.key.count
                        ? left.key.count < right.key.count : left.key.lexicographicallyPrecedes(right.key)
                }
                for (bytes, child) in sorted {
                    literalEdges.append(
                        LiteralEdge(byteStart: literalBytes.count, byteCount: bytes.count, child: child))
                    literalBytes.append(contentsOf: bytes)
                }
                frozen.literalEnd = literalEdges.count
                frozen.regexStart = regexEdges.count
                for entry in node.regexes {
                    regexEdges.append(RegexEdge(regex: entry.regex, child: entry.child))
                }
                frozen.regexEnd = regexEdges.count
                frozen.wildcard = node.wildcard
                frozen.globstar = node.globstar
                frozen.terminal = node.terminal
                nodes.append(frozen)
            }
            // Children have higher indices than parents, so one reverse pass computes subtree depths.
            for index in self.nodes.indices.reversed() {
                let node = self.nodes[index]
                var children = Array(node.literals.values) + node.regexes.map(\.child)
                if node.wildcard >= 0 { children.append(node.wildcard) }
                if node.globstar >= 0 { children.append(node.globstar) }
                nodes[index].maxSuffixDepth = children.map { nodes[$0].maxSuffixDepth + 1 }.max() ?? 0
            }
            return (nodes, literalEdges, literalBytes, regexEdges)
        }
    }
}
