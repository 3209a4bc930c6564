/// The local access decision of `uma2` mode (SPEC A9, Part B §5.11), as oxd's `RsCheckAccessOperation` step 4
/// (Part B §4.4): granted iff the RPT is active and some permission has `resource_id == resourceId` and at least
/// one of its scopes among the required scopes (any-of).
///
/// Differences from oxd: a permission whose own `exp` has passed does not count (the safe direction); a condition
/// without scopes (neither `scopes` nor `scope_expression`, as Gluu Gateway's own protection documents write
/// them) has an empty required set, and then any live permission on the resource grants: the resource alone is
/// what the authorization server's policy decided on, and its tickets name no scopes.
public enum UMA2Decision {
    /// Decides.
    /// - Parameters:
    ///   - introspection: the RPT's introspection result.
    ///   - resourceId: the resource id registered for the matched (rule, condition).
    ///   - requiredScopes: `RuleCondition.requiredScopes`; empty = any permission on the resource.
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
                && (requiredScopes.isEmpty || permission.scopes.contains { requiredScopes.contains($0) })
        }
    }
}
