/// The local access decision of `uma2` mode (SPEC A9, Part B §5.11), identical to oxd's
/// `RsCheckAccessOperation` step 4 (Part B §4.4): granted iff the RPT is active and some permission has
/// `resource_id == resourceId` and at least one of its scopes among the required scopes (any-of).
///
/// Differences from oxd, both in the safe direction: a permission whose own `exp` has passed does not count;
/// an empty required-scope set never grants (as oxd's `Collections.disjoint` also gives).
public enum UMA2Decision {
    /// Decides.
    /// - Parameters:
    ///   - introspection: the RPT's introspection result.
    ///   - resourceId: the resource id registered for the matched (rule, condition).
    ///   - requiredScopes: `RuleCondition.requiredScopes`.
    ///   - now: seconds since the epoch.
    /// - Returns: `true` when access is granted.
    public static func isGranted(
        _ introspection: IntrospectionResult,
        resourceId: String,
        requiredScopes: [String],
        now: Int64
    ) -> Bool {
        guard introspection.active else { return false }
        return introspection.permissions.contains { permission in
            permission.resourceId == resourceId
                && (permission.exp.map { now < $0 } ?? true)
                && permission.scopes.contains { requiredScopes.contains($0) }
        }
    }
}
