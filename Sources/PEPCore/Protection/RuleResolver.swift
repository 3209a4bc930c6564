/// `near_miss` (per service): what happens to a request that matches no rule on a `deny_by_default: false`
/// service but would match a protected rule after folding case or dropping one trailing slash.
public enum NearMissMode: String, Sendable, Equatable, CaseIterable {
    /// Enforce it as that rule (default): an upstream that routes case-insensitively or serves `/a/` as `/a`
    /// would otherwise run a protected handler for a request nobody checked.
    case protect
    /// Forward it unchecked, like any unmatched request (the behaviour before `near_miss` existed).
    case off
}

/// Finds the rule that protects a request: the exact match of `PathMatcher` (which already covers `HEAD` by a
/// `GET` condition), and, when near-miss protection applies, the protected rule a request reaches after folding
/// ASCII case and/or dropping one trailing `/` (SECURITY.md cases 7 and "trailing slash"; issue 14).
///
/// Near-miss lookups run only when the exact lookup finds nothing, in this order: the path without its trailing
/// `/`; the path with case folded; both. The first lookup whose winner is a **protected** condition decides,
/// and the match carries `RuleMatch.nearMiss`. A winner that is a public condition does not count: public rules
/// keep their exact matching, and a request that misses them stays unmatched. Each lookup respects the usual
/// precedence, so `/ADMIN/PUBLIC/x` with rules `/admin/??` (protected) and `/admin/public/??` (public) stays
/// unmatched, as the upstream would serve it the public resource.
///
/// Pure and immutable; one instance per service is shared by all worker threads. An exact hit costs one matcher
/// walk, as before; an unmatched request on a protecting service costs up to three more, without allocating.
public final class RuleResolver: Sendable {
    /// The exact matcher (what every service uses).
    public let matcher: PathMatcher
    /// The case-folding matcher; `nil` when near-miss protection does not apply to the service.
    let foldedMatcher: PathMatcher?

    /// Compiles a service's document.
    /// - Parameters:
    ///   - document: the protection document.
    ///   - nearMiss: the service's `near_miss`.
    ///   - denyByDefault: the service's `deny_by_default`; with `true` an unmatched request is refused anyway,
    ///     so no near-miss lookup is made.
    /// - Throws: `PathMatcherError` for the first offending rule.
    public init(document: ProtectionDocument, nearMiss: NearMissMode, denyByDefault: Bool) throws(PathMatcherError) {
        self.matcher = try PathMatcher(document: document)
        self.foldedMatcher =
            nearMiss == .protect && !denyByDefault ? try PathMatcher(document: document, foldingCase: true) : nil
    }

    /// Whether unmatched requests are looked up again (`near_miss: protect` on a `deny_by_default: false`
    /// service).
    public var protectsNearMisses: Bool { self.foldedMatcher != nil }

    /// The rule for a request, exact or near miss.
    /// - Parameters:
    ///   - method: the request method (case-sensitive).
    ///   - path: the canonical path without query.
    /// - Returns: the match, or `nil` when the request is unmatched.
    public func resolve(method: String, path: String) -> RuleMatch? {
        if let exact = self.matcher.match(method: method, path: path) { return exact }
        guard let folded = self.foldedMatcher else { return nil }
        return Self.protectedMatch(self.matcher, method, path, NearMiss(foldedCase: false, droppedTrailingSlash: true))
            ?? Self.protectedMatch(folded, method, path, NearMiss(foldedCase: true, droppedTrailingSlash: false))
            ?? Self.protectedMatch(folded, method, path, NearMiss(foldedCase: true, droppedTrailingSlash: true))
    }

    /// One near-miss lookup: the winner if it is a protected condition, marked with `nearMiss`.
    private static func protectedMatch(
        _ matcher: PathMatcher, _ method: String, _ path: String, _ nearMiss: NearMiss
    ) -> RuleMatch? {
        guard
            let found = matcher.lookup(
                method: method, path: path, droppingTrailingSlash: nearMiss.droppedTrailingSlash),
            !found.isPublic
        else { return nil }
        var match = found.match
        match.nearMiss = nearMiss
        return match
    }
}
